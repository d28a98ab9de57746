/// transformers `CLIPMLP`: `fc2(act(fc1(x)))`.
struct CLIPMLP {
    let fc1: Linear, fc2: Linear
    let activation: UnaryOp

    init(_ binder: WeightBinder, config: CLIPTextConfig) throws {
        fc1 = try Linear(binder.scope("fc1"), inFeatures: config.hiddenSize, outFeatures: config.intermediateSize)
        fc2 = try Linear(binder.scope("fc2"), inFeatures: config.intermediateSize, outFeatures: config.hiddenSize)
        activation = try config.activation()
    }

    /// `residual`, when given, is added by `fc2` (``Linear/callAsFunction(_:adding:)``).
    func callAsFunction(_ x: Tensor, adding residual: Tensor? = nil) throws -> Tensor {
        try fc2(x.backend.apply(activation, fc1(x)), adding: residual)
    }
}
