/// transformers `CLIPAttention`: multi-head self-attention with `q_proj`, `k_proj`, `v_proj`, `out_proj`
/// and scale `head_dim^-0.5`. The text model applies a causal mask; padding is not masked.
struct CLIPAttention {
    let qProj: CLIPLinear, kProj: CLIPLinear, vProj: CLIPLinear, outProj: CLIPLinear
    let heads: Int

    init(_ binder: WeightBinder, config: CLIPTextConfig) throws {
        let d = config.hiddenSize
        qProj = try CLIPLinear(binder.scope("q_proj"), inFeatures: d, outFeatures: d)
        kProj = try CLIPLinear(binder.scope("k_proj"), inFeatures: d, outFeatures: d)
        vProj = try CLIPLinear(binder.scope("v_proj"), inFeatures: d, outFeatures: d)
        outProj = try CLIPLinear(binder.scope("out_proj"), inFeatures: d, outFeatures: d)
        heads = config.numAttentionHeads
    }

    /// `x` is `[batch, length, hidden]`.
    func callAsFunction(_ x: Tensor, causal: Bool) throws -> Tensor {
        let attended = try x.backend.attention(q: qProj(x), k: kProj(x), v: vProj(x), heads: heads, causal: causal)
        return try outProj(attended)
    }
}
