/// transformers `CLIPEncoderLayer` (pre-LN):
/// `x += self_attn(layer_norm1(x))`, then `x += mlp(layer_norm2(x))`.
struct CLIPEncoderLayer {
    let layerNorm1: CLIPLayerNorm, selfAttn: CLIPAttention
    let layerNorm2: CLIPLayerNorm, mlp: CLIPMLP

    init(_ binder: WeightBinder, config: CLIPTextConfig) throws {
        layerNorm1 = try CLIPLayerNorm(binder.scope("layer_norm1"), size: config.hiddenSize, eps: config.layerNormEps)
        selfAttn = try CLIPAttention(binder.scope("self_attn"), config: config)
        layerNorm2 = try CLIPLayerNorm(binder.scope("layer_norm2"), size: config.hiddenSize, eps: config.layerNormEps)
        mlp = try CLIPMLP(binder.scope("mlp"), config: config)
    }

    func callAsFunction(_ x: Tensor, causal: Bool) throws -> Tensor {
        let backend = x.backend
        let h = try backend.add(x, selfAttn(layerNorm1(x), causal: causal))
        return try backend.add(h, mlp(layerNorm2(h)))
    }
}
