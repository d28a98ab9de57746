/// Pixels decoded from a PNG or JPEG file: interleaved samples at their stored bit depth.
public struct DecodedImage: Equatable, Sendable {
    /// Width in pixels.
    public let width: Int
    /// Height in pixels.
    public let height: Int
    /// Samples per pixel: 1 (gray), 2 (gray + alpha), 3 (RGB) or 4 (RGBA).
    public let channels: Int
    /// 8 or 16.
    public let bitDepth: Int
    /// `width * height * channels` samples, row-major, interleaved; 8-bit files use 0...255.
    public let samples: [UInt16]

    public init(width: Int, height: Int, channels: Int, bitDepth: Int, samples: [UInt16]) {
        self.width = width; self.height = height; self.channels = channels; self.bitDepth = bitDepth; self.samples = samples
    }

    /// Largest sample value of the bit depth (255 or 65535).
    public var maxValue: Float { bitDepth == 16 ? 65535 : 255 }

    /// 8-bit RGB bytes, dropping alpha and replicating gray (as PIL's `convert("RGB")` does).
    /// 16-bit images are reduced to 8 bits by rounding.
    public func rgb8() -> [UInt8] {
        var out = [UInt8](repeating: 0, count: width * height * 3)
        let scale = bitDepth == 16 ? Float(255) / 65535 : 1
        for p in 0..<(width * height) {
            for c in 0..<3 {
                let source = channels >= 3 ? samples[p * channels + c] : samples[p * channels]
                out[p * 3 + c] = UInt8(min(255, (Float(source) * scale).rounded()))
            }
        }
        return out
    }

    /// Gray values in [0, 1] (8-bit / 255, 16-bit / 65535), ignoring alpha.
    /// Throws ``ImageIOError/wrongChannelCount(path:channels:expected:)`` for color images.
    public func gray(path: String) throws -> [Float] {
        guard channels <= 2 else {
            throw ImageIOError.wrongChannelCount(path: path, channels: channels, expected: "a grayscale image (1 channel, optionally with alpha)")
        }
        return (0..<(width * height)).map { Float(samples[$0 * channels]) / maxValue }
    }
}
