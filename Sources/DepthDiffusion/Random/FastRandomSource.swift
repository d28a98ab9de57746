import Foundation

/// A fast, deterministic normal generator (xoshiro256** + Box–Muller) for users who do not need
/// PyTorch parity. The same seed always yields the same stream on every platform Swift supports,
/// but the values differ from `torch.randn`.
public final class FastRandomSource: RandomSource {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    /// Creates a generator whose 256-bit state is expanded from `seed` with SplitMix64.
    ///
    /// - Parameter seed: Any 64-bit seed.
    public init(seed: UInt64) {
        var x = seed
        func splitMix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = splitMix(); s1 = splitMix(); s2 = splitMix(); s3 = splitMix()
    }

    private func nextBits() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = (s3 << 45) | (s3 >> 19)
        return result
    }

    /// A uniform double in [0, 1) built from the top 53 bits.
    private func uniform() -> Double {
        Double(nextBits() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// Draws `count` standard-normal values (both Box–Muller outputs are used).
    public func normal(count: Int) -> [Float] {
        var out = [Float]()
        out.reserveCapacity(count)
        while out.count < count {
            let radius = (-2.0 * Foundation.log1p(-uniform())).squareRoot()
            let theta = 2.0 * Double.pi * uniform()
            out.append(Float(radius * Foundation.cos(theta)))
            if out.count < count { out.append(Float(radius * Foundation.sin(theta))) }
        }
        return out
    }
}
