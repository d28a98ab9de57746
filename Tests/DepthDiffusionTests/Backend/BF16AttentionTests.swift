import CDepthKernels
import XCTest
@testable import DepthDiffusion

/// Attention with `bf16Products`: the CPU backend's bf16 flash path (AVX512-BF16) against the double-precision
/// reference, and the float32 result wherever bf16 products are not taken (no AVX512-BF16, causal masks, short
/// key sequences, the OpenCL backend).
final class BF16AttentionTests: XCTestCase {
    /// Blocks of 5 keys and 7 query rows, so that small shapes take the flash path (more than two key blocks).
    private func smallBlocks() throws -> CPUBackend {
        try CPUBackend(tuning: CPUTuning(attentionKeyBlock: 5, attentionRowBlock: 7))
    }

    private func run(_ be: ComputeBackend, _ d: AttentionDescriptor, _ q: [Float], _ k: [Float], _ v: [Float]) throws -> [Float] {
        let qt = try Tensor(shape: [q.count], data: q, on: be), kt = try Tensor(shape: [k.count], data: k, on: be)
        let vt = try Tensor(shape: [v.count], data: v, on: be)
        let out = try Tensor(uninitializedShape: [d.batch, d.queryLength, d.heads * d.headDim], on: be)
        try be.attention(d, q: qt.buffer, k: kt.buffer, v: vt.buffer, output: out.buffer)
        return try out.toArray()
    }

    func testBF16FlashAttentionOnCPU() throws {
        var rng = TestRandom(seed: 31)
        let cpu = try smallBlocks()
        var fusedCase = AttentionDescriptor(batch: 2, heads: 2, queryLength: 23, keyLength: 23, headDim: 6, bf16Products: true)
        fusedCase.qRowStride = 3 * 12; fusedCase.kRowStride = 3 * 12; fusedCase.vRowStride = 3 * 12
        fusedCase.kOffset = 12; fusedCase.vOffset = 24
        var worst = 0.0
        for d in [AttentionDescriptor(batch: 2, heads: 2, queryLength: 29, keyLength: 37, headDim: 6, bf16Products: true),
                  AttentionDescriptor(batch: 1, heads: 3, queryLength: 16, keyLength: 64, headDim: 64, scale: 0.2,
                                      bf16Products: true),
                  AttentionDescriptor(batch: 1, heads: 1, queryLength: 9, keyLength: 11, headDim: 33, bf16Products: true),
                  fusedCase] {
            XCTAssertEqual(cpu.usesBF16Attention(d), BF16GEMMPath.preferred == .avx512bf16)
            let hd = d.heads * d.headDim, fused = d.kOffset > 0
            let q = rng.floats(fused ? d.batch * d.queryLength * 3 * hd : d.batch * d.queryLength * hd, scale: 3)
            let k = fused ? q : rng.floats(d.batch * d.keyLength * hd, scale: 3)
            let v = fused ? q : rng.floats(d.batch * d.keyLength * hd)
            let expected = Ref.attention(d, q: q, k: k, v: v)
            let actual = try run(cpu, d, q, k, v)
            var float32 = d
            float32.bf16Products = false
            let exact = try run(cpu, float32, q, k, v)
            let error = zip(actual, expected).map { abs(Double($0) - $1) }.max() ?? 0
            if cpu.usesBF16Attention(d) {
                worst = max(worst, error)
                // Measured: at most 1.8e-2 (outputs up to ~1, scores up to ~20): bf16 keeps 8 bits of Q, K, P and V.
                assertClose(actual, expected, atol: 3e-2, rtol: 0, "bf16 attention \(d)")
                XCTAssertNotEqual(actual, exact, "the bf16 path rounds: \(d)")
                // Jobs are claimed by whichever core is free: any number of cores gives the same bits.
                for threads in [1, 3] {
                    let other = try CPUBackend(threads: threads, tuning: CPUTuning(attentionKeyBlock: 5, attentionRowBlock: 7))
                    XCTAssertEqual(try run(other, d, q, k, v), actual, "\(threads) threads: \(d)")
                }
            } else {
                XCTAssertEqual(actual, exact, "without AVX512-BF16 the float32 path runs: \(d)")
            }
        }
        print("[measured] bf16 flash attention on cpu: max abs error \(worst)")
    }

    /// One job of the bf16 flash path, `dd_bf16_attention_rows`, against the composition it replaces
    /// (`dd_bf16_gemm` for both products, `dd_online_softmax` over float32 scores, float32 rescaling and
    /// division), bit for bit: partial row groups, odd head sizes, a short last key block, odd key counts and
    /// scores spread wide enough that many probabilities underflow to zero.
    func testFusedJobMatchesTheGEMMAndSoftmaxComposition() throws {
        try XCTSkipUnless(BF16GEMMPath.preferred == .avx512bf16, "needs AVX512-BF16")
        var rng = TestRandom(seed: 33)
        let cases: [(rows: Int, dh: Int, keys: Int, block: Int, spread: Float)] =
            [(64, 64, 600, 256, 3), (7, 64, 1024, 256, 3), (13, 33, 37, 5, 3), (9, 40, 101, 16, 40), (8, 16, 70, 32, 1)]
        for c in cases {
            let ldq = c.dh + 3, ldo = c.dh + 5, ldk = c.dh + 2
            let q = rng.floats(c.rows * ldq, scale: c.spread), k = rng.floats(c.keys * ldk, scale: 3)
            let v = rng.floats(c.keys * ldk)
            let scale = 1 / Float(c.dh).squareRoot()
            let kStride = Int(dd_bf16_packed_count(c.block, c.dh)), vStride = Int(dd_bf16_packed_count(c.dh, c.block))
            let blocks = (c.keys + c.block - 1) / c.block
            var kp = [UInt16](repeating: 0, count: blocks * kStride), vp = [UInt16](repeating: 0, count: blocks * vStride)
            for b in 0..<blocks {
                let k0 = b * c.block, n = min(c.block, c.keys - k0)
                k.withUnsafeBufferPointer { src in kp.withUnsafeMutableBufferPointer {
                    dd_bf16_pack_b(src.baseAddress! + k0 * ldk, Int32(DD_SOURCE_F32), 1, n, c.dh, ldk, $0.baseAddress! + b * kStride)
                } }
                v.withUnsafeBufferPointer { src in vp.withUnsafeMutableBufferPointer {
                    dd_bf16_pack_b(src.baseAddress! + k0 * ldk, Int32(DD_SOURCE_F32), 0, c.dh, n, ldk, $0.baseAddress! + b * vStride)
                } }
            }
            // The composition.
            var expected = [Float](repeating: 0, count: c.rows * ldo)
            var queries = [Float](repeating: 0, count: c.rows * c.dh), acc = queries
            var s = [Float](repeating: 0, count: c.rows * c.block)
            var maxima = [Float](repeating: -.infinity, count: c.rows), sums = [Float](repeating: 0, count: c.rows)
            for r in 0..<c.rows { for j in 0..<c.dh { queries[r * c.dh + j] = q[r * ldq + j] * scale } }
            for b in 0..<blocks {
                let n = min(c.block, c.keys - b * c.block)
                kp.withUnsafeBufferPointer { kb in
                    XCTAssertEqual(dd_bf16_gemm(c.rows, n, c.dh, queries, c.dh, kb.baseAddress! + b * kStride, 0, n, &s,
                                                c.block, 0, nil), 0)
                }
                for r in 0..<c.rows {
                    let factor = s.withUnsafeMutableBufferPointer {
                        dd_online_softmax($0.baseAddress! + r * c.block, n, &maxima[r], &sums[r])
                    }
                    if factor != 1 { for j in 0..<c.dh { acc[r * c.dh + j] *= factor } }
                }
                vp.withUnsafeBufferPointer { vb in
                    XCTAssertEqual(dd_bf16_gemm(c.rows, c.dh, n, s, c.block, vb.baseAddress! + b * vStride, 0, c.dh, &acc,
                                                c.dh, 1, nil), 0)
                }
            }
            for r in 0..<c.rows {
                let inverse = 1 / sums[r]
                for j in 0..<c.dh { expected[r * ldo + j] = acc[r * c.dh + j] * inverse }
            }
            // The fused job.
            var actual = [Float](repeating: 0, count: c.rows * ldo)
            var scratch = [Float](repeating: .nan, count: Int(dd_bf16_attention_scratch_floats(c.rows, c.dh, c.block)))
            let status = dd_bf16_attention_rows(c.rows, c.dh, q, ldq, scale, kp, kStride, vp, vStride, c.keys, c.block,
                                                &actual, ldo, &scratch)
            XCTAssertEqual(status, 0)
            XCTAssertEqual(actual, expected, "\(c)")
            XCTAssertFalse(actual.contains { !$0.isFinite }, "\(c)")
        }
        // Invalid arguments are refused without writing.
        var out = [Float](repeating: 7, count: 4)
        var scratch = [Float](repeating: 0, count: 64)
        XCTAssertEqual(dd_bf16_attention_rows(1, 4, [1, 2, 3, 4], 4, 1, [0], 1, [0], 1, 1, 1, &out, 4, &scratch), -1)
        XCTAssertEqual(out, [7, 7, 7, 7])
        XCTAssertEqual(dd_bf16_attention_scratch_floats(0, 4, 4), 0)
    }

    func testBF16ProductsAreNotTakenWhereTheyDoNotApply() throws {
        // Causal masks and short key sequences keep float32 on the CPU; OpenCL always computes in float32.
        var rng = TestRandom(seed: 32)
        let cpu = try smallBlocks()
        let cases = [AttentionDescriptor(batch: 1, heads: 2, queryLength: 31, keyLength: 31, headDim: 8, causal: true),
                     AttentionDescriptor(batch: 2, heads: 1, queryLength: 12, keyLength: 10, headDim: 4)]
        for base in cases {
            var d = base
            d.bf16Products = true
            XCTAssertFalse(cpu.usesBF16Attention(d))
            let hd = d.heads * d.headDim
            let q = rng.floats(d.batch * d.queryLength * hd), k = rng.floats(d.batch * d.keyLength * hd)
            let v = rng.floats(d.batch * d.keyLength * hd)
            XCTAssertEqual(try run(cpu, d, q, k, v), try run(cpu, base, q, k, v), "\(d)")
        }
        if let gpu = try openCLBackendIfPresent() {
            let d = AttentionDescriptor(batch: 1, heads: 2, queryLength: 40, keyLength: 600, headDim: 16, bf16Products: true)
            var float32 = d
            float32.bf16Products = false
            let q = rng.floats(40 * 32), k = rng.floats(600 * 32), v = rng.floats(600 * 32)
            XCTAssertEqual(try run(gpu, d, q, k, v), try run(gpu, float32, q, k, v), "OpenCL ignores bf16Products")
        }
    }

    func testAttentionModulesAskForBF16ProductsWithBF16Weights() throws {
        // `Attention` sets the flag from the binder's precision (the one the backend actually uses).
        let cpu = try CPUBackend()
        for precision in WeightPrecision.allCases {
            let binder = WeightBinder(source: RandomWeightSource(seed: 1), backend: cpu, precision: precision)
            let attention = try Attention(binder, queryDim: 8, heads: 2, dimHead: 4, bias: false)
            XCTAssertEqual(attention.bf16Products, precision == .bf16, "\(precision)")
        }
    }
}
