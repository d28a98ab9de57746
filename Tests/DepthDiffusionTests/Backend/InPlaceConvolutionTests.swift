import XCTest
@testable import DepthDiffusion

/// Convolutions that reuse a consumed tensor's memory: `conv2d(overwriting:weight:bias:)` (the 1x1 shortcut of a
/// ResNet block, ``BackendCapability/inPlaceProjection``) and `conv2d(_:input:…:adding:)` (a residual added in
/// place by the convolution prologue kernel). Each must give bit for bit the values of the out-of-place
/// composition on every backend, reuse the buffer only when nothing else holds it, and leave shared tensors alone.
final class InPlaceConvolutionTests: XCTestCase {
    func t(_ b: ComputeBackend, _ shape: [Int], _ data: [Float]) throws -> Tensor {
        try Tensor(shape: shape, data: data, on: b)
    }

    /// Every conformance backend with and without its fused kernels, and a CPU backend that takes Winograd on
    /// every map in chunks of a few tile rows.
    func backends() throws -> [ComputeBackend] {
        try conformanceBackendsWithFallbacks() + [
            CPUBackend(tuning: CPUTuning(winogradMinimumSide: 1, winogradMinimumTiles: 1, winogradTileBudget: 36 * 4 * 64)),
        ]
    }

    func testProjectionOverwritesAnUnsharedInput() throws {
        var rng = TestRandom(seed: 61)
        // Batch 2 (the second image's output lands on the first image's input), and a map whose pixel count is
        // not a multiple of the CPU's block of pixels.
        for (batch, cin, cout, h, w) in [(2, 6, 4, 5, 7), (1, 5, 5, 3, 3), (3, 8, 2, 70, 61)] {
            let x = rng.floats(batch * cin * h * w), wt = rng.floats(cout * cin), b = rng.floats(cout)
            let d = Conv2DDescriptor(batch: batch, inChannels: cin, height: h, width: w, outChannels: cout, kernelH: 1,
                                     kernelW: 1)
            let reference = Ref.conv2d(d, x: x, w: wt, b: b)
            for be in try backends() {
                let label = "\(batch)x\(cin)->\(cout)@\(h)x\(w) [\(be.name)]"
                let weight = try t(be, [cout, cin, 1, 1], wt), bias = try t(be, [cout], b)
                let outOfPlace = try be.conv2d(t(be, [batch, cin, h, w], x), weight: weight, bias: bias).toArray()
                let input = try t(be, [batch, cin, h, w], x)
                let identity = ObjectIdentifier(input.buffer)
                let out = try be.conv2d(overwriting: consume input, weight: weight, bias: bias)
                XCTAssertEqual(out.shape, [batch, cout, h, w], label)
                XCTAssertEqual(try out.toArray(), outOfPlace, label)
                assertClose(try out.toArray(), reference, atol: 1e-5, rtol: 1e-5, label)
                XCTAssertEqual(ObjectIdentifier(out.buffer) == identity, be.supports(.inPlaceProjection), label)
            }
        }
    }

    func testProjectionLeavesASharedInputAlone() throws {
        var rng = TestRandom(seed: 62)
        let x = rng.floats(2 * 6 * 16), wt = rng.floats(3 * 6), b = rng.floats(3)
        for be in try backends() {
            let input = try t(be, [2, 6, 4, 4], x)
            let kept = input
            let out = try be.conv2d(overwriting: input, weight: t(be, [3, 6, 1, 1], wt), bias: t(be, [3], b))
            XCTAssertFalse(out.buffer === kept.buffer, be.name)
            XCTAssertEqual(try kept.toArray(), x, be.name)
            XCTAssertEqual(try out.toArray(), try be.conv2d(kept, weight: t(be, [3, 6, 1, 1], wt), bias: t(be, [3], b)).toArray(),
                           be.name)
        }
    }

    func testProjectionToMoreChannelsOrWithA16BitWeight() throws {
        var rng = TestRandom(seed: 63)
        let x = rng.floats(2 * 4 * 9), b = rng.floats(6)
        for be in try backends() {
            // More output than input channels: a new buffer.
            let wide = rng.floats(6 * 4)
            let input = try t(be, [2, 4, 3, 3], x)
            let out = try be.conv2d(overwriting: input, weight: t(be, [6, 4, 1, 1], wide), bias: t(be, [6], b))
            XCTAssertEqual(try out.toArray(), try be.conv2d(t(be, [2, 4, 3, 3], x), weight: t(be, [6, 4, 1, 1], wide),
                                                            bias: t(be, [6], b)).toArray(), be.name)
            guard be.supports(.weights16) else { continue }
            // A 16-bit weight: the float32 product of the widened weight, as conv2d16 computes it for float16.
            let narrow = rng.floats(3 * 4)
            let w16 = try narrow.withUnsafeBufferPointer {
                try Tensor(shape: [3, 4, 1, 1], buffer: be.makeWeight16(.float32($0), rows: 3, cols: 4, precision: .fp16),
                           backend: be, storage: .fp16)
            }
            let expected = try be.conv2d(t(be, [2, 4, 3, 3], x), weight: w16, bias: t(be, [3], Array(b[0..<3]))).toArray()
            let result = try be.conv2d(overwriting: t(be, [2, 4, 3, 3], x), weight: w16, bias: t(be, [3], Array(b[0..<3])))
            XCTAssertEqual(try result.toArray(), expected, "16-bit [\(be.name)]")
        }
    }

    func testProjectionRejectsKernelsThatAreNot1x1() throws {
        let be = try CPUBackend()
        let x = try t(be, [1, 2, 3, 3], .init(repeating: 1, count: 18)), w = try t(be, [1, 2, 3, 3], .init(repeating: 1, count: 18))
        XCTAssertThrowsError(try be.conv2d(overwriting: x, weight: w, bias: nil)) {
            guard case .shapeMismatch = $0 as? TensorError else { return XCTFail("\($0)") }
        }
    }

    func testResidualAddedInPlace() throws {
        var rng = TestRandom(seed: 64)
        // (batch, channels, side): Winograd with the default tuning (32x32 at batch 2) and a small map that the
        // default CPU backend convolves directly.
        for (batch, cin, side) in [(2, 8, 32), (1, 6, 8)] {
            let cout = 5, groups = 2
            let x = rng.floats(batch * cin * side * side, scale: 3), r = rng.floats(batch * cout * side * side)
            let w = rng.floats(cout * cin * 9), b = rng.floats(cout), gamma = rng.floats(cin), beta = rng.floats(cin)
            let gnd = GroupNormDescriptor(batch: batch, channels: cin, spatial: side * side, groups: groups, eps: 1e-6)
            let cd = Conv2DDescriptor(batch: batch, inChannels: cin, height: side, width: side, outChannels: cout, kernelH: 3,
                                      kernelW: 3, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1)
            let normalised = Ref.groupNorm(gnd, x: x, gamma: gamma, beta: beta, silu: true).map(Float.init)
            let reference = zip(Ref.conv2d(cd, x: normalised, w: w, b: b), r).map { $0 + Double($1) }
            let scale = reference.map(abs).max() ?? 0
            for be in try backends() {
                let label = "\(batch)x\(cin)x\(side) [\(be.name)]"
                let input = try t(be, [batch, cin, side, side], x)
                let gn = ConvolutionInput.groupNorm(groups: groups, gamma: try t(be, [cin], gamma), beta: try t(be, [cin], beta),
                                                    eps: 1e-6, silu: true)
                let weight = try t(be, [cout, cin, 3, 3], w), bias = try t(be, [cout], b)
                let unfused = try be.add(t(be, [batch, cout, side, side], r),
                                         be.conv2d(input, input: gn, weight: weight, bias: bias, padding: .uniform(1))).toArray()
                let residual = try t(be, [batch, cout, side, side], r)
                let identity = ObjectIdentifier(residual.buffer)
                let out = try be.conv2d(input, input: gn, weight: weight, bias: bias, padding: .uniform(1), adding: consume residual)
                XCTAssertEqual(try out.toArray(), unfused, label)
                // Winograd's bound of the conformance suite: 1e-5 of the output's scale.
                assertClose(try out.toArray(), reference, atol: 1e-5 * scale, rtol: 0, label)
                XCTAssertEqual(ObjectIdentifier(out.buffer) == identity, be.supports(.convolutionPrologue), label)
                // A residual that another tensor shares is left as it was.
                let shared = try t(be, [batch, cout, side, side], r)
                let again = try be.conv2d(input, input: gn, weight: weight, bias: bias, padding: .uniform(1), adding: shared)
                XCTAssertEqual(try again.toArray(), unfused, label)
                XCTAssertEqual(try shared.toArray(), r, label)
            }
        }
    }

    /// A ResNet block's `conv1` and its shortcut together (``BackendCapability/convolutionWithShortcut``): the values of
    /// the two separate calls (the convolution bit for bit, the shortcut up to the GEMM's rounding), with the
    /// shortcut written over the unshared input. The CPU backend with
    /// small Winograd chunks projects and releases the input band by band; (1, 32, 16, 64) has buffers large
    /// enough (≥ 256 KiB) to be mapped, so pages really are returned between bands.
    func testConvolutionWithItsShortcut() throws {
        var rng = TestRandom(seed: 65)
        // (batch, inC, outC, side): Winograd with the default tuning (64 tiles), equal channel counts, mapped
        // buffers, and batch 2 (the two kernels one after the other).
        for (batch, cin, cout, side) in [(1, 8, 4, 32), (1, 6, 6, 8), (1, 32, 16, 64), (2, 8, 3, 8)] {
            let groups = 2
            let x = rng.floats(batch * cin * side * side, scale: 3), w = rng.floats(cout * cin * 9), b = rng.floats(cout)
            let ws = rng.floats(cout * cin), bs = rng.floats(cout), gamma = rng.floats(cin), beta = rng.floats(cin)
            let gnd = GroupNormDescriptor(batch: batch, channels: cin, spatial: side * side, groups: groups, eps: 1e-6)
            let cd = Conv2DDescriptor(batch: batch, inChannels: cin, height: side, width: side, outChannels: cout, kernelH: 3,
                                      kernelW: 3, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1)
            let sd = Conv2DDescriptor(batch: batch, inChannels: cin, height: side, width: side, outChannels: cout, kernelH: 1,
                                      kernelW: 1)
            let normalised = Ref.groupNorm(gnd, x: x, gamma: gamma, beta: beta, silu: true).map(Float.init)
            let reference = Ref.conv2d(cd, x: normalised, w: w, b: b), shortcutReference = Ref.conv2d(sd, x: x, w: ws, b: bs)
            let scale = reference.map(abs).max() ?? 0
            for be in try backends() {
                let label = "\(batch)x\(cin)->\(cout)@\(side) [\(be.name)]"
                let gn = ConvolutionInput.groupNorm(groups: groups, gamma: try t(be, [cin], gamma), beta: try t(be, [cin], beta),
                                                    eps: 1e-6, silu: true)
                let weight = try t(be, [cout, cin, 3, 3], w), bias = try t(be, [cout], b)
                let shortcutWeight = try t(be, [cout, cin, 1, 1], ws), shortcutBias = try t(be, [cout], bs)
                let separate = try be.conv2d(t(be, [batch, cin, side, side], x), input: gn, weight: weight, bias: bias,
                                             padding: .uniform(1)).toArray()
                let separateShortcut = try be.conv2d(t(be, [batch, cin, side, side], x), weight: shortcutWeight,
                                                     bias: shortcutBias).toArray()
                let input = try t(be, [batch, cin, side, side], x)
                let identity = ObjectIdentifier(input.buffer)
                let (out, shortcut) = try be.conv2d(consume input, input: gn, weight: weight, bias: bias, padding: .uniform(1),
                                                    shortcutWeight: shortcutWeight, shortcutBias: shortcutBias)
                XCTAssertEqual(out.shape, [batch, cout, side, side], label)
                XCTAssertEqual(shortcut.shape, [batch, cout, side, side], label)
                XCTAssertEqual(try out.toArray(), separate, label)
                // The shortcut's sgemm runs on other column blocks than the separate call's; OpenBLAS's Haswell kernel
                // (set by some machines) then rounds some sums differently. Measured with Haswell: 7.6e-6 at values
                // up to 24; 0 with Cooperlake.
                assertClose(try shortcut.toArray(), separateShortcut, atol: 4e-5, rtol: 0, label)
                // Winograd's bound of the conformance suite (1e-5 of the output's scale), and the 1x1 product's.
                assertClose(try out.toArray(), reference, atol: 1e-5 * scale, rtol: 0, label)
                assertClose(try shortcut.toArray(), shortcutReference, atol: 1e-5, rtol: 1e-5, label)
                XCTAssertEqual(ObjectIdentifier(shortcut.buffer) == identity,
                               be.supports(.convolutionWithShortcut) || be.supports(.inPlaceProjection), label)
                // An input that another tensor shares is left as it was.
                let shared = try t(be, [batch, cin, side, side], x)
                let again = try be.conv2d(shared, input: gn, weight: weight, bias: bias, padding: .uniform(1),
                                          shortcutWeight: shortcutWeight, shortcutBias: shortcutBias)
                XCTAssertEqual(try again.output.toArray(), separate, label)
                XCTAssertEqual(try again.shortcut.toArray(), separateShortcut, label)
                XCTAssertEqual(try shared.toArray(), x, label)
                guard be.supports(.weights16) else { continue }
                // 16-bit weights: the values of the separate calls with the same weights.
                func weight16(_ data: [Float], _ shape: [Int]) throws -> Tensor {
                    try data.withUnsafeBufferPointer {
                        try Tensor(shape: shape, buffer: be.makeWeight16(.float32($0), rows: shape[0],
                                                                         cols: shape.dropFirst().reduce(1, *), precision: .fp16),
                                   backend: be, storage: .fp16)
                    }
                }
                let w16 = try weight16(w, [cout, cin, 3, 3]), ws16 = try weight16(ws, [cout, cin, 1, 1])
                let expected = try be.conv2d(t(be, [batch, cin, side, side], x), input: gn, weight: w16, bias: bias,
                                             padding: .uniform(1)).toArray()
                let expectedShortcut = try be.conv2d(t(be, [batch, cin, side, side], x), weight: ws16, bias: shortcutBias).toArray()
                let narrow = try be.conv2d(t(be, [batch, cin, side, side], x), input: gn, weight: w16, bias: bias,
                                           padding: .uniform(1), shortcutWeight: ws16, shortcutBias: shortcutBias)
                XCTAssertEqual(try narrow.output.toArray(), expected, "16-bit \(label)")
                // Measured with Haswell: 5.7e-6 at values up to 24; 0 with Cooperlake.
                assertClose(try narrow.shortcut.toArray(), expectedShortcut, atol: 4e-5, rtol: 0, "16-bit \(label)")
            }
        }
    }

    func testResidualOfTheWrongShapeIsRefused() throws {
        for be in try conformanceBackendsWithFallbacks() {
            let x = try t(be, [1, 2, 4, 4], .init(repeating: 1, count: 32))
            let w = try t(be, [1, 2, 3, 3], .init(repeating: 1, count: 18))
            // The output is [1, 1, 8, 8]: a smaller residual, and one that would broadcast, are both refused.
            for shape in [[1, 1, 4, 4], [1, 1, 1, 1]] {
                let residual = try t(be, shape, .init(repeating: 0, count: shape.reduce(1, *)))
                XCTAssertThrowsError(try be.conv2d(x, input: .upsampledNearest2x, weight: w, bias: nil, padding: .uniform(1),
                                                   adding: residual)) {
                    guard case .shapeMismatch = $0 as? TensorError else { return XCTFail("\($0) [\(be.name)]") }
                }
            }
        }
    }

    /// The CPU pool stops counting pages handed back to the system, so its cache bound follows the memory in use.
    func testReleasedPagesLeaveThePoolsCount() throws {
        let pool = BufferPool(limitBytes: 1 << 30)
        let bytes = 8 << 20
        let buffer = try CPUBuffer(count: bytes / 4, pool: pool)
        XCTAssertEqual(pool.liveBytes, bytes)
        buffer.pointer.update(repeating: 1, count: bytes / 4)
        buffer.releasePages(after: 1000)
        XCTAssertEqual(pool.liveBytes, 4096)
        XCTAssertEqual(buffer.pointer[999], 1)
        buffer.releasePages(after: 1000)
        XCTAssertEqual(pool.liveBytes, 4096)
        // Released pages are usable again (they read as zeros).
        XCTAssertEqual(buffer.pointer[bytes / 4 - 1], 0)
        buffer.pointer[bytes / 4 - 1] = 2
        XCTAssertEqual(buffer.pointer[bytes / 4 - 1], 2)
    }
}
