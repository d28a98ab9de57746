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
