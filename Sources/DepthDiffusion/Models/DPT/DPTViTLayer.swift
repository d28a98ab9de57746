/// transformers `DPTViTLayer` (a pre-LayerNorm ViT block): `x + attention(LN(x))`, then
/// `h + output.dense(act(intermediate.dense(LN(h))))`.
struct DPTViTLayer {
    let layernormBefore: LayerNorm, layernormAfter: LayerNorm
    let attention: Attention
    let intermediate: Linear, output: Linear
    let activation: UnaryOp

    init(_ binder: WeightBinder, config: DPTConfig) throws {
        let d = config.hiddenSize
        layernormBefore = try LayerNorm(binder.scope("layernorm_before"), dim: d, eps: config.layerNormEps)
        layernormAfter = try LayerNorm(binder.scope("layernorm_after"), dim: d, eps: config.layerNormEps)
        attention = try Attention(binder.scope("attention"), names: .vit, queryDim: d, heads: config.numAttentionHeads,
                                  dimHead: d / config.numAttentionHeads, bias: config.qkvBias)
        intermediate = try Linear(binder.scope("intermediate").scope("dense"), inFeatures: d, outFeatures: config.intermediateSize)
        output = try Linear(binder.scope("output").scope("dense"), inFeatures: config.intermediateSize, outFeatures: d)
        activation = try config.activation
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        let h = try attention(layernormBefore(x), adding: x)
        return try output(x.backend.apply(activation, intermediate(layernormAfter(h))), adding: h)
    }
}
