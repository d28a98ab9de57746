/// A PyTorch `nn.Linear` of the text encoder: `weight [out, in]`, `bias [out]`.
struct CLIPLinear {
    let weight: Tensor
    let bias: Tensor?

    init(_ binder: WeightBinder, inFeatures: Int, outFeatures: Int, bias: Bool = true) throws {
        weight = try binder.tensor("weight", shape: [outFeatures, inFeatures])
        self.bias = bias ? try binder.tensor("bias", shape: [outFeatures]) : nil
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        try x.backend.linear(x, weight: weight, bias: bias)
    }
}
