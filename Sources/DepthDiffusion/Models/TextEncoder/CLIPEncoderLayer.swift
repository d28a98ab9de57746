/// transformers `CLIPEncoderLayer` (pre-LN):
/// `x += self_attn(layer_norm1(x))`, then `x += mlp(layer_norm2(x))`.
struct CLIPEncoderLayer {
    let layerNorm1: LayerNorm, selfAttn: Attention
    let layerNorm2: LayerNorm, mlp: CLIPMLP

    init(_ binder: WeightBinder, config: CLIPTextConfig) throws {
        let d = config.hiddenSize, eps = Float(config.layerNormEps)
        layerNorm1 = try LayerNorm(binder.scope("layer_norm1"), dim: d, eps: eps)
        selfAttn = try Attention(binder.scope("self_attn"), names: .clip, queryDim: d, heads: config.numAttentionHeads,
                                 dimHead: d / config.numAttentionHeads, bias: true)
        layerNorm2 = try LayerNorm(binder.scope("layer_norm2"), dim: d, eps: eps)
        mlp = try CLIPMLP(binder.scope("mlp"), config: config)
    }

    func callAsFunction(_ x: Tensor, causal: Bool) throws -> Tensor {
        let h = try selfAttn(layerNorm1(x), causal: causal, adding: x)
        return try mlp(layerNorm2(h), adding: h)
    }
}
