/// An 8-bit RGB image: `height` rows of `width` pixels, each three bytes (R, G, B), row-major, no padding.
///
/// A plain value type shared by the depth estimator and the pipeline. Decoding and encoding files
/// (PNG, JPEG) is left to a separate target.
public struct RGBImage: Equatable, Sendable {
    /// Width in pixels.
    public let width: Int
    /// Height in pixels.
    public let height: Int
    /// Interleaved RGB bytes, `width * height * 3` of them.
    public var pixels: [UInt8]

    /// Wraps interleaved RGB bytes; throws ``ImageError/invalidSize(_:)`` when the count does not match.
    public init(width: Int, height: Int, pixels: [UInt8]) throws {
        try ImageError.checkSize(width: width, height: height, channels: 3, count: pixels.count, of: "an RGB image")
        self.width = width; self.height = height; self.pixels = pixels
    }

    /// The byte of channel `channel` (0 = R) at column `x`, row `y`.
    public subscript(x: Int, y: Int, channel: Int) -> UInt8 { pixels[(y * width + x) * 3 + channel] }
}
