import XCTest
@testable import DepthDiffusion

/// `conv2d(_:input:weight:bias:stride:padding:)`: the fused kernel of ``BackendCapability/convolutionPrologue``
/// (the CPU backend, on and off its Winograd path, with float32 and 16-bit weights) gives the unfused
/// composition bit for bit, and every backend, fused or falling back, matches the double-precision reference.
final class ConvolutionPrologueTests: XCTestCase {
    func t(_ b: ComputeBackend, _ shape: [Int], _ data: [Float]) throws -> Tensor {
        try Tensor(shape: shape, data: data, on: b)
    }

    func weight16(_ b: ComputeBackend, _ shape: [Int], _ values: [Float]) throws -> Tensor {
        try values.withUnsafeBufferPointer { p in
            let buffer = try b.makeWeight16(.float32(p), rows: shape[0], cols: values.count / shape[0], precision: .fp16)
            return try Tensor(shape: shape, buffer: buffer, backend: b, storage: .fp16)
        }
    }

    func scale(_ values: [Double]) -> Double { values.map(abs).max() ?? 0 }

    /// The backends under test: every conformance backend with and without its fused kernels, and a CPU backend
    /// that takes Winograd on every map in chunks of a few tile rows.
    func backends() throws -> [ComputeBackend] {
        try conformanceBackendsWithFallbacks() + [
            CPUBackend(tuning: CPUTuning(winogradMinimumSide: 1, winogradMinimumTiles: 1, winogradTileBudget: 36 * 4 * 64)),
        ]
    }

    /// (batch, channels, side of the convolved map): Winograd with the default tuning (32x32 at batch 2), a
    /// small map that the default CPU backend convolves directly, and a side that is not a multiple of 4.
    let shapes = [(2, 8, 32), (1, 6, 8), (2, 4, 26)]

    func testGroupNormalisedInput() throws {
        var rng = TestRandom(seed: 41)
        XCTAssertTrue(try CPUBackend().usesWinograd(Conv2DDescriptor(batch: 2, inChannels: 8, height: 32, width: 32, outChannels: 5,
                                                                     kernelH: 3, kernelW: 3, padTop: 1, padBottom: 1,
                                                                     padLeft: 1, padRight: 1)))
        for (batch, cin, side) in shapes {
            let cout = 5, groups = 2
            let x = rng.floats(batch * cin * side * side, scale: 3).map { $0 + 1.5 }
            let w = rng.floats(cout * cin * 9), b = rng.floats(cout), gamma = rng.floats(cin), beta = rng.floats(cin)
            let gn = GroupNormDescriptor(batch: batch, channels: cin, spatial: side * side, groups: groups, eps: 1e-6)
            let d = Conv2DDescriptor(batch: batch, inChannels: cin, height: side, width: side, outChannels: cout, kernelH: 3,
                                     kernelW: 3, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1)
            for silu in [false, true] {
                let normalised = Ref.groupNorm(gn, x: x, gamma: gamma, beta: beta, silu: silu).map(Float.init)
                let reference = Ref.conv2d(d, x: normalised, w: w, b: b)
                for be in try backends() {
                    let input = try t(be, [batch, cin, side, side], x), g = try t(be, [cin], gamma), bb = try t(be, [cin], beta)
                    let fused = try be.conv2d(input, input: .groupNorm(groups: groups, gamma: g, beta: bb, eps: 1e-6, silu: silu),
                                              weight: t(be, [cout, cin, 3, 3], w), bias: t(be, [cout], b), padding: .uniform(1))
                    let unfused = try be.conv2d(be.groupNorm(input, groups: groups, gamma: g, beta: bb, eps: 1e-6, silu: silu),
                                                weight: t(be, [cout, cin, 3, 3], w), bias: t(be, [cout], b), padding: .uniform(1))
                    let label = "group-normalised conv \(batch)x\(cin)x\(side) silu \(silu) [\(be.name)]"
                    XCTAssertEqual(try fused.toArray(), try unfused.toArray(), label)
                    // Winograd's bound of the conformance suite: 1e-5 of the output's scale.
                    assertClose(try fused.toArray(), reference, atol: 1e-5 * scale(reference), rtol: 0, label)
                }
            }
        }
    }

    func testUpsampledInput() throws {
        var rng = TestRandom(seed: 42)
        for (batch, cin, side) in shapes {
            let cout = 3, half = side / 2
            let x = rng.floats(batch * cin * half * half), w = rng.floats(cout * cin * 9), b = rng.floats(cout)
            let up = Ref.resize(x, planes: batch * cin, inH: half, inW: half, outH: side, outW: side, mode: .nearest).map(Float.init)
            let d = Conv2DDescriptor(batch: batch, inChannels: cin, height: side, width: side, outChannels: cout, kernelH: 3,
                                     kernelW: 3, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1)
            let reference = Ref.conv2d(d, x: up, w: w, b: b)
            for be in try backends() {
                let input = try t(be, [batch, cin, half, half], x)
                let fused = try be.conv2d(input, input: .upsampledNearest2x, weight: t(be, [cout, cin, 3, 3], w),
                                          bias: t(be, [cout], b), padding: .uniform(1))
                let unfused = try be.conv2d(be.upsampleNearest2x(input), weight: t(be, [cout, cin, 3, 3], w),
                                            bias: t(be, [cout], b), padding: .uniform(1))
                let label = "upsampled conv \(batch)x\(cin)x\(side) [\(be.name)]"
                XCTAssertEqual(fused.shape, [batch, cout, side, side], label)
                XCTAssertEqual(try fused.toArray(), try unfused.toArray(), label)
                assertClose(try fused.toArray(), reference, atol: 1e-5 * scale(reference), rtol: 0, label)
            }
        }
    }

    func testSixteenBitWeights() throws {
        // The fused kernel reads 16-bit weights as conv2d16 does: the same values as the unfused composition.
        var rng = TestRandom(seed: 43)
        for (batch, cin, side) in shapes {
            let cout = 4
            let x = rng.floats(batch * cin * side * side), w = rng.floats(cout * cin * 9), b = rng.floats(cout)
            let gamma = rng.floats(cin), beta = rng.floats(cin)
            for be in try backends() where be.supports(.weights16) {
                let input = try t(be, [batch, cin, side, side], x), g = try t(be, [cin], gamma), bb = try t(be, [cin], beta)
                let w16 = try weight16(be, [cout, cin, 3, 3], w), bias = try t(be, [cout], b)
                let fused = try be.conv2d(input, input: .groupNorm(groups: 2, gamma: g, beta: bb, eps: 1e-5, silu: true),
                                          weight: w16, bias: bias, padding: .uniform(1))
                let unfused = try be.conv2d(be.groupNorm(input, groups: 2, gamma: g, beta: bb, eps: 1e-5, silu: true),
                                            weight: w16, bias: bias, padding: .uniform(1))
                XCTAssertEqual(try fused.toArray(), try unfused.toArray(), "16-bit \(batch)x\(cin)x\(side) [\(be.name)]")
            }
        }
    }

    func testBadInputsAreRefused() throws {
        for be in try backends() {
            let x = try t(be, [1, 4, 6, 6], [Float](repeating: 1, count: 144)), w = try t(be, [2, 4, 3, 3], [Float](repeating: 1, count: 72))
            XCTAssertThrowsError(try be.conv2d(x, input: .groupNorm(groups: 3, gamma: nil, beta: nil, eps: 1e-5, silu: false),
                                               weight: w, bias: nil), "4 channels in 3 groups [\(be.name)]")
            XCTAssertThrowsError(try be.conv2d(x, input: .groupNorm(groups: 2, gamma: t(be, [3], [1, 1, 1]), beta: nil, eps: 1e-5,
                                                                    silu: false), weight: w, bias: nil), "gamma of 3 [\(be.name)]")
            let wrong = try t(be, [2, 3, 3, 3], [Float](repeating: 1, count: 54))
            XCTAssertThrowsError(try be.conv2d(x, input: .upsampledNearest2x, weight: wrong, bias: nil), "3-channel weight [\(be.name)]")
        }
    }
}
