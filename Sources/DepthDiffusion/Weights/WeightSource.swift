import Foundation

/// Where a model's parameters come from: a checkpoint on disk or generated values.
public protocol WeightSource: AnyObject {
    /// Every tensor name the source holds, or `nil` when it makes tensors on demand.
    var tensorNames: [String]? { get }
    /// The shape of a stored tensor, or `nil` when the source has no tensor of that name.
    func shape(of name: String) -> [Int]?
    /// The float32 values of tensor `name`, which has `shape`.
    func floats(_ name: String, shape: [Int]) throws -> [Float]
    /// Calls `body` with the elements of tensor `name` (which has `shape`) as the source holds them, so that
    /// 16-bit weights reach the device without a float32 copy. The default hands over ``floats(_:shape:)``.
    func withWeightData<R>(_ name: String, shape: [Int], _ body: (WeightData) throws -> R) throws -> R
}

extension WeightSource {
    public func withWeightData<R>(_ name: String, shape: [Int], _ body: (WeightData) throws -> R) throws -> R {
        try floats(name, shape: shape).withUnsafeBufferPointer { try body(.float32($0)) }
    }
}

extension SafeTensorsCollection: WeightSource {
    public var tensorNames: [String]? { names }
    public func shape(of name: String) -> [Int]? { entries[name]?.shape }
    public func floats(_ name: String, shape: [Int]) throws -> [Float] { try floats(name) }
    /// The stored bytes without a copy (F32, F16, BF16; F32 that is not 4-byte aligned is copied first).
    /// Afterwards the file's pages of the tensor are released, so a loaded model does not keep its
    /// checkpoint resident as well.
    public func withWeightData<R>(_ name: String, shape: [Int], _ body: (WeightData) throws -> R) throws -> R {
        try file(containing: name).withWeightData(name, body)
    }
}

/// Deterministic random parameters for running full-size configurations without files (benchmarks).
///
/// Matrices and kernels are uniform in `±1/sqrt(fan_in)` (PyTorch's default scale), biases are 0 and
/// one-dimensional `norm` weights are 1, so activations keep a sensible range through deep networks.
public final class RandomWeightSource: WeightSource {
    private let seed: UInt64
    public init(seed: UInt64 = 0) { self.seed = seed }
    public var tensorNames: [String]? { nil }
    public func shape(of name: String) -> [Int]? { nil }

    public func floats(_ name: String, shape: [Int]) throws -> [Float] {
        let count = shape.reduce(1, *)
        if shape.count == 1 {
            let isNormWeight = name.hasSuffix(".weight") && (name.contains("norm") || name.contains("ln_"))
            return [Float](repeating: isNormWeight ? 1 : 0, count: count)
        }
        let bound = 1 / Float(max(shape.dropFirst().reduce(1, *), 1)).squareRoot()
        var state = seed ^ UInt64(truncatingIfNeeded: name.hashValueStable)
        return (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return (Float(state >> 40) / Float(1 << 24) * 2 - 1) * bound
        }
    }
}

extension String {
    /// FNV-1a hash of the UTF-8 bytes (stable across runs, unlike `hashValue`).
    var hashValueStable: UInt64 {
        utf8.reduce(14695981039346656037) { ($0 ^ UInt64($1)) &* 1099511628211 }
    }
}
