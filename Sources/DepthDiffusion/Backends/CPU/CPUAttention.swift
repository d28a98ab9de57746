import CDepthKernels
// Blocked attention on the CPU backend.
//
// The work is split into jobs of (batch, head, block of query rows). Each job computes
// S = scale · Q_blk Kᵀ (one GEMM), a row softmax (with the causal mask applied) and O_blk = S V (one
// GEMM). Jobs run on all cores at once with OpenBLAS set to one thread for the duration, so that BLAS
// threads and the softmax never compete for the cores. Each worker owns one score block: at most
// `attentionScoreBudget` floats (or one row when a row is longer).

extension CPUBackend {
    public func attention(_ d: AttentionDescriptor, q: DeviceBuffer, k: DeviceBuffer, v: DeviceBuffer,
                          output: DeviceBuffer) throws {
        let pq = ptr(q), pk = ptr(k), pv = ptr(v), po = ptr(output)
        let (lq, lk, dh, hd) = (d.queryLength, d.keyLength, d.headDim, d.heads * d.headDim)
        let blockRows = max(1, min(lq, attentionScoreBudget / max(lk, 1)))
        let blocks = (lq + blockRows - 1) / blockRows
        let jobs = d.batch * d.heads * blocks
        let workers = min(Parallel.workers, jobs)
        let scores = try Scratch(count: workers * blockRows * lk, pool: pool)
        Parallel.withSingleThreadedBLAS(parts: workers) { w in
            let s = scores.pointer + w * blockRows * lk
            for job in stride(from: w, to: jobs, by: workers) {
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
}

/// In-place softmax of the first `n` elements of a row (n = 0 leaves it untouched).
@inline(__always) func softmaxRow(_ row: UnsafeMutablePointer<Float>, _ n: Int) { dd_softmax(row, n) }
