/// A single-channel image with 8-bit (`UInt8`) or 16-bit (`UInt16`) samples, row-major.
public struct GrayscaleImage<Sample: FixedWidthInteger & UnsignedInteger & Sendable>: Equatable, Sendable {
    /// Width in pixels.
    public let width: Int
    /// Height in pixels.
    public let height: Int
    /// `width * height` samples.
    public var pixels: [Sample]

    /// Wraps samples; throws ``ImageError/invalidSize(_:)`` when the count does not match.
    public init(width: Int, height: Int, pixels: [Sample]) throws {
        try ImageError.checkSize(width: width, height: height, channels: 1, count: pixels.count, of: "a grayscale image")
        self.width = width; self.height = height; self.pixels = pixels
    }
}
