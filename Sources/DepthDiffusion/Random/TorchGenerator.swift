import Foundation

/// Bit-compatible reimplementation of PyTorch's CPU random generator for `torch.randn`.
///
/// `TorchGenerator(seed: s)` followed by `normal(count:)` calls returns the same float32 values as
/// `g = torch.Generator().manual_seed(s)` followed by `torch.randn(shape, generator=g)` calls with the
/// same element counts, in the same order. It mirrors ATen's `normal_kernel`:
/// - tensors with at least 16 elements: fill with 24-bit uniforms, then Box–Muller in blocks of 16
///   (first 8 lanes cosine, last 8 sine); a ragged tail redraws and recomputes the last 16 values;
/// - smaller tensors: one scalar double-precision Box–Muller pair per two values, with the spare
///   sine value cached in the generator (and reused by the next small draw), as ATen does.
///
/// The block path reproduces the x86-64 kernel (`normal_fill_16_AVX2`, Cephes float polynomials from
/// `avx_mathfun.h` with GCC's fused multiply-adds), which PyTorch runs on every AVX2/AVX-512 CPU.
/// PyTorch builds for other CPUs (e.g. ARM) use libm there and can differ from x86 by about 1 ulp.
public final class TorchGenerator: RandomSource {
    private var engine: MersenneTwister
    private var cachedNormal: Double?

    /// Creates a generator in the state of `torch.Generator().manual_seed(seed)`.
    ///
    /// - Parameter seed: The seed; like PyTorch's `mt19937`, only its low 32 bits matter.
    public init(seed: UInt64) {
        engine = MersenneTwister(seed: seed)
        cachedNormal = nil
    }

    /// Draws `count` values exactly as `torch.randn(count, generator: g)` on the CPU in float32.
    public func normal(count: Int) -> [Float] {
        guard count > 0 else { return [] }
        if count >= 16 { return blockNormal(count: count) }
        return (0..<count).map { _ in Float(scalarNormal()) }
    }

    /// `uniform_real_distribution<float>(0, 1)`: 24 random bits scaled by 2^-24.
    private func uniformFloat() -> Float {
        Float(engine.next() & 0xFF_FFFF) * (1.0 / 16_777_216.0)
    }

    /// `uniform_real_distribution<double>(0, 1)`: 53 of 64 random bits scaled by 2^-53.
    private func uniformDouble() -> Double {
        let high = UInt64(engine.next())
        let low = UInt64(engine.next())
        let bits = ((high << 32) | low) & ((1 << 53) - 1)
        return Double(bits) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// `at::normal_distribution<double>` with its cached second sample.
    private func scalarNormal() -> Double {
        if let cached = cachedNormal {
            cachedNormal = nil
            return cached
        }
        let u1 = uniformDouble()
        let u2 = uniformDouble()
        let radius = (-2.0 * Foundation.log1p(-u2)).squareRoot()
        let theta = 2.0 * Double.pi * u1
        cachedNormal = radius * Foundation.sin(theta)
        return radius * Foundation.cos(theta)
    }

    /// ATen `normal_fill`: uniforms first, then Box–Muller over 16-element blocks.
    private func blockNormal(count: Int) -> [Float] {
        var data = (0..<count).map { _ in uniformFloat() }
        var start = 0
        while start + 16 <= count {
            Self.boxMuller16(&data, at: start)
            start += 16
        }
        if count % 16 != 0 {
            let tail = count - 16
            for i in tail..<count { data[i] = uniformFloat() }
            Self.boxMuller16(&data, at: tail)
        }
        return data
    }

    /// ATen `normal_fill_16_AVX2` (the kernel x86 builds of PyTorch run) with mean 0 and std 1.
    private static func boxMuller16(_ data: inout [Float], at offset: Int) {
        let twoPi = Float(2.0 * Double.pi)
        for j in 0..<8 {
            let u1: Float = 1 - data[offset + j]
            let u2 = data[offset + j + 8]
            let radius = (-2 * CephesFloatMath.log(u1)).squareRoot()
            let (sine, cosine) = CephesFloatMath.sincos(twoPi * u2)
            data[offset + j] = radius * cosine
            data[offset + j + 8] = radius * sine
        }
    }
}
