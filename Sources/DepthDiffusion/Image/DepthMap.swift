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

    /// Whether every value is a finite number (no NaN or infinity).
    public var isFinite: Bool { values.allSatisfy(\.isFinite) }

    /// Every value min-max normalised to [0, 1] over the finite values (a constant map becomes 0). For viewing:
    /// NaN becomes 0 (far), +infinity 1 and -infinity 0, so any map can be rendered.
    func normalizedForViewing() -> [Double] {
        var lo = Double.infinity, hi = -Double.infinity
        for v in values where v.isFinite { lo = min(lo, Double(v)); hi = max(hi, Double(v)) }
        let span = hi - lo
        return values.map { v in
            if v.isNaN { return 0 }
            if v.isInfinite { return v > 0 ? 1 : 0 }
            return span > 0 ? min(max((Double(v) - lo) / span, 0), 1) : 0
        }
    }

    /// An 8-bit grayscale view: min-max normalised, nearest (largest value) white.
    public func grayscale8() throws -> GrayscaleImage<UInt8> {
        try GrayscaleImage(width: width, height: height, pixels: normalizedForViewing().map { UInt8(($0 * 255).rounded()) })
    }

    /// A 16-bit grayscale view: min-max normalised, nearest (largest value) white.
    public func grayscale16() throws -> GrayscaleImage<UInt16> {
        try GrayscaleImage(width: width, height: height, pixels: normalizedForViewing().map { UInt16(($0 * 65535).rounded()) })
    }
}
