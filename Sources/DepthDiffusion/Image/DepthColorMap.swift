/// Colour maps for viewing depth: near is bright yellow, far is dark purple.
public enum DepthColorMap {
    /// An 8-bit RGB rendering of `depth`, min–max normalised, through a perceptual purple–orange–yellow ramp
    /// (piecewise-linear through eight control colours). NaN renders as the far colour.
    public static func apply(_ depth: DepthMap) throws -> RGBImage {
        let stops: [(Float, Float, Float)] = [(0, 0, 4), (40, 11, 84), (101, 21, 110), (159, 42, 99),
                                              (212, 72, 66), (245, 125, 21), (250, 193, 39), (252, 255, 164)]
        var pixels = [UInt8](repeating: 0, count: depth.values.count * 3)
        for (i, v) in depth.normalizedForViewing().enumerated() {
            let t = Float(v) * Float(stops.count - 1)
            let k = min(Int(t), stops.count - 2), f = t - Float(k)
            let (a, b) = (stops[k], stops[k + 1])
            pixels[i * 3] = UInt8((a.0 + (b.0 - a.0) * f).rounded())
            pixels[i * 3 + 1] = UInt8((a.1 + (b.1 - a.1) * f).rounded())
            pixels[i * 3 + 2] = UInt8((a.2 + (b.2 - a.2) * f).rounded())
        }
        return try RGBImage(width: depth.width, height: depth.height, pixels: pixels)
    }
}
