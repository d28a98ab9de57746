import CDepthKernels
import Synchronization

// Flash-style attention with bf16 products (AVX512-BF16 `vdpbf16ps`, float32 accumulation), taken when the
// descriptor allows bf16 products (`AttentionDescriptor.bf16Products`, set by models bound with bf16 weights),
// the processor runs AVX512-BF16, and the sequence is long enough for the flash path.
//
// K and V of every (batch, head) are first packed, block of keys by block, into the bf16 panel layout of
// `dd_bf16_pack_b` (about 2·keys·headDim·2 bytes per head). Then each job (a block of query rows of one head)
// is one `dd_bf16_attention_rows` call: the float32 flash path's steps with S = (scale·Q_blk)·K_blkᵀ and
// O += P·V_blk multiplied in bf16. Q is rounded to bf16 once per job, and the softmax writes P as bf16
// directly; the online softmax, the rescaling and the final division stay float32.

extension CPUBackend {
    /// Whether ``attention(_:q:k:v:output:)`` multiplies in bf16 for `d`.
    func usesBF16Attention(_ d: AttentionDescriptor) -> Bool {
        d.bf16Products && !d.causal && d.keyLength > 2 * tuning.attentionKeyBlock && BF16GEMMPath.preferred == .avx512bf16
    }

    func flashAttentionBF16(_ d: AttentionDescriptor, q pq: UnsafeMutablePointer<Float>, k pk: UnsafeMutablePointer<Float>,
                            v pv: UnsafeMutablePointer<Float>, output po: UnsafeMutablePointer<Float>) throws {
        let (lq, lk, dh, hd) = (d.queryLength, d.keyLength, d.headDim, d.heads * d.headDim)
        let rowBlock = min(lq, tuning.attentionRowBlock), keyBlock = tuning.attentionKeyBlock
        let keyBlocks = (lk + keyBlock - 1) / keyBlock
        // Packed sizes (16-bit elements) of one full block of keys, and of one head's keys or values.
        let kBlockCount = Int(dd_bf16_packed_count(keyBlock, dh)), vBlockCount = Int(dd_bf16_packed_count(dh, keyBlock))
        let headCount = keyBlocks * max(kBlockCount, vBlockCount)
        let heads = d.batch * d.heads
        let packed = try Scratch(count: (2 * heads * headCount + 1) / 2, pool: pool)
        let words = UnsafeMutableRawPointer(packed.pointer).bindMemory(to: UInt16.self, capacity: 2 * heads * headCount)
        // keys of head i at words[2i·headCount], values at words[(2i + 1)·headCount]; block j at j·(its block count).
        parallel.forEach(heads * keyBlocks) { range in
            for item in range {
                let head = item / keyBlocks, block = item % keyBlocks, b = head / d.heads, h = head % d.heads
                let k0 = block * keyBlock, n = min(keyBlock, lk - k0)
                let kSource = pk + d.kOffset + (b * lk + k0) * d.kRowStride + h * dh
                let vSource = pv + d.vOffset + (b * lk + k0) * d.vRowStride + h * dh
                dd_bf16_pack_b(kSource, Int32(DD_SOURCE_F32), 1, n, dh, d.kRowStride,
                               words + 2 * head * headCount + block * kBlockCount)
                dd_bf16_pack_b(vSource, Int32(DD_SOURCE_F32), 0, dh, n, d.vRowStride,
                               words + (2 * head + 1) * headCount + block * vBlockCount)
            }
        }
        let blocks = (lq + rowBlock - 1) / rowBlock
        let jobs = heads * blocks
        let workers = min(parallel.workers, jobs)
        let perWorker = Int(dd_bf16_attention_scratch_floats(rowBlock, dh, keyBlock))
        let scratch = try Scratch(count: workers * perWorker, pool: pool)
        let failed = Atomic<Bool>(false)
        // Jobs (a block of query rows of one head) are claimed one at a time, so a core slowed by other work
        // takes fewer of them; each part (at most one per core) has its own scratch.
        parallel.forEachJob(jobs) { w, job in
            let head = job / blocks, b = head / d.heads, h = head % d.heads, r0 = (job % blocks) * rowBlock
            let status = dd_bf16_attention_rows(
                min(rowBlock, lq - r0), dh, pq + d.qOffset + (b * lq + r0) * d.qRowStride + h * dh, d.qRowStride,
                d.scale, words + 2 * head * headCount, kBlockCount, words + (2 * head + 1) * headCount, vBlockCount,
                lk, keyBlock, po + (b * lq + r0) * hd + h * dh, hd, scratch.pointer + w * perWorker)
            if status != 0 { failed.store(true, ordering: .relaxed) }
        }
        if failed.load(ordering: .relaxed) {
            throw TensorError.invalidArgument(operation: "attention",
                detail: "the AVX512-BF16 attention kernel refused \(lq) queries x \(lk) keys, head size \(dh)")
        }
    }
}
