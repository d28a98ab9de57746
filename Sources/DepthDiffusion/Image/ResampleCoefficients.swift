/// The per-output-pixel taps of one axis of a Pillow-style (antialiased) resize.
///
/// Follows `precompute_coeffs` in Pillow's `Resample.c`: the filter support is scaled by the shrink
/// factor (`max(in/out, 1)`), output pixel `i` is centred at `(i + 0.5) · in/out` in the source, taps cover
/// `[center - support + 0.5, center + support + 0.5)` clipped to the image, and weights are normalised to
/// sum to 1. All arithmetic is in Double, as in Pillow. PyTorch's antialiased `interpolate` uses the same
/// taps.
public struct ResampleCoefficients: Sendable {
    /// First source index of each output pixel.
    public let start: [Int]
    /// Weights of each output pixel's taps (source indices `start[i] ..< start[i] + weights[i].count`).
    public let weights: [[Double]]

    /// The taps for resizing an axis of `inputSize` pixels to `outputSize` pixels with `filter`.
    public init(inputSize: Int, outputSize: Int, filter: ResampleFilter) {
        let scale = Double(inputSize) / Double(outputSize)
        let filterScale = max(scale, 1)
        let support = filter.support * filterScale
        let invScale = 1 / filterScale
        var start = [Int](), weights = [[Double]]()
        start.reserveCapacity(outputSize); weights.reserveCapacity(outputSize)
        for i in 0..<outputSize {
            let center = (Double(i) + 0.5) * scale
            let lo = max(Int(center - support + 0.5), 0)          // C truncation, as Pillow
            let hi = min(Int(center + support + 0.5), inputSize)
            var k = [Double]()
            k.reserveCapacity(max(hi - lo, 0))
            var total = 0.0
            for x in lo..<max(hi, lo) {
                let w = filter.weight((Double(x) - center + 0.5) * invScale)
                k.append(w); total += w
            }
            if total != 0 { for j in k.indices { k[j] /= total } }
            start.append(lo); weights.append(k)
        }
        self.start = start; self.weights = weights
    }

    /// The weights as fixed-point integers with `precision` fractional bits, rounded half away from zero
    /// and truncated as C's `(int)` cast does.
    func fixedPoint(precision: Int) -> [[Int]] {
        let one = Double(1 << precision)
        return weights.map { k in k.map { $0 < 0 ? Int(-0.5 + $0 * one) : Int(0.5 + $0 * one) } }
    }

    /// PyTorch's precision for its uint8 kernel: the largest number of bits (at most 22) for which the
    /// largest weight still fits an int16 (`_compute_index_ranges_int16_weights`).
    var int16Precision: Int {
        let maxWeight = weights.lazy.flatMap { $0 }.max() ?? 0
        var precision = 0
        while precision < 22 {
            if Int(0.5 + maxWeight * Double(1 << (precision + 1))) >= (1 << 15) { break }
            precision += 1
        }
        return precision
    }
}
