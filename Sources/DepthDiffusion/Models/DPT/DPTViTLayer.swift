/// transformers `DPTViTLayer` (a pre-LayerNorm ViT block): `x + attention(LN(x))`, then
/// `h + output.dense(act(intermediate.dense(LN(h))))`.
struct DPTViTLayer {
    let layernormBefore: LayerNorm, layernormAfter: LayerNorm
    let query: Linear, key: Linear, value: Linear, attentionOutput: Linear
    let intermediate: Linear, output: Linear
    let heads: Int
    let activation: UnaryOp

    init(_ binder: WeightBinder, config: DPTConfig) throws {
        let d = config.hiddenSize
        layernormBefore = try LayerNorm(binder.scope("layernorm_before"), dim: d, eps: config.layerNormEps)
        layernormAfter = try LayerNorm(binder.scope("layernorm_after"), dim: d, eps: config.layerNormEps)
        let attention = binder.scope("attention")
        let selfAttention = attention.scope("attention")
        query = try Linear(selfAttention.scope("query"), inFeatures: d, outFeatures: d, bias: config.qkvBias)
        key = try Linear(selfAttention.scope("key"), inFeatures: d, outFeatures: d, bias: config.qkvBias)
        value = try Linear(selfAttention.scope("value"), inFeatures: d, outFeatures: d, bias: config.qkvBias)
        attentionOutput = try Linear(attention.scope("output").scope("dense"), inFeatures: d, outFeatures: d)
        intermediate = try Linear(binder.scope("intermediate").scope("dense"), inFeatures: d, outFeatures: config.intermediateSize)
        output = try Linear(binder.scope("output").scope("dense"), inFeatures: config.intermediateSize, outFeatures: d)
        heads = config.numAttentionHeads
        activation = try config.activation
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        let b = x.backend
        let normed = try layernormBefore(x)
        let context = try b.attention(q: query(normed), k: key(normed), v: value(normed), heads: heads)
        let h = try b.add(attentionOutput(context), x)
        let mlp = try output(b.apply(activation, intermediate(layernormAfter(h))))
        return try b.add(mlp, h)
    }
}
