/// Single-precision `log` and `sincos` that follow, lane by lane, the Cephes-derived polynomials of
/// `avx_mathfun.h` that PyTorch's x86 `normal_fill_16_AVX2` kernel calls, including the fused
/// multiply-adds GCC emits for them. Using libm here instead changes the last bits of `torch.randn`.
enum CephesFloatMath {
    /// Natural logarithm of a positive float (NaN for x <= 0), as `log256_ps` computes it.
    static func log(_ input: Float) -> Float {
        if !(input > 0) { return .nan }
        let clamped = max(input, Float.leastNormalMagnitude)
        let bits = clamped.bitPattern
        // Mantissa rescaled into [0.5, 1) and the matching binary exponent.
        var m = Float(bitPattern: (bits & ~0x7F80_0000) | 0x3F00_0000)
        var exponent = Float(Int32(bits >> 23) - 0x7F) + 1
        let belowSqrtHalf = m < Float(0.707106781186547524)
        let carry: Float = belowSqrtHalf ? m : 0
        m -= 1
        if belowSqrtHalf { exponent -= 1 }
        m += carry

        let z = m * m
        let coefficients: [Float] = [
            7.0376836292E-2, -1.1514610310E-1, 1.1676998740E-1, -1.2420140846E-1, 1.4249322787E-1,
            -1.6668057665E-1, 2.0000714765E-1, -2.4999993993E-1, 3.3333331174E-1,
        ]
        var poly = coefficients[0]
        for c in coefficients.dropFirst() { poly = c.addingProduct(poly, m) }
        poly *= m
        poly = (exponent * Float(-2.12194440e-4)).addingProduct(poly, z)
        poly = poly.addingProduct(-z, 0.5)
        m += poly
        return m.addingProduct(exponent, Float(0.693359375))
    }

    /// Sine and cosine of a float, as `sincos256_ps` computes them.
    static func sincos(_ input: Float) -> (sin: Float, cos: Float) {
        let signSinInput = input.bitPattern & 0x8000_0000
        var x = abs(input)
        // Octant index rounded up to even (truncating conversion, as `cvttps` does).
        var octant = Int32(x * Float(1.27323954473516))
        octant = (octant + 1) & ~1
        let y = Float(octant)
        let swapSignSin = UInt32(truncatingIfNeeded: (octant & 4) << 29)
        let usesCosPolynomialForSin = (octant & 2) != 0
        let signCos = UInt32(truncatingIfNeeded: (~(octant - 2) & 4) << 29)

        // Extended-precision reduction x - y*pi/4 in three pieces.
        x = x.addingProduct(y, Float(-0.78515625))
        x = x.addingProduct(y, Float(-2.4187564849853515625e-4))
        x = x.addingProduct(y, Float(-3.77489497744594108e-8))

        let z = x * x
        var cosPoly = Float(2.443315711809948E-005)
        cosPoly = Float(-1.388731625493765E-003).addingProduct(cosPoly, z)
        cosPoly = Float(4.166664568298827E-002).addingProduct(cosPoly, z)
        cosPoly *= z
        cosPoly = (-(z * 0.5)).addingProduct(cosPoly, z)
        cosPoly += 1

        var sinPoly = Float(-1.9515295891E-4)
        sinPoly = Float(8.3321608736E-3).addingProduct(sinPoly, z)
        sinPoly = Float(-1.6666654611E-1).addingProduct(sinPoly, z)
        sinPoly *= z
        sinPoly = x.addingProduct(sinPoly, x)

        let sinValue = usesCosPolynomialForSin ? cosPoly : sinPoly
        let cosValue = usesCosPolynomialForSin ? sinPoly : cosPoly
        return (Float(bitPattern: sinValue.bitPattern ^ signSinInput ^ swapSignSin),
                Float(bitPattern: cosValue.bitPattern ^ signCos))
    }
}
