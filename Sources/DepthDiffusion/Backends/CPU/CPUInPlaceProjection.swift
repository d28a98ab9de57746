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
            let block = min(hw, Self.inPlaceBlockPixels)
            let scratch = try Scratch(count: cout * block, pool: pool)
            let s = scratch.pointer
            withBLAS {
                for n in 0..<d.batch {
                    for p0 in stride(from: 0, to: hw, by: block) {
                        let cols = min(block, hw - p0)
                        sgemm(m: cout, n: cols, k: cin, a: w, lda: cin, b: x + n * cin * hw + p0, ldb: hw,
                              c: s, ldc: cols, bias: b.map { ($0, .perRow) })
                        for co in 0..<cout { (x + (n * cout + co) * hw + p0).update(from: s + co * cols, count: cols) }
                    }
                }
            }
        }
        unsafeDowncast(buffer, to: CPUBuffer.self).releasePages(after: d.batch * cout * hw)
    }
}
