#if canImport(Glibc)
import Glibc
#endif

// A 1x1 convolution written over its input (BackendCapability.inPlaceProjection).
//
// Each image is processed in blocks of pixels: one `sgemm` reads every input channel of the block (the
// channels are `H·W` apart) into a scratch block of output channels, which is then copied to the block's
// place in the `[batch, outC, H, W]` result. Output channel `c` of a pixel lands where input channel
// `c + n·(inC − outC)` of the same pixel, or an earlier image, was stored, so nothing is overwritten before it
// has been read. Per output element the product is the one `conv2d`'s single GEMM computes (OpenBLAS splits
// the reduction the same way for any number of columns), so the values agree bit for bit. The memory past
// the result is handed back to the system.

extension CPUBackend {
    /// Pixels per block: the scratch block holds `outC` rows of this many floats.
    static let inPlaceBlockPixels = 4096

    public func conv2dInPlace(_ d: Conv2DDescriptor, buffer: DeviceBuffer, weight: DeviceBuffer, bias: DeviceBuffer?) throws {
        guard d.kernelH == 1, d.kernelW == 1, d.strideH == 1, d.strideW == 1,
              d.padTop + d.padBottom + d.padLeft + d.padRight == 0, d.outChannels <= d.inChannels,
              buffer.count >= d.batch * d.inChannels * d.height * d.width else {
            throw TensorError.invalidArgument(operation: "conv2dInPlace",
                detail: "needs a 1x1, stride-1, unpadded convolution to at most \(d.inChannels) channels, got \(d)")
        }
        let (cin, cout, hw) = (d.inChannels, d.outChannels, d.height * d.width)
        let wide = try (weight as? CPUWeight16).map { try widened($0.packed) }
        try withExtendedLifetime(wide) {
            let w = wide?.pointer ?? ptr(weight), x = ptr(buffer)
            let b = bias.map { UnsafePointer(ptr($0)) }
            let scratch = try Scratch(count: cout * min(hw, Self.inPlaceBlockPixels), pool: pool)
            withBLAS {
                for n in 0..<d.batch {
                    projectPixels(0..<hw, of: x + n * cin * hw, into: x + n * cout * hw, inChannels: cin, outChannels: cout,
                                  plane: hw, weight: w, bias: b, scratch: scratch.pointer)
                }
            }
        }
        unsafeDowncast(buffer, to: CPUBuffer.self).releasePages(after: d.batch * cout * hw)
    }

    /// The 1x1 projection of the `pixels` of one image: reads its `inChannels` planes (`plane` floats apart) at
    /// `input`, writes `outChannels` planes at `output` through `scratch` (`outChannels · inPlaceBlockPixels`
    /// floats), in blocks of pixels, so `output` may overlap `input` where `conv2dInPlace` lets it. Call it
    /// inside ``withBLAS(_:)``.
    func projectPixels(_ pixels: Range<Int>, of input: UnsafePointer<Float>, into output: UnsafeMutablePointer<Float>,
                       inChannels: Int, outChannels: Int, plane: Int, weight: UnsafePointer<Float>,
                       bias: UnsafePointer<Float>?, scratch: UnsafeMutablePointer<Float>) {
        for p0 in stride(from: pixels.lowerBound, to: pixels.upperBound, by: Self.inPlaceBlockPixels) {
            let cols = min(Self.inPlaceBlockPixels, pixels.upperBound - p0)
            sgemm(m: outChannels, n: cols, k: inChannels, a: weight, lda: inChannels, b: input + p0, ldb: plane,
                  c: scratch, ldc: cols, bias: bias.map { ($0, .perRow) })
            for co in 0..<outChannels { (output + co * plane + p0).update(from: scratch + co * cols, count: cols) }
        }
    }
}
