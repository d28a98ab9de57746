import Foundation

/// The resampling filters of Pillow's `Image.resize` (`Resample.c`), as weight functions.
public enum ResampleFilter: Sendable, Equatable {
    /// `Image.BILINEAR` (triangle, support 1).
    case bilinear
    /// `Image.BICUBIC` (Keys cubic with a = -0.5, support 2).
    case bicubic
    /// `Image.LANCZOS` (Lanczos-3, support 3).
    case lanczos

    /// The PIL / transformers `resample` integer: 1 LANCZOS, 2 BILINEAR, 3 BICUBIC; `nil` for other filters.
    public init?(pilCode: Int) {
        switch pilCode {
        case 1: self = .lanczos
        case 2: self = .bilinear
        case 3: self = .bicubic
        default: return nil
        }
    }

    /// Half-width of the filter in source pixels before scaling.
    public var support: Double {
        switch self {
        case .bilinear: return 1
        case .bicubic: return 2
        case .lanczos: return 3
        }
    }

    /// The filter's weight at distance `x`.
    public func weight(_ x: Double) -> Double {
        switch self {
        case .bilinear:
            let ax = abs(x)
            return ax < 1 ? 1 - ax : 0
        case .bicubic:
            let a = -0.5, ax = abs(x)
            if ax < 1 { return ((a + 2) * ax - (a + 3)) * ax * ax + 1 }
            if ax < 2 { return (((ax - 5) * ax + 8) * ax - 4) * a }
            return 0
        case .lanczos:
            guard x >= -3, x < 3 else { return 0 }
            return Self.sinc(x) * Self.sinc(x / 3)
        }
    }

    private static func sinc(_ x: Double) -> Double {
        if x == 0 { return 1 }
        let px = x * Double.pi
        return sin(px) / px
    }
}
