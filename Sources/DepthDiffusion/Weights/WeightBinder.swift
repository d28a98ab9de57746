/// Binds model parameters to tensors by their reference (diffusers / transformers) names.
///
/// Model code asks for each parameter by its full dotted name, e.g.
/// `down_blocks.0.attentions.0.proj_in.weight`, usually through scoped binders:
///
/// ```swift
/// let block = binder.scope("down_blocks").scope(0)
/// let weight = try block.scope("attentions").scope(0).tensor("proj_in.weight", shape: [320, 320])
/// ```
///
/// Problems are collected rather than thrown one at a time: a missing or wrongly shaped tensor yields
/// a zero placeholder, and ``finish(ignoringUnused:)`` then throws one ``WeightBindingError`` that
/// lists every missing, mis-shaped and unexpected name.
public final class WeightBinder {
    final class State {
        let source: WeightSource
        let backend: ComputeBackend
        var used: Set<String> = []
        var missing: [String] = []
        var mismatched: [(name: String, expected: [Int], found: [Int])] = []
        init(source: WeightSource, backend: ComputeBackend) { self.source = source; self.backend = backend }
    }

    private let state: State
    /// The dotted prefix of this scope (empty at the root).
    public let prefix: String

    /// A root binder that uploads tensors from `source` to `backend`.
    public init(source: WeightSource, backend: ComputeBackend) {
        state = State(source: source, backend: backend); prefix = ""
    }

    private init(state: State, prefix: String) { self.state = state; self.prefix = prefix }

    /// The backend tensors are uploaded to.
    public var backend: ComputeBackend { state.backend }

    /// A binder for the sub-module `name` (`prefix.name`).
    public func scope(_ name: String) -> WeightBinder {
        WeightBinder(state: state, prefix: prefix.isEmpty ? name : "\(prefix).\(name)")
    }

    /// A binder for item `index` of a module list (`prefix.index`).
    public func scope(_ index: Int) -> WeightBinder { scope(String(index)) }

    /// The full name of a parameter of this scope.
    public func fullName(_ name: String) -> String { prefix.isEmpty ? name : "\(prefix).\(name)" }

    /// The parameter `name` of this scope, which must have `shape`.
    public func tensor(_ name: String, shape: [Int]) throws -> Tensor {
        let full = fullName(name)
        state.used.insert(full)
        if state.source.tensorNames != nil {
            guard let found = state.source.shape(of: full) else {
                state.missing.append(full)
                return try Tensor(shape: shape, repeating: 0, on: state.backend)
            }
            // A scalar stored as [] or [1] and vectors stored with extra unit dimensions are accepted.
            if found != shape && !(found.reduce(1, *) == shape.reduce(1, *) && found.filter { $0 != 1 } == shape.filter { $0 != 1 }) {
                state.mismatched.append((full, shape, found))
                return try Tensor(shape: shape, repeating: 0, on: state.backend)
            }
        }
        return try Tensor(shape: shape, data: state.source.floats(full, shape: shape), on: state.backend)
    }

    /// The parameter `name` when the source has it, `nil` otherwise (for optional parameters such as biases).
    public func optionalTensor(_ name: String, shape: [Int]) throws -> Tensor? {
        if state.source.tensorNames != nil && state.source.shape(of: fullName(name)) == nil { return nil }
        return try tensor(name, shape: shape)
    }

    /// Checks that every requested tensor was found with the right shape and that the source holds
    /// no tensor the model did not use (other than those `ignoringUnused` accepts).
    public func finish(ignoringUnused: (String) -> Bool = { _ in false }) throws {
        let unexpected = (state.source.tensorNames ?? []).filter { !state.used.contains($0) && !ignoringUnused($0) }.sorted()
        guard state.missing.isEmpty && state.mismatched.isEmpty && unexpected.isEmpty else {
            throw WeightBindingError(missing: state.missing,
                                     shapeMismatches: state.mismatched.map { .init(name: $0.name, expected: $0.expected, found: $0.found) },
                                     unexpected: unexpected)
        }
    }
}

/// The parameters of a checkpoint do not match the model built from its configuration.
public struct WeightBindingError: Error, CustomStringConvertible, Equatable {
    public struct Mismatch: Equatable, Sendable {
        public var name: String, expected: [Int], found: [Int]
    }
    /// Parameters the model needs that the checkpoint lacks.
    public var missing: [String]
    /// Parameters whose stored shape differs from the model's.
    public var shapeMismatches: [Mismatch]
    /// Tensors in the checkpoint that the model does not use.
    public var unexpected: [String]

    public var description: String {
        var lines = ["the weights do not match the model configuration (is config.json from the same checkpoint?):"]
        func list(_ title: String, _ items: [String]) {
            guard !items.isEmpty else { return }
            lines.append("  \(title) (\(items.count)): " + items.prefix(20).joined(separator: ", ") + (items.count > 20 ? ", …" : ""))
        }
        list("missing", missing)
        list("wrong shape", shapeMismatches.map { "\($0.name) expected \($0.expected) found \($0.found)" })
        list("unexpected", unexpected)
        return lines.joined(separator: "\n")
    }
}
