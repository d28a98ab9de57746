import CDepthKernels

// Vectorised helpers of the CPU backend. Transcendental loops (exp, erfc, sigmoid) live in the C
// target CDepthKernels, which is compiled for AVX2/FMA with a run-time check; the memory-bound
// loops here use SIMD16.

typealias F16x = SIMD16<Float>

extension Parallel {
    /// Applies a SIMD function to `count` elements (tail handled with a padded vector), in parallel.
    @inline(__always) func simdMap(count: Int, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                                   _ f: (F16x) -> F16x) {
        let vectors = (count + 15) / 16
        forEach(vectors, grain: 2048) { range in
            for v in range {
                let i = v * 16
                if i + 16 <= count {
                    let r = f(UnsafeRawPointer(x + i).loadUnaligned(as: F16x.self))
                    UnsafeMutableRawPointer(y + i).storeBytes(of: r, as: F16x.self)
                } else {
                    var tmp = F16x()
                    for j in 0..<(count - i) { tmp[j] = x[i + j] }
                    let r = f(tmp)
                    for j in 0..<(count - i) { y[i + j] = r[j] }
                }
            }
        }
    }
}

/// Sum and sum of squared deviations of `n` floats, accumulated per 16-lane block in Double.
@inline(__always) func meanAndVariance(_ x: UnsafePointer<Float>, _ n: Int) -> (mean: Double, variance: Double) {
    var sum = 0.0
    var i = 0
    while i < n {
        let end = min(n, i + 4096)
        var acc = F16x()
        var j = i
        while j + 16 <= end { acc += UnsafeRawPointer(x + j).loadUnaligned(as: F16x.self); j += 16 }
        var s = Double(acc.sum())
        while j < end { s += Double(x[j]); j += 1 }
        sum += s
        i = end
    }
    let mean = sum / Double(n)
    let m = Float(mean)
    var sq = 0.0
    i = 0
    while i < n {
        let end = min(n, i + 4096)
        var acc = F16x()
        var j = i
        while j + 16 <= end {
            let d = UnsafeRawPointer(x + j).loadUnaligned(as: F16x.self) - m
            acc += d * d; j += 16
        }
        var s = Double(acc.sum())
        while j < end { let d = Double(x[j]) - mean; s += d * d; j += 1 }
        sq += s
        i = end
    }
    return (mean, sq / Double(n))
}
