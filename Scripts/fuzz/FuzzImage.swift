// The `png`, `jpeg` and `depthmap` targets: the image files a user passes to depth2img and estimate-depth.
import Foundation

/// Limits for fuzzing: small enough that a header claiming a large image is refused quickly, so the
/// fuzzer spends its time in the decoders rather than in filling buffers of hundreds of megabytes.
private let fuzzLimits = ImageSizeLimits(maxPixels: 4_000_000, maxBytes: 64 << 20)

/// A PNG or JPEG (the format is chosen by its signature, as for a file) decoded and converted to RGB.
func fuzzImage(_ bytes: UnsafeRawBufferPointer) {
    let url = fuzzFile(bytes, named: "image")
    _ = try? ImageFile.readRGBImage(url, limits: fuzzLimits)
}

/// A depth map file (8- or 16-bit grayscale PNG, or JPEG) read as a DepthMap, then turned back into
/// the 16-bit and 8-bit images that depth2img writes.
func fuzzDepthMap(_ bytes: UnsafeRawBufferPointer) {
    let url = fuzzFile(bytes, named: "depth")
    guard let depth = try? ImageFile.readDepthMap(url, limits: fuzzLimits) else { return }
    _ = try? depth.grayscale16()
    _ = try? depth.grayscale8()
}
