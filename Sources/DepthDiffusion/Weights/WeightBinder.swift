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
/// lists every missing, mis-shaped and unexpected name. Placeholders are bounded: once they would exceed
/// ``placeholderElementBudget`` elements the error is thrown at once (with what was found so far), so a
/// configuration that declares huge layers is reported without allocating them.
public final class WeightBinder {
    /// The most elements that zero placeholders for missing or mis-shaped parameters may hold in total
    /// (64 Mi, 256 MB of float32).
    public static let placeholderElementBudget = 1 << 26

    final class State {
        let source: WeightSource
        let backend: ComputeBackend
        let precision: WeightPrecision
        var used: Set<String> = []
        var missing: [String] = []
        var mismatched: [(name: String, expected: [Int], found: [Int])] = []
        var placeholderElements = 0
        init(source: WeightSource, backend: ComputeBackend, precision: WeightPrecision) {
            self.source = source; self.backend = backend
            self.precision = backend.supports(.weights16) ? precision : .fp32
        }
    }

    private let state: State
    /// The dotted prefix of this scope (empty at the root).
    public let prefix: String

    /// A root binder that uploads tensors from `source` to `backend`, holding the weights of linear and
    /// convolution layers (``weight(_:shape:)``) in `precision` when the backend claims
    /// ``BackendCapability/weights16`` (in float32 otherwise).
    public init(source: WeightSource, backend: ComputeBackend, precision: WeightPrecision = .fp32) {
        state = State(source: source, backend: backend, precision: precision); prefix = ""
    }

    private init(state: State, prefix: String) { self.state = state; self.prefix = prefix }

    /// The backend tensors are uploaded to.
    public var backend: ComputeBackend { state.backend }
    /// How ``weight(_:shape:)`` stores layer weights: the requested precision, or ``WeightPrecision/fp32`` when
    /// the backend holds no 16-bit weights.
    public var precision: WeightPrecision { state.precision }

    /// A binder for the sub-module `name` (`prefix.name`).
    public func scope(_ name: String) -> WeightBinder {
        WeightBinder(state: state, prefix: prefix.isEmpty ? name : "\(prefix).\(name)")
    }

    /// A binder for item `index` of a module list (`prefix.index`).
    public func scope(_ index: Int) -> WeightBinder { scope(String(index)) }

    /// The full name of a parameter of this scope.
    public func fullName(_ name: String) -> String { prefix.isEmpty ? name : "\(prefix).\(name)" }

    /// The parameter `name` of this scope, which must have `shape`.
    ///
    /// - Throws: ``ConfigError/inconsistent(component:detail:)`` when `shape` (which comes from a configuration)
    ///   has a negative or absurdly large size; ``WeightBindingError`` when the placeholders for missing or
    ///   mis-shaped parameters would exceed ``placeholderElementBudget``.
    public func tensor(_ name: String, shape: [Int]) throws -> Tensor {
        try bind(name, shape: shape, precision: .fp32)
    }

    /// The weight `name` of a linear (`[out, in]`) or convolution (`[outC, inC, kH, kW]`) layer, in the
    /// binder's ``precision``: a 16-bit weight is a `[shape[0], rest]` matrix on the device (see
    /// ``BackendCapability/weights16``) that only ``ComputeBackend/linear(_:weight:bias:activation:residual:)``
    /// and ``ComputeBackend/conv2d(_:weight:bias:stride:padding:)`` read.
    ///
    /// - Throws: as ``tensor(_:shape:)``.
    public func weight(_ name: String, shape: [Int]) throws -> Tensor {
        try bind(name, shape: shape, precision: shape.count >= 2 ? state.precision : .fp32)
    }

    private func bind(_ name: String, shape: [Int], precision: WeightPrecision) throws -> Tensor {
        let full = fullName(name)
        let count: Int
        do { count = try Tensor.elementCount(shape) } catch {
            throw ConfigError.inconsistent(component: "model",
                detail: "parameter \(full) would have shape \(shape), which is negative or far too large; check the sizes in config.json")
        }
        state.used.insert(full)
        if state.source.tensorNames != nil {
            guard let found = state.source.shape(of: full) else {
                state.missing.append(full)
                return try placeholder(shape, count: count)
            }
            // A scalar stored as [] or [1] and vectors stored with extra unit dimensions are accepted.
            let foundCount = try? Tensor.elementCount(found)
            if found != shape && !(foundCount == count && found.filter { $0 != 1 } == shape.filter { $0 != 1 }) {
                state.mismatched.append((full, shape, found))
                return try placeholder(shape, count: count)
            }
        }
        let backend = state.backend
        return try state.source.withWeightData(full, shape: shape) { data in
            guard data.count == count else {
                throw WeightBindingError(missing: [], shapeMismatches: [.init(name: full, expected: shape, found: [data.count])],
                                         unexpected: [])
            }
            if precision != .fp32 && count > 0 {
                let buffer = try backend.makeWeight16(data, rows: shape[0], cols: count / shape[0], precision: precision)
                return try Tensor(shape: shape, buffer: buffer, backend: backend, storage: precision)
            }
            let tensor = try Tensor(uninitializedShape: shape, on: backend)
            if case .float32(let values) = data {
                try backend.upload(values, to: tensor.buffer, offset: 0)
            } else {
                try data.floats().withUnsafeBufferPointer { try backend.upload($0, to: tensor.buffer, offset: 0) }
            }
            return tensor
        }
    }

    /// A zero tensor standing in for a parameter that ``finish(ignoringUnused:)`` will report, within the budget.
    private func placeholder(_ shape: [Int], count: Int) throws -> Tensor {
        state.placeholderElements += count
        guard state.placeholderElements <= Self.placeholderElementBudget else { throw bindingError(unexpected: [], complete: false) }
        return try Tensor(shape: shape, repeating: 0, on: state.backend)
    }

    private func bindingError(unexpected: [String], complete: Bool) -> WeightBindingError {
        var error = WeightBindingError(missing: state.missing,
                                       shapeMismatches: state.mismatched.map { .init(name: $0.name, expected: $0.expected, found: $0.found) },
                                       unexpected: unexpected)
        error.isComplete = complete
        return error
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
            throw bindingError(unexpected: unexpected, complete: true)
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
    /// `false` when binding stopped early because the missing or mis-shaped parameters were too large to stand
    /// in for (the lists then hold only what was found before).
    public var isComplete = true

    public init(missing: [String], shapeMismatches: [Mismatch], unexpected: [String]) {
        self.missing = missing; self.shapeMismatches = shapeMismatches; self.unexpected = unexpected
    }

    public var description: String {
        var lines = ["the weights do not match the model configuration (is config.json from the same checkpoint?):"]
        func list(_ title: String, _ items: [String]) {
            guard !items.isEmpty else { return }
            lines.append("  \(title) (\(items.count)): " + items.prefix(20).joined(separator: ", ") + (items.count > 20 ? ", …" : ""))
        }
        list("missing", missing)
        list("wrong shape", shapeMismatches.map { "\($0.name) expected \($0.expected) found \($0.found)" })
        list("unexpected", unexpected)
        if !isComplete {
            lines.append("  (stopped early: the parameters the configuration asks for are larger than the checkpoint's; the configuration's sizes are probably wrong)")
        }
        return lines.joined(separator: "\n")
    }
}
