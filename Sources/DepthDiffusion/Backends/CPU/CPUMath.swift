// Vectorised transcendental functions for the CPU backend (SIMD16 lanes).

typealias F16x = SIMD16<Float>

/// `e^x` with Cody–Waite reduction and a degree-7 polynomial (≤ 2 ulp on the normal range);
/// returns 0 below -87.3 and saturates near 2.2e38 above 88.3.
@inline(__always) func simdExp(_ x: F16x) -> F16x {
    let xc = x.clamped(lowerBound: F16x(repeating: -87.3), upperBound: F16x(repeating: 88.3))
    let n = (xc * 1.442695040888963).rounded(.toNearestOrEven)
    var r = xc - n * 0.693145751953125
    r = r - n * 1.428606765330187e-06
    var p = F16x(repeating: 1.0 / 5040)
    p = p * r + 1.0 / 720
    p = p * r + 1.0 / 120
    p = p * r + 1.0 / 24
    p = p * r + 1.0 / 6
    p = p * r + 0.5
    p = p * r + 1
    p = p * r + 1
    let bits = (SIMD16<Int32>(n, rounding: .towardZero) &+ 127) &<< 23
    var result = p * unsafeBitCast(bits, to: F16x.self)
    result.replace(with: 0, where: x .< -87.3)
    return result
}

/// `erfc(z)` by the Chebyshev fit of Numerical Recipes (`erfcc`), relative error < 1.2e-7.
@inline(__always) func simdErfc(_ z: F16x) -> F16x {
    let a = z.replacing(with: -z, where: z .< 0)
    let t = 1 / (1 + 0.5 * a)
    var p = F16x(repeating: 0.17087277)
    p = p * t - 0.82215223
    p = p * t + 1.48851587
    p = p * t - 1.13520398
    p = p * t + 0.27886807
    p = p * t - 0.18628806
    p = p * t + 0.09678418
    p = p * t + 0.37409196
    p = p * t + 1.00002368
    p = p * t - 1.26551223
    let r = t * simdExp(p - a * a)
    return r.replacing(with: F16x(repeating: 2) - r, where: z .< 0)
}

/// Exact-form GELU, `0.5 x erfc(-x/√2)`.
@inline(__always) func simdGelu(_ x: F16x) -> F16x { 0.5 * x * simdErfc(x * -0.7071067811865476) }

/// `1 / (1 + e^-x)`.
@inline(__always) func simdSigmoid(_ x: F16x) -> F16x { 1 / (1 + simdExp(-x)) }

/// `tanh(x)` as `1 - 2 / (e^{2x} + 1)`.
@inline(__always) func simdTanh(_ x: F16x) -> F16x { 1 - 2 / (simdExp(2 * x) + 1) }

/// Applies a SIMD function to `count` elements (tail handled with a padded vector), in parallel.
@inline(__always) func simdMap(count: Int, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                               _ f: (F16x) -> F16x) {
    let vectors = (count + 15) / 16
    Parallel.forEach(vectors, grain: 2048) { range in
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
