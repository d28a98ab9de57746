import CDepthKernels

// Blocked attention on the CPU backend.
//
// For each batch and head, queries are processed in blocks of rows: S = scale · Q_blk Kᵀ (one GEMM),
// a row softmax (with the causal mask applied), then O_blk = S V (one GEMM). Only one block of the
// score matrix exists at a time: at most `scoreBudget` floats (or one row when a row is longer).

extension CPUBackend {
    public func attention(_ d: AttentionDescriptor, q: DeviceBuffer, k: DeviceBuffer, v: DeviceBuffer,
                          output: DeviceBuffer) throws {
        let pq = ptr(q), pk = ptr(k), pv = ptr(v), po = ptr(output)
        let (lq, lk, dh, hd) = (d.queryLength, d.keyLength, d.headDim, d.heads * d.headDim)
        let blockRows = max(1, min(lq, attentionScoreBudget / max(lk, 1)))
        let scores = try Scratch(count: blockRows * lk, pool: pool)
        let s = scores.pointer
        for b in 0..<d.batch {
            for h in 0..<d.heads {
                let qBase = pq + d.qOffset + b * lq * d.qRowStride + h * dh
                let kBase = pk + d.kOffset + b * lk * d.kRowStride + h * dh
                let vBase = pv + d.vOffset + b * lk * d.vRowStride + h * dh
                var r0 = 0
                while r0 < lq {
                    let rows = min(blockRows, lq - r0)
                    sgemm(m: rows, n: lk, k: dh, transposeB: true, alpha: d.scale, a: qBase + r0 * d.qRowStride,
                          lda: d.qRowStride, b: kBase, ldb: d.kRowStride, c: s, ldc: lk)
                    let causal = d.causal, start = r0
                    Parallel.forEach(rows, grain: max(1, 8192 / max(lk, 1))) { range in
                        for r in range {
                            let row = s + r * lk
                            let visible = causal ? min(lk, start + r + 1) : lk
                            softmaxRow(row, visible)
                            if visible < lk { (row + visible).update(repeating: 0, count: lk - visible) }
                        }
                    }
                    sgemm(m: rows, n: dh, k: lk, a: s, lda: lk, b: vBase, ldb: d.vRowStride,
                          c: po + b * lq * hd + r0 * hd + h * dh, ldc: hd)
                    r0 += rows
                }
            }
        }
    }
}

/// In-place softmax of the first `n` elements of a row (n = 0 leaves it untouched).
@inline(__always) func softmaxRow(_ row: UnsafeMutablePointer<Float>, _ n: Int) { dd_softmax(row, n) }
