@testable import DepthDiffusion

/// A weight source that returns another source's tensors with the first value of one of them replaced
/// (NaN, infinity): corrupt or fp16-overflowing weights, without a file on disk.
final class PoisonedWeightSource: WeightSource {
    let base: WeightSource
    let poisoned: String
    let value: Float

    init(_ base: WeightSource, poisoning name: String, with value: Float) {
        self.base = base; self.poisoned = name; self.value = value
    }

    var tensorNames: [String]? { base.tensorNames }
    func shape(of name: String) -> [Int]? { base.shape(of: name) }
    func floats(_ name: String, shape: [Int]) throws -> [Float] {
        var values = try base.floats(name, shape: shape)
        if name == poisoned, !values.isEmpty { values[0] = value }
        return values
    }
}
