/// The largest image that ``ImageFile`` decodes, checked against the size in the file's header before any
/// pixel buffer is allocated. A PNG or JPEG header can claim any size (a 100-byte file can say it is
/// 1,000,000 × 1,000,000 pixels); an image over either limit is refused with
/// ``ImageIOError/imageTooLarge(path:width:height:reason:)`` instead of being allocated.
///
/// The defaults (``standard``) accept anything up to 8192 × 8192 pixels, far above what the pipeline works at;
/// pass larger limits to the reading functions for bigger inputs:
///
/// ```swift
/// let big = ImageSizeLimits(maxPixels: 16_384 * 16_384, maxBytes: 8 << 30)
/// let image = try ImageFile.readRGBImage(url, limits: big)
/// ```
public struct ImageSizeLimits: Equatable, Sendable {
    /// The most pixels (width × height) accepted.
    public var maxPixels: Int
    /// The most bytes that decoding may hold at once, as estimated by ``estimatedBytes(width:height:channels:bitDepth:)``.
    public var maxBytes: Int

    /// Limits of `maxPixels` pixels and `maxBytes` bytes of decoding memory.
    public init(maxPixels: Int, maxBytes: Int) {
        self.maxPixels = maxPixels
        self.maxBytes = maxBytes
    }

    /// 67,108,864 pixels (8192 × 8192) and 1 GiB: an 8192 × 8192 8-bit RGB or 16-bit RGBA image fits.
    public static let standard = ImageSizeLimits(maxPixels: 8192 * 8192, maxBytes: 1 << 30)

    /// The peak memory of decoding an image: the decoder's output buffer (1 or 2 bytes a sample) plus the
    /// 16-bit samples of ``DecodedImage`` (for 8-bit files both exist at once). Saturates instead of overflowing.
    public static func estimatedBytes(width: Int, height: Int, channels: Int, bitDepth: Int) -> Int {
        let bytesPerSample = bitDepth > 8 ? 2 : 3
        let (pixels, o1) = width.multipliedReportingOverflow(by: height)
        let (samples, o2) = pixels.multipliedReportingOverflow(by: channels)
        let (bytes, o3) = samples.multipliedReportingOverflow(by: bytesPerSample)
        return o1 || o2 || o3 ? .max : bytes
    }

    /// Throws ``ImageIOError/imageTooLarge(path:width:height:reason:)`` when an image of this size is over a limit.
    func check(width: Int, height: Int, channels: Int, bitDepth: Int, path: String) throws {
        let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
        if overflow || pixels > maxPixels {
            throw ImageIOError.imageTooLarge(path: path, width: width, height: height,
                                             reason: "more than the limit of \(maxPixels) pixels")
        }
        let bytes = Self.estimatedBytes(width: width, height: height, channels: channels, bitDepth: bitDepth)
        if bytes > maxBytes {
            throw ImageIOError.imageTooLarge(path: path, width: width, height: height,
                                             reason: "decoding needs about \(Self.describe(bytes)), more than the limit of \(Self.describe(maxBytes))")
        }
    }

    /// `1536 bytes`, `12 MiB`: a byte count for messages.
    private static func describe(_ bytes: Int) -> String {
        bytes < 1 << 20 ? "\(bytes) bytes" : "\(bytes >> 20) MiB"
    }
}
