/// A PyTorch `nn.LayerNorm` over the last dimension (`weight`, `bias`).
struct CLIPLayerNorm {
    let weight: Tensor
    let bias: Tensor
    let eps: Float

    init(_ binder: WeightBinder, size: Int, eps: Double) throws {
        weight = try binder.tensor("weight", shape: [size])
        bias = try binder.tensor("bias", shape: [size])
        self.eps = Float(eps)
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        try x.backend.layerNorm(x, gamma: weight, beta: bias, eps: eps)
    }
}
