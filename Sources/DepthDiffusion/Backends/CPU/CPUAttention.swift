import CDepthKernels
// Blocked attention on the CPU backend.
//
// Long key sequences (more than two key blocks, e.g. the UNet's 4096-token self-attention) take the
// flash-style path: jobs of (batch, head, block of `tuning.attentionRowBlock` query rows) walk the keys in blocks of
// `tuning.attentionKeyBlock`, keeping a running maximum, sum and output per row (online softmax), so a job's working
// set (its queries, one key and value block, the block's scores and the output rows) stays in the core's L2
// cache instead of streaming a full score row through memory.
//
// Shorter ones use one block of all keys: the work is split into jobs of (batch, head, block of query rows). Each job computes
// S = scale · Q_blk Kᵀ (one GEMM), a row softmax (with the causal mask applied) and O_blk = S V (one
// GEMM). Jobs run on all cores at once, each core claiming the next job when it is done, with OpenBLAS set to
// one thread for the duration, so that BLAS threads and the softmax never compete for the cores. Each worker
// owns one score block: at most `tuning.attentionScoreBudget` floats (or one row when a row is longer).

extension CPUBackend {
    public func attention(_ d: AttentionDescriptor, q: DeviceBuffer, k: DeviceBuffer, v: DeviceBuffer,
                          output: DeviceBuffer) throws {
        if usesBF16Attention(d) {
            return try flashAttentionBF16(d, q: ptr(q), k: ptr(k), v: ptr(v), output: ptr(output))
        }
        if d.keyLength > 2 * tuning.attentionKeyBlock {
            return try flashAttention(d, q: ptr(q), k: ptr(k), v: ptr(v), output: ptr(output))
        }
        let pq = ptr(q), pk = ptr(k), pv = ptr(v), po = ptr(output)
        let (lq, lk, dh, hd) = (d.queryLength, d.keyLength, d.headDim, d.heads * d.headDim)
        let blockRows = max(1, min(lq, tuning.attentionScoreBudget / max(lk, 1)))
        let blocks = (lq + blockRows - 1) / blockRows
        let jobs = d.batch * d.heads * blocks
        let workers = min(parallel.workers, jobs)
        let scores = try Scratch(count: workers * blockRows * lk, pool: pool)
        parallel.withSingleThreadedBLAS(jobs: jobs) { w, job in
            let s = scores.pointer + w * blockRows * lk
            let b = job / (d.heads * blocks), h = (job / blocks) % d.heads, r0 = (job % blocks) * blockRows
            let rows = min(blockRows, lq - r0)
            let qBase = pq + d.qOffset + b * lq * d.qRowStride + h * dh
            let kBase = pk + d.kOffset + b * lk * d.kRowStride + h * dh
            let vBase = pv + d.vOffset + b * lk * d.vRowStride + h * dh
            sgemm(m: rows, n: lk, k: dh, transposeB: true, alpha: d.scale, a: qBase + r0 * d.qRowStride,
                  lda: d.qRowStride, b: kBase, ldb: d.kRowStride, c: s, ldc: lk)
            for r in 0..<rows {
                let row = s + r * lk
                let visible = d.causal ? min(lk, r0 + r + 1) : lk
                softmaxRow(row, visible)
                if visible < lk { (row + visible).update(repeating: 0, count: lk - visible) }
            }
            sgemm(m: rows, n: dh, k: lk, a: s, lda: lk, b: vBase, ldb: d.vRowStride,
                  c: po + b * lq * hd + r0 * hd + h * dh, ldc: hd)
        }
    }
}

extension CPUBackend {
    /// Attention with an online softmax over key blocks (see the top of this file).
    func flashAttention(_ d: AttentionDescriptor, q pq: UnsafeMutablePointer<Float>, k pk: UnsafeMutablePointer<Float>,
                        v pv: UnsafeMutablePointer<Float>, output po: UnsafeMutablePointer<Float>) throws {
        let (lq, lk, dh, hd) = (d.queryLength, d.keyLength, d.headDim, d.heads * d.headDim)
        let rowBlock = min(lq, tuning.attentionRowBlock), keyBlock = tuning.attentionKeyBlock
        let blocks = (lq + rowBlock - 1) / rowBlock
        let jobs = d.batch * d.heads * blocks
        let workers = min(parallel.workers, jobs)
        // Per worker: one block of scores, the output rows, and the running maximum and sum of each row.
        let perWorker = rowBlock * keyBlock + rowBlock * dh + 2 * rowBlock
        let scratch = try Scratch(count: workers * perWorker, pool: pool)
        parallel.withSingleThreadedBLAS(jobs: jobs) { w, job in
            let s = scratch.pointer + w * perWorker
            let acc = s + rowBlock * keyBlock, maxima = acc + rowBlock * dh, sums = maxima + rowBlock
            let b = job / (d.heads * blocks), h = (job / blocks) % d.heads, r0 = (job % blocks) * rowBlock
            let rows = min(rowBlock, lq - r0)
            let qBase = pq + d.qOffset + b * lq * d.qRowStride + h * dh + r0 * d.qRowStride
            let kBase = pk + d.kOffset + b * lk * d.kRowStride + h * dh
            let vBase = pv + d.vOffset + b * lk * d.vRowStride + h * dh
            maxima.update(repeating: -.infinity, count: rows)
            sums.update(repeating: 0, count: rows)
            acc.update(repeating: 0, count: rows * dh)
            // With the causal mask, no row of this job sees keys past its last row.
            let keyEnd = d.causal ? min(lk, r0 + rows) : lk
            var k0 = 0
            while k0 < keyEnd {
                let n = min(keyBlock, keyEnd - k0)
                sgemm(m: rows, n: n, k: dh, transposeB: true, alpha: d.scale, a: qBase, lda: d.qRowStride,
                      b: kBase + k0 * d.kRowStride, ldb: d.kRowStride, c: s, ldc: keyBlock)
                for r in 0..<rows {
                    let row = s + r * keyBlock
                    let visible = d.causal ? max(0, min(n, r0 + r + 1 - k0)) : n
                    let factor = dd_online_softmax(row, visible, maxima + r, sums + r)
                    if visible < n { (row + visible).update(repeating: 0, count: n - visible) }
                    if factor != 1 {
                        let out = acc + r * dh
                        for c in 0..<dh { out[c] *= factor }
                    }
                }
                sgemm(m: rows, n: dh, k: n, a: s, lda: keyBlock, b: vBase + k0 * d.vRowStride, ldb: d.vRowStride,
                      beta: 1, c: acc, ldc: dh)
                k0 += n
            }
            for r in 0..<rows {
                let inverse = 1 / sums[r], src = acc + r * dh, dst = po + b * lq * hd + (r0 + r) * hd + h * dh
                for c in 0..<dh { dst[c] = src[c] * inverse }
            }
        }
    }
}

/// In-place softmax of the first `n` elements of a row (n = 0 leaves it untouched).
@inline(__always) func softmaxRow(_ row: UnsafeMutablePointer<Float>, _ n: Int) { dd_softmax(row, n) }
