/// transformers `CLIPMLP`: `fc2(act(fc1(x)))`.
struct CLIPMLP {
    let fc1: CLIPLinear, fc2: CLIPLinear
    let activation: UnaryOp

    init(_ binder: WeightBinder, config: CLIPTextConfig) throws {
        fc1 = try CLIPLinear(binder.scope("fc1"), inFeatures: config.hiddenSize, outFeatures: config.intermediateSize)
        fc2 = try CLIPLinear(binder.scope("fc2"), inFeatures: config.intermediateSize, outFeatures: config.hiddenSize)
        activation = try config.activation()
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        try fc2(x.backend.apply(activation, fc1(x)))
    }
}
