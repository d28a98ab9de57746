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
        guard width > 0, height > 0 else {
            throw ImageError.invalidSize("an image needs a positive width and height, got \(width)x\(height)")
        }
        guard pixels.count == width * height * 3 else {
            throw ImageError.invalidSize("an RGB image of \(width)x\(height) needs \(width * height * 3) bytes, got \(pixels.count)")
        }
        self.width = width; self.height = height; self.pixels = pixels
    }

    /// The byte of channel `channel` (0 = R) at column `x`, row `y`.
    public subscript(x: Int, y: Int, channel: Int) -> UInt8 { pixels[(y * width + x) * 3 + channel] }
}

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
        guard width > 0, height > 0, pixels.count == width * height else {
            throw ImageError.invalidSize("a \(width)x\(height) grayscale image needs \(max(width * height, 0)) samples, got \(pixels.count)")
        }
        self.width = width; self.height = height; self.pixels = pixels
    }
}

/// Problems with image data or resampling requests.
public enum ImageError: Error, Equatable, CustomStringConvertible {
    /// The dimensions and the pixel buffer disagree, or a size is not positive.
    case invalidSize(String)

    public var description: String {
        switch self {
        case .invalidSize(let detail): return "invalid image size: \(detail)"
        }
    }
}
