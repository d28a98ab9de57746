import XCTest
@testable import DepthDiffusion

/// Every `ComputeBackend` operation on every backend in ``conformanceBackends()`` and on its generic
/// fallback (``conformanceBackendsWithFallbacks()``), against the double-precision reference in ``Ref``
/// and against the other backends, over seeded random shapes
/// that include awkward sizes (odd, 1, not multiples of any tile).
///
/// Tolerances are `|x - ref| ≤ atol + rtol·|ref|`, set a few times above the largest error measured
/// on the CPU backend (run with `CONFORMANCE_REPORT=1` to print the measured errors).
final class ConformanceTests: XCTestCase {
    /// Runs `op` on every backend, checks it against `reference` and the backends against each other.
    func conform(_ label: String, atol: Double, rtol: Double, reference: [Double],
                 file: StaticString = #filePath, line: UInt = #line,
                 _ op: (ComputeBackend) throws -> Tensor) throws {
        var outputs: [(String, [Float])] = []
        for backend in try conformanceBackendsWithFallbacks() {
            let out = try op(backend).toArray()
            assertClose(out, reference, atol: atol, rtol: rtol, "\(label) [\(backend.name)]", file: file, line: line)
            outputs.append((backend.name, out))
        }
        for i in 0..<outputs.count {
            for j in (i + 1)..<outputs.count {
                assertClose(outputs[j].1, outputs[i].1.map(Double.init), atol: atol, rtol: rtol,
                            "\(label) [\(outputs[j].0) vs \(outputs[i].0)]", file: file, line: line)
            }
        }
    }

    func t(_ b: ComputeBackend, _ shape: [Int], _ data: [Float]) throws -> Tensor {
        try Tensor(shape: shape, data: data, on: b)
    }

    // MARK: GEMM

    func testGEMMKernelAllLayouts() throws {
        var rng = TestRandom(seed: 1)
        for trial in 0..<24 {
            let (m, n, k) = (rng.int(1...37), rng.int(1...41), rng.int(1...53))
            let batch = rng.int(1...3)
            let ta = trial & 1 == 1, tb = trial & 2 == 2
            var d = GEMMDescriptor(batch: batch, m: m, n: n, k: k, transposeA: ta, transposeB: tb,
                                   broadcastA: trial % 5 == 0, broadcastB: trial % 7 == 0,
                                   alpha: trial % 3 == 0 ? 0.5 : 1, beta: trial % 4 == 3 ? 0.75 : 0,
                                   bias: [.none, .perColumn, .perRow][trial % 3])
            // Padded leading dimensions and offsets on some trials.
            if trial % 6 == 5 {
                d.lda += 3; d.ldb += 2; d.ldc += 1
                d.offsetA = 5; d.offsetB = 2; d.offsetC = 4
                d.strideA = d.strideA == 0 ? 0 : (ta ? k : m) * d.lda
                d.strideB = d.strideB == 0 ? 0 : (tb ? n : k) * d.ldb
                d.strideC = m * d.ldc
            }
            let aCount = d.offsetA + max(d.strideA * (batch - 1), 0) + (ta ? k : m) * d.lda
            let bCount = d.offsetB + max(d.strideB * (batch - 1), 0) + (tb ? n : k) * d.ldb
            let cCount = d.offsetC + d.strideC * batch
            let a = rng.floats(aCount), b = rng.floats(bCount), c = rng.floats(cCount)
            let bias = d.bias == .none ? nil : rng.floats(d.bias == .perColumn ? n : m)
            // The reference leaves padding elements of C as given; so does every backend.
            let expected = Ref.gemm(d, a: a, b: b, bias: bias, c: c)
            try conform("gemm #\(trial) \(d.batch)x\(m)x\(n)x\(k) ta=\(ta) tb=\(tb)", atol: 1e-5, rtol: 1e-5,
                        reference: expected) { be in
                let out = try t(be, [cCount], c)
                try be.gemm(d, a: t(be, [aCount], a).buffer, b: t(be, [bCount], b).buffer,
                            bias: try bias.map { try t(be, [$0.count], $0).buffer }, c: out.buffer)
                return out
            }
        }
    }

    /// The CPU backend cuts a product into blocks of rows (or columns, when wider than tall) that its cores claim
    /// one at a time. With the thresholds shrunk so that small products are cut too, every layout, bias, batch
    /// and block edge gives the reference's values, and those of one uncut `sgemm` on one thread (not always
    /// their bits: OpenBLAS's kernels for a block's edge rows may sum in another order); so does the residual
    /// epilogue, which fills each block before its product.
    func testGEMMSplitIntoBlocksOnCPU() throws {
        var rng = TestRandom(seed: 11)
        let whole = try CPUBackend(threads: 1)
        for threads in [2, 3] {
            let split = try CPUBackend(threads: threads, tuning: CPUTuning(gemmSplitMinimumFlops: 0, gemmMinimumBlock: 16,
                                                                             gemmBlocksPerWorker: 3))
            for trial in 0..<16 {
                let tall = trial % 2 == 0
                let (m, n, k) = tall ? (rng.int(40...150), rng.int(1...39), rng.int(1...40))
                                     : (rng.int(1...39), rng.int(40...150), rng.int(1...40))
                let ta = trial & 2 == 2, tb = trial & 4 == 4
                var d = GEMMDescriptor(batch: rng.int(1...2), m: m, n: n, k: k, transposeA: ta, transposeB: tb,
                                       broadcastA: trial % 5 == 0, alpha: trial % 3 == 0 ? 0.5 : 1,
                                       beta: trial % 4 == 3 ? 0.75 : 0, bias: [.none, .perColumn, .perRow][trial % 3])
                if trial % 3 == 1 {
                    d.lda += 3; d.ldb += 2; d.ldc += 1
                    d.offsetA = 5; d.offsetB = 2; d.offsetC = 4
                    d.strideA = d.strideA == 0 ? 0 : (ta ? k : m) * d.lda
                    d.strideB = (tb ? n : k) * d.ldb
                    d.strideC = m * d.ldc
                }
                let aCount = d.offsetA + max(d.strideA * (d.batch - 1), 0) + (ta ? k : m) * d.lda
                let bCount = d.offsetB + d.strideB * (d.batch - 1) + (tb ? n : k) * d.ldb
                let cCount = d.offsetC + d.strideC * d.batch
                let a = rng.floats(aCount), b = rng.floats(bCount), c = rng.floats(cCount)
                let bias = d.bias == .none ? nil : rng.floats(d.bias == .perColumn ? n : m)
                let label = "split gemm \(threads) threads #\(trial) \(d.batch)x\(m)x\(n)x\(k) ta=\(ta) tb=\(tb) \(d.bias)"
                var outputs: [[Float]] = []
                for be in [split, whole] as [ComputeBackend] {
                    let out = try t(be, [cCount], c)
                    try be.gemm(d, a: t(be, [aCount], a).buffer, b: t(be, [bCount], b).buffer,
                                bias: try bias.map { try t(be, [$0.count], $0).buffer }, c: out.buffer)
                    outputs.append(try out.toArray())
                }
                assertClose(outputs[0], Ref.gemm(d, a: a, b: b, bias: bias, c: c), atol: 1e-5, rtol: 1e-5, label)
                assertClose(outputs[0], outputs[1].map(Double.init), atol: 1e-5, rtol: 1e-5, "\(label) vs one uncut sgemm")
                if ProcessInfo.processInfo.environment["CONFORMANCE_REPORT"] != nil {
                    print("[measured] \(label): max |split - uncut| \(zip(outputs[0], outputs[1]).map { abs($0 - $1) }.max() ?? 0)")
                }
                // The residual epilogue fills each block with residual + bias before the block's product.
                guard d.beta == 0 else { continue }
                var residualRNG = TestRandom(seed: UInt64(100 + trial))
                let residual = residualRNG.floats(cCount)
                var expected = Ref.gemm(d, a: a, b: b, bias: bias, c: c)
                for i in 0..<d.batch { for r in 0..<m { for j in 0..<n {
                    let index: Int = d.offsetC + i * d.strideC + r * d.ldc + j
                    expected[index] += Double(residual[index])
                } } }
                let out = try t(split, [cCount], c)
                try split.gemm(d, a: t(split, [aCount], a).buffer, b: t(split, [bCount], b).buffer,
                               bias: try bias.map { try t(split, [$0.count], $0).buffer }, activation: nil,
                               residual: t(split, [cCount], residual).buffer, c: out.buffer)
                assertClose(try out.toArray(), expected, atol: 1e-5, rtol: 1e-5, "\(label) with a residual")
            }
        }
    }

    func testMatmulAndLinear() throws {
        var rng = TestRandom(seed: 2)
        let a = rng.floats(2 * 5 * 7), b = rng.floats(7 * 3), w = rng.floats(6 * 7), bias = rng.floats(6)
        let mm = Ref.gemm(GEMMDescriptor(batch: 2, m: 5, n: 3, k: 7, broadcastB: true), a: a, b: b, bias: nil,
                          c: [Float](repeating: 0, count: 30))
        try conform("matmul broadcast B", atol: 1e-5, rtol: 1e-5, reference: mm) { be in
            try be.matmul(t(be, [2, 5, 7], a), t(be, [7, 3], b))
        }
        let lin = Ref.gemm(GEMMDescriptor(m: 10, n: 6, k: 7, transposeB: true, bias: .perColumn), a: a, b: w, bias: bias,
                           c: [Float](repeating: 0, count: 60))
        try conform("linear", atol: 1e-5, rtol: 1e-5, reference: lin) { be in
            try be.linear(t(be, [2, 5, 7], a), weight: t(be, [6, 7], w), bias: t(be, [6], bias))
        }
        for be in try conformanceBackendsWithFallbacks() {
            XCTAssertThrowsError(try be.matmul(t(be, [2, 3], a.prefix(6).map { $0 }), t(be, [2, 3], b.prefix(6).map { $0 })))
            XCTAssertThrowsError(try be.linear(t(be, [2, 7], a.prefix(14).map { $0 }), weight: t(be, [7, 6], w.prefix(42).map { $0 }), bias: nil))
        }
    }

    /// Linear layers that read a channel-major map as tokens and write tokens back as a channel-major map
    /// (the UNet's `proj_in`/`proj_out`), against the reference product and against each other's backends,
    /// with and without a bias and a residual, on odd sizes.
    func testLinearBetweenChannelMajorAndTokens() throws {
        var rng = TestRandom(seed: 12)
        for trial in 0..<4 {
            let (batch, cin, cout, h, w) = (rng.int(1...2), rng.int(1...9), rng.int(1...7), rng.int(1...5), rng.int(1...6))
            let l = h * w
            let x = rng.floats(batch * cin * l), weight = rng.floats(cout * cin)
            let bias: [Float]? = trial % 2 == 0 ? rng.floats(cout) : nil
            // Tokens [B, L, out] = xᵀ · weightᵀ + bias, per image.
            let toTokens = Ref.gemm(GEMMDescriptor(batch: batch, m: l, n: cout, k: cin, transposeA: true, transposeB: true,
                                                   broadcastB: true, bias: bias == nil ? .none : .perColumn),
                                    a: x, b: weight, bias: bias, c: [Float](repeating: 0, count: batch * l * cout))
            try conform("linear(channelMajor:) #\(trial) \(batch)x\(cin)x\(h)x\(w) -> \(cout)", atol: 1e-5, rtol: 1e-5,
                        reference: toTokens) { be in
                try be.linear(channelMajor: t(be, [batch, cin, h, w], x), weight: t(be, [cout, cin], weight),
                              bias: try bias.map { try t(be, [cout], $0) })
            }
            // Channel-major [B, out, L] = weight · tokensᵀ + bias (+ residual), per image.
            let tokens = rng.floats(batch * l * cin), residual: [Float]? = trial < 2 ? rng.floats(batch * cout * l) : nil
            let product = Ref.gemm(GEMMDescriptor(batch: batch, m: cout, n: l, k: cin, transposeB: true, broadcastA: true,
                                                  bias: bias == nil ? .none : .perRow),
                                   a: weight, b: tokens, bias: bias, c: [Float](repeating: 0, count: batch * cout * l))
            let expected = residual.map { r in zip(product, r).map { $0 + Double($1) } } ?? product
            try conform("linearToChannelMajor #\(trial) residual \(residual != nil)", atol: 1e-5, rtol: 1e-5,
                        reference: expected) { be in
                try be.linearToChannelMajor(t(be, [batch, l, cin], tokens), weight: t(be, [cout, cin], weight),
                                            bias: try bias.map { try t(be, [cout], $0) },
                                            adding: try residual.map { try t(be, [batch, cout, h, w], $0) })
            }
        }
        for be in try conformanceBackendsWithFallbacks() {
            XCTAssertThrowsError(try be.linear(channelMajor: t(be, [1, 3, 2], [Float](repeating: 0, count: 6)),
                                               weight: t(be, [2, 4], [Float](repeating: 0, count: 8)), bias: nil))
            XCTAssertThrowsError(try be.linearToChannelMajor(t(be, [1, 2, 3], [Float](repeating: 0, count: 6)),
                                                             weight: t(be, [2, 3], [Float](repeating: 0, count: 6)), bias: nil,
                                                             adding: t(be, [1, 3, 2], [Float](repeating: 0, count: 6))))
        }
    }

    // MARK: Convolution

    func testConv2DRandomShapes() throws {
        var rng = TestRandom(seed: 3)
        var cases: [Conv2DDescriptor] = [
            // 1x1 fast path, shifted-GEMM path (stride 1, large map), im2col path (small map / stride 2),
            // asymmetric (TF "SAME") padding, a 7x7 stride-2 stem, 1x1 maps and non-square kernels.
            Conv2DDescriptor(batch: 2, inChannels: 5, height: 9, width: 7, outChannels: 3, kernelH: 1, kernelW: 1),
            Conv2DDescriptor(batch: 2, inChannels: 4, height: 23, width: 21, outChannels: 6, kernelH: 3, kernelW: 3,
                             padTop: 1, padBottom: 1, padLeft: 1, padRight: 1),
            Conv2DDescriptor(batch: 1, inChannels: 3, height: 8, width: 8, outChannels: 5, kernelH: 3, kernelW: 3,
                             strideH: 2, strideW: 2, padTop: 0, padBottom: 1, padLeft: 0, padRight: 1),
            Conv2DDescriptor(batch: 1, inChannels: 3, height: 19, width: 17, outChannels: 4, kernelH: 7, kernelW: 7,
                             strideH: 2, strideW: 2, padTop: 2, padBottom: 3, padLeft: 2, padRight: 3),
            Conv2DDescriptor(batch: 3, inChannels: 2, height: 1, width: 1, outChannels: 3, kernelH: 3, kernelW: 3,
                             padTop: 1, padBottom: 1, padLeft: 1, padRight: 1),
            Conv2DDescriptor(batch: 1, inChannels: 3, height: 6, width: 11, outChannels: 2, kernelH: 1, kernelW: 3,
                             strideH: 1, strideW: 3, padLeft: 2, padRight: 0),
        ]
        for _ in 0..<10 {
            let k = [1, 2, 3, 5][rng.int(0...3)], s = rng.int(1...3)
            let h = rng.int(k...17), w = rng.int(k...17)
            cases.append(Conv2DDescriptor(batch: rng.int(1...2), inChannels: rng.int(1...9), height: h, width: w,
                                          outChannels: rng.int(1...7), kernelH: k, kernelW: k, strideH: s, strideW: s,
                                          padTop: rng.int(0...2), padBottom: rng.int(0...2), padLeft: rng.int(0...2),
                                          padRight: rng.int(0...2)))
        }
        for (i, d) in cases.enumerated() {
            let x = rng.floats(d.batch * d.inChannels * d.height * d.width)
            let w = rng.floats(d.outChannels * d.inChannels * d.kernelH * d.kernelW)
            let b: [Float]? = i % 3 == 2 ? nil : rng.floats(d.outChannels)
            try conform("conv2d #\(i) \(d)", atol: 3e-5, rtol: 1e-5, reference: Ref.conv2d(d, x: x, w: w, b: b)) { be in
                try be.conv2d(t(be, [d.batch, d.inChannels, d.height, d.width], x),
                              weight: t(be, [d.outChannels, d.inChannels, d.kernelH, d.kernelW], w),
                              bias: try b.map { try t(be, [d.outChannels], $0) }, stride: (d.strideH, d.strideW),
                              padding: Padding2D(top: d.padTop, bottom: d.padBottom, left: d.padLeft, right: d.padRight))
            }
        }
    }

    func testConv2DTilingOnCPU() throws {
        // Force several tiles in both the shifted-GEMM and the im2col paths, and (100 output channels on 2 or 3
        // threads) several, uneven channel slices of the shifted GEMM.
        var rng = TestRandom(seed: 4)
        let cases = [Conv2DDescriptor(batch: 2, inChannels: 3, height: 20, width: 18, outChannels: 4, kernelH: 3, kernelW: 3,
                                      padTop: 1, padBottom: 1, padLeft: 1, padRight: 1),
                     Conv2DDescriptor(batch: 1, inChannels: 3, height: 12, width: 11, outChannels: 100, kernelH: 3, kernelW: 3,
                                      padTop: 1, padBottom: 1, padLeft: 1, padRight: 1),
                     Conv2DDescriptor(batch: 2, inChannels: 3, height: 9, width: 10, outChannels: 4, kernelH: 3, kernelW: 3,
                                      strideH: 2, strideW: 2, padTop: 1, padBottom: 0, padLeft: 1, padRight: 0)]
        for threads in [2, 3] {
            let cpu = try CPUBackend(threads: threads, tuning: CPUTuning(im2colBudget: 200, shiftedTileColumns: 37,
                                                                           winogradEnabled: false))
            for d in cases {
                let x = rng.floats(d.batch * d.inChannels * d.height * d.width)
                let w = rng.floats(d.outChannels * d.inChannels * 9), b = rng.floats(d.outChannels)
                let y = try cpu.conv2d(t(cpu, [d.batch, d.inChannels, d.height, d.width], x),
                                       weight: t(cpu, [d.outChannels, 3, 3, 3], w), bias: t(cpu, [d.outChannels], b),
                                       stride: (d.strideH, d.strideW),
                                       padding: Padding2D(top: d.padTop, bottom: d.padBottom, left: d.padLeft, right: d.padRight))
                assertClose(try y.toArray(), Ref.conv2d(d, x: x, w: w, b: b), atol: 1e-5, rtol: 1e-5,
                            "tiled conv \(d), \(threads) threads")
            }
        }
    }

    func testConv2DWinogradOnCPU() throws {
        // Winograd F(4x4, 3x3) on every stride-1 3x3 shape (minimum side lowered to 1), in several chunks of tile
        // rows, against the double-precision reference and against the direct (shifted-GEMM) path.
        var rng = TestRandom(seed: 5)
        let winograd = try CPUBackend(tuning: CPUTuning(winogradMinimumSide: 1, winogradMinimumTiles: 1,
                                                        winogradTileBudget: 36 * 4 * 64))
        let direct = try CPUBackend(tuning: CPUTuning(winogradEnabled: false))
        var worst = 0.0
        for d in [Conv2DDescriptor(batch: 2, inChannels: 16, height: 13, width: 11, outChannels: 24, kernelH: 3, kernelW: 3,
                                   padTop: 1, padBottom: 1, padLeft: 1, padRight: 1),
                  Conv2DDescriptor(batch: 1, inChannels: 64, height: 32, width: 32, outChannels: 40, kernelH: 3, kernelW: 3,
                                   padTop: 1, padBottom: 1, padLeft: 1, padRight: 1),
                  Conv2DDescriptor(batch: 1, inChannels: 3, height: 9, width: 30, outChannels: 5, kernelH: 3, kernelW: 3,
                                   padTop: 0, padBottom: 2, padLeft: 1, padRight: 0),
                  Conv2DDescriptor(batch: 3, inChannels: 33, height: 4, width: 5, outChannels: 17, kernelH: 3, kernelW: 3)] {
            XCTAssertTrue(winograd.usesWinograd(d))
            let x = rng.floats(d.batch * d.inChannels * d.height * d.width)
            let w = rng.floats(d.outChannels * d.inChannels * 9), b = rng.floats(d.outChannels)
            let reference = Ref.conv2d(d, x: x, w: w, b: b)
            func run(_ be: CPUBackend) throws -> [Float] {
                try be.conv2d(t(be, [d.batch, d.inChannels, d.height, d.width], x), weight: t(be, [d.outChannels, d.inChannels, 3, 3], w),
                              bias: t(be, [d.outChannels], b), stride: (1, 1),
                              padding: Padding2D(top: d.padTop, bottom: d.padBottom, left: d.padLeft, right: d.padRight)).toArray()
            }
            let fast = try run(winograd)
            let scale = reference.map(abs).max() ?? 1
            worst = max(worst, (zip(fast, reference).map { abs(Double($0) - $1) }.max() ?? 0) / scale)
            // Measured: at most 2.7e-6 of the output scale (inputs in [-1, 1], up to 64 input channels); direct: ~1e-7.
            assertClose(fast, reference, atol: 1e-5 * scale, rtol: 0, "winograd conv \(d)")
            assertClose(fast, try run(direct), atol: 1e-5 * scale, rtol: 0, "winograd vs direct \(d)")
        }
        print("[measured] winograd conv on cpu: max error \(worst) of the output scale")
    }

    func testWinogradChoiceNeedsEnoughTiles() throws {
        // Default tuning: DPT-Hybrid's 24x24 maps at batch 1 (36 tiles) take the direct path, the UNet's at batch 2
        // (72 tiles) and its 64x64 maps take Winograd; 16x16 maps are below the minimum side.
        let cpu = try CPUBackend()
        func conv(_ batch: Int, _ side: Int, _ channels: Int) -> Conv2DDescriptor {
            Conv2DDescriptor(batch: batch, inChannels: channels, height: side, width: side, outChannels: channels,
                             kernelH: 3, kernelW: 3, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1)
        }
        XCTAssertFalse(cpu.usesWinograd(conv(1, 24, 256)))
        XCTAssertTrue(cpu.usesWinograd(conv(2, 24, 640)))
        XCTAssertTrue(cpu.usesWinograd(conv(2, 64, 320)))
        XCTAssertFalse(cpu.usesWinograd(conv(2, 16, 1280)))
    }

    // MARK: Attention

    func testAttention() throws {
        var rng = TestRandom(seed: 5)
        var cases: [AttentionDescriptor] = [
            AttentionDescriptor(batch: 1, heads: 1, queryLength: 1, keyLength: 1, headDim: 1),
            AttentionDescriptor(batch: 2, heads: 3, queryLength: 17, keyLength: 17, headDim: 5, causal: true),
            AttentionDescriptor(batch: 2, heads: 2, queryLength: 33, keyLength: 7, headDim: 8),
            AttentionDescriptor(batch: 1, heads: 4, queryLength: 3, keyLength: 77, headDim: 16, scale: 0.3),
        ]
        for _ in 0..<6 {
            let lq = rng.int(1...40), causal = rng.bool()
            cases.append(AttentionDescriptor(batch: rng.int(1...2), heads: rng.int(1...3), queryLength: lq,
                                             keyLength: causal ? lq : rng.int(1...40), headDim: rng.int(1...12), causal: causal))
        }
        for (i, d) in cases.enumerated() {
            let hd = d.heads * d.headDim
            let q = rng.floats(d.batch * d.queryLength * hd, scale: 2), k = rng.floats(d.batch * d.keyLength * hd, scale: 2)
            let v = rng.floats(d.batch * d.keyLength * hd)
            try conform("attention #\(i)", atol: 2e-6, rtol: 1e-5, reference: Ref.attention(d, q: q, k: k, v: v)) { be in
                try be.attention(q: t(be, [d.batch, d.queryLength, hd], q), k: t(be, [d.batch, d.keyLength, hd], k),
                                 v: t(be, [d.batch, d.keyLength, hd], v), heads: d.heads, scale: d.scale, causal: d.causal)
            }
        }
    }

    func testAttentionFusedLayoutAndBlocks() throws {
        // Q, K and V read in place from one fused [B, L, 3·H·D] projection, with a small score budget so
        // that the query rows are split into many blocks.
        var rng = TestRandom(seed: 6)
        let (b, l, h, dh) = (2, 29, 2, 6)
        let fused = rng.floats(b * l * 3 * h * dh, scale: 2)
        var d = AttentionDescriptor(batch: b, heads: h, queryLength: l, keyLength: l, headDim: dh, causal: true)
        d.qRowStride = 3 * h * dh; d.kRowStride = 3 * h * dh; d.vRowStride = 3 * h * dh
        d.kOffset = h * dh; d.vOffset = 2 * h * dh
        let expected = Ref.attention(d, q: fused, k: fused, v: fused)
        let cpu = try CPUBackend(tuning: CPUTuning(attentionScoreBudget: 50))
        for be in try conformanceBackends() + [cpu] {
            let x = try t(be, [fused.count], fused)
            let out = try Tensor(uninitializedShape: [b, l, h * dh], on: be)
            try be.attention(d, q: x.buffer, k: x.buffer, v: x.buffer, output: out.buffer)
            assertClose(try out.toArray(), expected, atol: 2e-6, rtol: 1e-5, "fused attention [\(be.name)]")
        }
    }

    func testFlashAttentionOnCPU() throws {
        // The online-softmax path (keys in blocks, taken when there are more than two key blocks), forced on small
        // shapes with blocks of 5 keys and 7 query rows: causal and not, fused layout, partial last blocks.
        var rng = TestRandom(seed: 9)
        let flash = try CPUBackend(tuning: CPUTuning(attentionKeyBlock: 5, attentionRowBlock: 7))
        var worst = 0.0
        var fusedCase = AttentionDescriptor(batch: 2, heads: 2, queryLength: 23, keyLength: 23, headDim: 6, causal: true)
        fusedCase.qRowStride = 3 * 12; fusedCase.kRowStride = 3 * 12; fusedCase.vRowStride = 3 * 12
        fusedCase.kOffset = 12; fusedCase.vOffset = 24
        for d in [AttentionDescriptor(batch: 2, heads: 2, queryLength: 29, keyLength: 37, headDim: 6),
                  AttentionDescriptor(batch: 1, heads: 3, queryLength: 31, keyLength: 31, headDim: 8, causal: true),
                  AttentionDescriptor(batch: 1, heads: 1, queryLength: 3, keyLength: 64, headDim: 64, scale: 0.2),
                  fusedCase] {
            let hd = d.heads * d.headDim
            let fused = d.kOffset > 0
            let q = rng.floats(fused ? d.batch * d.queryLength * 3 * hd : d.batch * d.queryLength * hd, scale: 3)
            let k = fused ? q : rng.floats(d.batch * d.keyLength * hd, scale: 3)
            let v = fused ? q : rng.floats(d.batch * d.keyLength * hd)
            let expected = Ref.attention(d, q: q, k: k, v: v)
            let (qt, kt, vt) = (try t(flash, [q.count], q), try t(flash, [k.count], k), try t(flash, [v.count], v))
            let out = try Tensor(uninitializedShape: [d.batch, d.queryLength, hd], on: flash)
            try flash.attention(d, q: qt.buffer, k: kt.buffer, v: vt.buffer, output: out.buffer)
            // Measured: 7.9e-7 at most (outputs up to ~1); the bound is the one of testAttention.
            let actual = try out.toArray()
            worst = max(worst, zip(actual, expected).map { abs(Double($0) - $1) }.max() ?? 0)
            assertClose(actual, expected, atol: 2e-6, rtol: 1e-5, "flash attention \(d)")
        }
        print("[measured] flash attention on cpu: max abs error \(worst)")
    }

    // MARK: Normalisation

    func testGroupNorm() throws {
        var rng = TestRandom(seed: 7)
        for i in 0..<10 {
            let groups = rng.int(1...4), channels = groups * rng.int(1...5)
            let d = GroupNormDescriptor(batch: rng.int(1...3), channels: channels, spatial: rng.int(1...70), groups: groups,
                                        eps: [1e-5, 1e-6][i % 2])
            let silu = i % 3 == 0
            let x = rng.floats(d.batch * channels * d.spatial, scale: 3).map { $0 + 0.7 }
            let gamma: [Float]? = i == 4 ? nil : rng.floats(channels), beta: [Float]? = i == 4 ? nil : rng.floats(channels)
            try conform("groupNorm #\(i)", atol: 1e-5, rtol: 1e-5, reference: Ref.groupNorm(d, x: x, gamma: gamma, beta: beta, silu: silu)) { be in
                try be.groupNorm(t(be, [d.batch, channels, d.spatial], x), groups: groups,
                                 gamma: try gamma.map { try t(be, [channels], $0) }, beta: try beta.map { try t(be, [channels], $0) },
                                 eps: d.eps, silu: silu)
            }
        }
    }

    func testLayerNorm() throws {
        var rng = TestRandom(seed: 8)
        for i in 0..<8 {
            let rows = rng.int(1...9), cols = [1, 3, 16, 17, 77, 1024][rng.int(0...5)]
            let x = rng.floats(rows * cols, scale: 4).map { $0 + 1 }
            let g = rng.floats(cols), b = rng.floats(cols)
            let ln = Ref.rows(x, cols) { r in zip(Ref.normalize(r, eps: 1e-5), zip(g, b)).map { $0 * Double($1.0) + Double($1.1) } }
            try conform("layerNorm #\(i) \(rows)x\(cols)", atol: 1e-5, rtol: 1e-5, reference: ln) { be in
                try be.layerNorm(t(be, [rows, cols], x), gamma: t(be, [cols], g), beta: t(be, [cols], b), eps: 1e-5)
            }
            // Without affine parameters: BiT's weight standardisation (eps 1e-8).
            if cols > 1 {
                try conform("layerNorm without affine #\(i) \(rows)x\(cols)", atol: 1e-5, rtol: 1e-5,
                            reference: Ref.rows(x, cols) { Ref.normalize($0, eps: 1e-8) }) { be in
                    try be.layerNorm(t(be, [rows, cols], x), gamma: nil, beta: nil, eps: 1e-8)
                }
            }
        }
    }

    // MARK: Optional capabilities

    func testLinearWithActivationAndResidual() throws {
        var rng = TestRandom(seed: 15)
        let (batch, rows, inF, outF) = (2, 7, 21, 11)
        let x = rng.floats(batch * rows * inF), w = rng.floats(outF * inF), bias = rng.floats(outF)
        let residual = rng.floats(batch * rows * outF, scale: 2)
        for withBias in [true, false] {
            let product = Ref.gemm(GEMMDescriptor(m: batch * rows, n: outF, k: inF, transposeB: true,
                                                  bias: withBias ? .perColumn : .none),
                                   a: x, b: w, bias: withBias ? bias : nil, c: [Float](repeating: 0, count: residual.count))
            for activation in [nil] + UnaryOp.allCases.map(Optional.some) {
                for withResidual in [false, true] where activation != nil || withResidual {
                    let expected = zip(product, residual).map { p, r in
                        (activation.map { Ref.unary($0, p) } ?? p) + (withResidual ? Double(r) : 0)
                    }
                    try conform("linear bias \(withBias) activation \(activation.map(\.rawValue) ?? "none") residual \(withResidual)",
                                atol: 1e-5, rtol: 1e-5, reference: expected) { be in
                        try be.linear(t(be, [batch, rows, inF], x), weight: t(be, [outF, inF], w),
                                      bias: withBias ? t(be, [outF], bias) : nil, activation: activation,
                                      residual: withResidual ? t(be, [batch, rows, outF], residual) : nil)
                    }
                }
            }
        }
        for be in try conformanceBackendsWithFallbacks() {
            XCTAssertThrowsError(try be.linear(t(be, [rows, inF], Array(x.prefix(rows * inF))), weight: t(be, [outF, inF], w),
                                               bias: nil, residual: t(be, [rows, 1], Array(residual.prefix(rows)))))
        }
    }

    func testGEMMEpilogueKernelLayouts() throws {
        // Batched, strided and accumulating products, on every backend that claims the fused epilogue.
        var rng = TestRandom(seed: 16)
        let fused = try conformanceBackends().filter { $0.supports(.gemmEpilogue) }
        for trial in 0..<8 {
            let (m, n, k, batch) = (rng.int(1...19), rng.int(1...23), rng.int(1...29), rng.int(1...3))
            var d = GEMMDescriptor(batch: batch, m: m, n: n, k: k, transposeA: trial & 1 == 1, transposeB: trial & 2 == 2,
                                   beta: trial % 4 == 3 ? 0.5 : 0, bias: [.none, .perColumn, .perRow][trial % 3])
            d.ldc += trial % 2; d.offsetC = trial % 3; d.strideC = m * d.ldc
            let activation: UnaryOp? = trial % 4 == 0 ? nil : UnaryOp.allCases[trial % UnaryOp.allCases.count]
            let cCount = d.offsetC + d.strideC * batch
            let a = rng.floats(batch * m * k), b = rng.floats(batch * k * n), c = rng.floats(cCount)
            let residual = rng.floats(cCount), bias = d.bias == .none ? nil : rng.floats(d.bias == .perColumn ? n : m)
            var expected = Ref.gemm(d, a: a, b: b, bias: bias, c: c)
            for i in 0..<batch { for r in 0..<m { for j in 0..<n {
                let idx = d.offsetC + i * d.strideC + r * d.ldc + j
                expected[idx] = (activation.map { Ref.unary($0, expected[idx]) } ?? expected[idx]) + Double(residual[idx])
            } } }
            for be in fused {
                let out = try t(be, [cCount], c)
                try be.gemm(d, a: t(be, [a.count], a).buffer, b: t(be, [b.count], b).buffer,
                            bias: try bias.map { try t(be, [$0.count], $0).buffer }, activation: activation,
                            residual: t(be, [cCount], residual).buffer, c: out.buffer)
                assertClose(try out.toArray(), expected, atol: 1e-5, rtol: 1e-5, "gemm epilogue #\(trial) [\(be.name)]")
            }
        }
    }

    func testEveryCapabilityHasAKernelAndAFallback() throws {
        let backends = try conformanceBackends()
        for capability in BackendCapability.allCases {
            XCTAssertTrue(backends.contains { $0.supports(capability) }, "no backend implements \(capability)")
        }
        // A backend that claims nothing gets the throwing defaults; the front end never calls them.
        for be in backends.map({ MandatoryKernelsBackend($0) }) {
            XCTAssertTrue(BackendCapability.allCases.allSatisfy { !be.supports($0) })
            let x = try t(be, [1, 2, 4], [1, 2, 3, 4, 5, 6, 7, 8]), out = try Tensor(uninitializedShape: [8], on: be)
            func assertUnsupported(_ capability: BackendCapability, _ kernel: () throws -> Void) {
                XCTAssertThrowsError(try kernel()) { error in
                    XCTAssertEqual(error as? TensorError, .unsupported(operation: capability.rawValue, backend: be.name))
                }
            }
            assertUnsupported(.groupNormSiLU) {
                try be.groupNormSiLU(GroupNormDescriptor(batch: 1, channels: 2, spatial: 4, groups: 1, eps: 1e-5),
                                     input: x.buffer, gamma: nil, beta: nil, output: out.buffer)
            }
            assertUnsupported(.geglu) { try be.geglu(rows: 2, cols: 2, input: x.buffer, output: out.buffer) }
            assertUnsupported(.gemmEpilogue) {
                try be.gemm(GEMMDescriptor(m: 2, n: 2, k: 2), a: x.buffer, b: x.buffer, bias: nil, activation: .relu,
                            residual: x.buffer, c: out.buffer)
            }
            assertUnsupported(.weights16) {
                _ = try [Float](repeating: 1, count: 4).withUnsafeBufferPointer {
                    try be.makeWeight16(.float32($0), rows: 2, cols: 2, precision: .fp16)
                }
            }
            assertUnsupported(.weights16) { try be.widen16(x.buffer, output: out.buffer) }
            assertUnsupported(.weights16) {
                try be.linear16(GEMMDescriptor(m: 2, n: 2, k: 2, transposeB: true), x: x.buffer, weight: x.buffer, bias: nil,
                                output: out.buffer)
            }
            assertUnsupported(.convolutionPrologue) {
                try be.conv2d(Conv2DDescriptor(batch: 1, inChannels: 1, height: 2, width: 2, outChannels: 1, kernelH: 1,
                                               kernelW: 1), input: x.buffer, prologue: .upsampleNearest2x, weight: x.buffer,
                              bias: nil, output: out.buffer, accumulate: false)
            }
            assertUnsupported(.inPlaceProjection) {
                try be.conv2dInPlace(Conv2DDescriptor(batch: 1, inChannels: 2, height: 2, width: 2, outChannels: 1, kernelH: 1,
                                                      kernelW: 1), buffer: x.buffer, weight: x.buffer, bias: nil)
            }
            assertUnsupported(.convolutionWithShortcut) {
                let d = Conv2DDescriptor(batch: 1, inChannels: 2, height: 2, width: 2, outChannels: 1, kernelH: 1, kernelW: 1)
                try be.conv2d(d, input: x.buffer,
                              prologue: .groupNorm(GroupNormDescriptor(batch: 1, channels: 2, spatial: 4, groups: 1, eps: 1e-5),
                                                   gamma: nil, beta: nil, silu: false),
                              weight: x.buffer, bias: nil, output: out.buffer, shortcut: d, shortcutWeight: x.buffer,
                              shortcutBias: nil)
            }
            assertUnsupported(.weights16) {
                try be.conv2d16(Conv2DDescriptor(batch: 1, inChannels: 1, height: 2, width: 2, outChannels: 1, kernelH: 1,
                                                 kernelW: 1, strideH: 1, strideW: 1, padTop: 0, padBottom: 0, padLeft: 0,
                                                 padRight: 0),
                                input: x.buffer, weight: x.buffer, bias: nil, output: out.buffer)
            }
        }
    }

    // MARK: Elementwise

    func testActivations() throws {
        var rng = TestRandom(seed: 9)
        // Wide range, both tails, exact zeros and a length that is not a multiple of the vector width.
        let x = rng.floats(1001, scale: 12) + [0, -0.0, 1e-8, -1e-8, 30, -30, 90, -90]
        for op in UnaryOp.allCases {
            try conform("unary \(op)", atol: 3e-7, rtol: 4e-6, reference: x.map { Ref.unary(op, Double($0)) }) { be in
                try be.apply(op, t(be, [x.count], x))
            }
        }
        let rows = 7, cols = 19
        let g = rng.floats(rows * 2 * cols, scale: 6)
        let geglu = Ref.rows(g, 2 * cols) { r in (0..<cols).map { r[$0] * Ref.unary(.gelu, r[cols + $0]) } }
        try conform("geglu", atol: 1e-6, rtol: 4e-6, reference: geglu) { be in try be.geglu(t(be, [rows, 2 * cols], g)) }
        try conform("affine", atol: 1e-6, rtol: 1e-6, reference: x.map { 0.18215 * Double($0) - 0.5 }) { be in
            try be.affine(t(be, [x.count], x), scale: 0.18215, shift: -0.5)
        }
    }

    func testBroadcastBinary() throws {
        var rng = TestRandom(seed: 10)
        let pairs: [([Int], [Int])] = [
            ([2, 3, 4], [2, 3, 4]), ([2, 3, 4], [4]), ([2, 3, 4], [3, 1]), ([2, 1, 5], [1, 7, 1]), ([1], [6, 5]),
            ([2, 320, 9, 9], [1, 320, 1, 1]), ([2, 4, 1, 1], [2, 4, 3, 17]), ([17], [1]), ([3, 1, 2, 1, 4], [5, 2, 1, 1]),
        ]
        for (i, (sa, sb)) in pairs.enumerated() {
            let a = rng.floats(sa.reduce(1, *)), b = rng.floats(sb.reduce(1, *)).map { $0 + 2.5 }
            for op in BinaryOp.allCases {
                let ref = Ref.broadcast(op, a: a, aShape: sa, b: b, bShape: sb)
                try conform("\(op) #\(i) \(sa) \(sb)", atol: 1e-7, rtol: 1e-6, reference: ref.values) { be in
                    let out = try be.binary(op, t(be, sa, a), t(be, sb, b))
                    XCTAssertEqual(out.shape, ref.shape)
                    return out
                }
            }
        }
        for be in try conformanceBackendsWithFallbacks() {
            XCTAssertThrowsError(try be.add(t(be, [2, 3], rng.floats(6)), t(be, [4], rng.floats(4))))
        }
    }

    // MARK: Layout

    func testPermuteConcatNarrow() throws {
        var rng = TestRandom(seed: 11)
        let shape = [2, 3, 5, 4], x = rng.floats(120)
        for axes in [[0, 2, 3, 1], [3, 2, 1, 0], [1, 0, 2, 3], [0, 1, 2, 3]] {
            try conform("permute \(axes)", atol: 0, rtol: 0, reference: Ref.permute(x, shape: shape, axes: axes)) { be in
                let out = try be.permute(t(be, shape, x), axes)
                XCTAssertEqual(out.shape, axes.map { shape[$0] })
                return out
            }
        }
        let y = rng.floats(120)
        for axis in 0..<4 {
            var yShape = shape; yShape[axis] = 2
            let yValues = Array(y.prefix(yShape.reduce(1, *)))
            // Reference: concatenation as a permute of both parts to axis-first order.
            let outer = shape[..<axis].reduce(1, *), innerX = shape[axis...].reduce(1, *), innerY = yShape[axis...].reduce(1, *)
            var ref: [Double] = []
            for o in 0..<outer {
                ref += x[(o * innerX)..<((o + 1) * innerX)].map(Double.init)
                ref += yValues[(o * innerY)..<((o + 1) * innerY)].map(Double.init)
            }
            try conform("concat axis \(axis)", atol: 0, rtol: 0, reference: ref) { be in
                try be.concat([t(be, shape, x), t(be, yShape, yValues)], axis: axis)
            }
            let length = shape[axis] - 1
            let step: Int = innerX / shape[axis]
            var sliceRef: [Double] = []
            for o in 0..<outer {
                let lo: Int = o * innerX + step
                sliceRef += x[lo..<(lo + length * step)].map(Double.init)
            }
            try conform("narrow axis \(axis)", atol: 0, rtol: 0, reference: sliceRef) { be in
                try be.narrow(t(be, shape, x), axis: axis, start: 1, length: length)
            }
        }
        for be in try conformanceBackendsWithFallbacks() {
            let parts = try be.chunk(t(be, shape, x), 2, axis: 0)
            XCTAssertEqual(try parts[1].toArray(), Array(x[60...]))
            XCTAssertThrowsError(try be.narrow(t(be, shape, x), axis: 1, start: 2, length: 2))
            XCTAssertThrowsError(try be.permute(t(be, shape, x), [0, 0, 1, 2]))
            XCTAssertThrowsError(try t(be, shape, x).reshaped([7, -1]))
            XCTAssertEqual(try t(be, shape, x).reshaped([6, -1]).shape, [6, 20])
        }
    }

    // MARK: Spatial

    func testResize() throws {
        var rng = TestRandom(seed: 12)
        let sizes: [(Int, Int, Int, Int)] = [(4, 5, 8, 10), (7, 9, 3, 4), (24, 24, 8, 6),
                                             (1, 1, 3, 2), (6, 6, 6, 6), (5, 3, 11, 13), (2, 7, 1, 1)]
        let modes: [ResizeMode] = [.nearest, .bilinear(alignCorners: false), .bilinear(alignCorners: true),
                                   .bicubic(alignCorners: false), .bicubic(alignCorners: true)]
        for (inH, inW, outH, outW) in sizes {
            let planes = rng.int(1...3)
            let x = rng.floats(planes * inH * inW)
            for mode in modes {
                let ref = Ref.resize(x, planes: planes, inH: inH, inW: inW, outH: outH, outW: outW, mode: mode)
                try conform("resize \(mode) \(inH)x\(inW)->\(outH)x\(outW)", atol: 5e-6, rtol: 1e-5, reference: ref) { be in
                    try be.resize(t(be, [planes, inH, inW], x), height: outH, width: outW, mode: mode)
                }
            }
        }
        let x = rng.floats(2 * 3 * 5 * 7)
        try conform("upsampleNearest2x", atol: 0, rtol: 0,
                    reference: Ref.resize(x, planes: 6, inH: 5, inW: 7, outH: 10, outW: 14, mode: .nearest)) { be in
            try be.upsampleNearest2x(t(be, [2, 3, 5, 7], x))
        }
    }

    func testMaxPool() throws {
        var rng = TestRandom(seed: 13)
        let cases = [Pool2DDescriptor(planes: 3, height: 9, width: 8, kernelH: 3, kernelW: 3, strideH: 2, strideW: 2,
                                      padTop: 1, padBottom: 1, padLeft: 1, padRight: 1),
                     Pool2DDescriptor(planes: 2, height: 7, width: 7, kernelH: 3, kernelW: 3, strideH: 2, strideW: 2,
                                      padTop: 0, padBottom: 1, padLeft: 0, padRight: 1, padValue: 0),
                     Pool2DDescriptor(planes: 1, height: 5, width: 6, kernelH: 2, kernelW: 3, strideH: 1, strideW: 3),
                     Pool2DDescriptor(planes: 2, height: 1, width: 1, kernelH: 1, kernelW: 1, strideH: 1, strideW: 1)]
        for (i, d) in cases.enumerated() {
            let x = rng.floats(d.planes * d.height * d.width).map { $0 - 1.2 }
            try conform("maxPool #\(i)", atol: 0, rtol: 0, reference: Ref.maxPool(d, x: x)) { be in
                try be.maxPool2d(t(be, [1, d.planes, d.height, d.width], x), kernel: (d.kernelH, d.kernelW),
                                 stride: (d.strideH, d.strideW),
                                 padding: Padding2D(top: d.padTop, bottom: d.padBottom, left: d.padLeft, right: d.padRight),
                                 padValue: d.padValue)
            }
        }
    }

    // MARK: Embeddings and reductions

    func testEmbeddingTimestepMinMax() throws {
        var rng = TestRandom(seed: 14)
        let table = rng.floats(11 * 6)
        let ids: [Int32] = [0, 10, 3, 3, 7]
        try conform("embedding", atol: 0, rtol: 0, reference: ids.flatMap { table[(Int($0) * 6)..<(Int($0) * 6 + 6)].map(Double.init) }) { be in
            try be.embedding(t(be, [11, 6], table), ids: ids)
        }
        for be in try conformanceBackendsWithFallbacks() {
            XCTAssertThrowsError(try be.embedding(t(be, [11, 6], table), ids: [11]))
        }
        // float32 phases of up to ~1000 rad carry ~1e-4 absolute error against the double reference, as in PyTorch.
        for d in [TimestepEmbeddingDescriptor(dim: 320, flipSinToCos: true, downscaleFreqShift: 0),
                  TimestepEmbeddingDescriptor(dim: 33, flipSinToCos: false, downscaleFreqShift: 1, scale: 2)] {
            let ts: [Float] = [0, 1, 981, 999, 500.5]
            try conform("timestepEmbedding dim \(d.dim)", atol: 3e-4, rtol: 0, reference: Ref.timestepEmbedding(d, ts)) { be in
                try be.timestepEmbedding(ts, d)
            }
        }
        for be in try conformanceBackendsWithFallbacks() {
            for cols in [1, 15, 16, 17, 4096] {
                let x = rng.floats(3 * cols)
                let (lo, hi) = try be.minMax(t(be, [3, cols], x))
                for r in 0..<3 {
                    XCTAssertEqual(lo[r], x[(r * cols)..<((r + 1) * cols)].min())
                    XCTAssertEqual(hi[r], x[(r * cols)..<((r + 1) * cols)].max())
                }
            }
        }
    }
}
