/// A relative depth map (MiDaS inverse depth: larger is nearer), row-major float32.
public struct DepthMap: Sendable, Equatable {
    public let width: Int
    public let height: Int
    /// `width * height` values.
    public var values: [Float]

    public init(width: Int, height: Int, values: [Float]) throws {
        try ImageError.checkSize(width: width, height: height, channels: 1, count: values.count, of: "a depth map")
        self.width = width; self.height = height; self.values = values
    }

    /// The smallest and largest value.
    public var range: (min: Float, max: Float) {
        values.reduce((Float.infinity, -Float.infinity)) { (min($0.0, $1), max($0.1, $1)) }
    }

    /// Min-max normalised to `0 ... maxLevel`, rounded (a constant map becomes 0).
    private func levels(_ maxLevel: Double) -> [Double] {
        let (lo, hi) = range
        let span = Double(hi) - Double(lo)
        return values.map { span > 0 ? ((Double($0) - Double(lo)) / span * maxLevel).rounded() : 0 }
    }

    /// An 8-bit grayscale view: min-max normalised, nearest (largest value) white.
    public func grayscale8() throws -> GrayscaleImage<UInt8> {
        try GrayscaleImage(width: width, height: height, pixels: levels(255).map { UInt8($0) })
    }

    /// A 16-bit grayscale view: min-max normalised, nearest (largest value) white.
    public func grayscale16() throws -> GrayscaleImage<UInt16> {
        try GrayscaleImage(width: width, height: height, pixels: levels(65535).map { UInt16($0) })
    }
}
