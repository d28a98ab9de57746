import DepthDiffusion
import Foundation

extension ImageFile {
    /// Reads a PNG or JPEG as 8-bit RGB (alpha dropped, gray replicated, 16-bit rounded to 8).
    /// Images over `limits` are refused before they are decoded (see ``ImageSizeLimits``).
    public static func readRGBImage(_ url: URL, limits: ImageSizeLimits = .standard) throws -> RGBImage {
        let decoded = try read(url, limits: limits)
        return try RGBImage(width: decoded.width, height: decoded.height, pixels: decoded.rgb8())
    }

    /// Reads a grayscale PNG (8-bit / 255 or 16-bit / 65535) or JPEG as a depth map with values in [0, 1].
    /// Colour images are rejected with ``ImageIOError/wrongChannelCount(path:channels:expected:)``; images over
    /// `limits` are refused before they are decoded (see ``ImageSizeLimits``).
    public static func readDepthMap(_ url: URL, limits: ImageSizeLimits = .standard) throws -> DepthMap {
        let decoded = try read(url, limits: limits)
        return try DepthMap(width: decoded.width, height: decoded.height, values: decoded.gray(path: url.path))
    }

    /// Writes an RGB image as an 8-bit PNG, atomically.
    public static func write(_ image: RGBImage, to url: URL) throws {
        try writePNG(rgb: image.pixels, width: image.width, height: image.height, to: url)
    }

    /// The bytes of an 8-bit RGB PNG of `image`, as ``write(_:to:)`` would store them.
    public static func encodePNG(_ image: RGBImage) throws -> Data {
        try encodePNG(rgb: image.pixels, width: image.width, height: image.height)
    }

    /// Writes a grayscale image as a PNG of its bit depth, atomically.
    public static func write<Sample>(_ image: GrayscaleImage<Sample>, to url: URL) throws {
        if Sample.bitWidth == 16 {
            try writePNG(gray16: image.pixels.map { UInt16(truncatingIfNeeded: $0) }, width: image.width, height: image.height, to: url)
        } else {
            try writePNG(gray8: image.pixels.map { UInt8(truncatingIfNeeded: $0) }, width: image.width, height: image.height, to: url)
        }
    }
}
