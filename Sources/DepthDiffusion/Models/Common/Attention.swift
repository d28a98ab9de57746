/// diffusers `Attention` (the default processor): `to_q`, `to_k`, `to_v` and `to_out.0`, scaled dot-product
/// attention with `heads` heads of `dimHead` channels (scale `dimHead^-0.5`). Token-major inputs `[B, L, C]`.
public struct Attention {
    public let heads: Int
    public let toQ: Linear, toK: Linear, toV: Linear
    public let toOut: Linear

    /// - Parameters:
    ///   - crossAttentionDim: width of the context tokens, or `nil` for self-attention.
    ///   - bias: whether `to_q`/`to_k`/`to_v` have biases (`to_out.0` always has one).
    public init(_ binder: WeightBinder, queryDim: Int, crossAttentionDim: Int? = nil, heads: Int, dimHead: Int,
                bias: Bool) throws {
        let inner = heads * dimHead
        self.heads = heads
        toQ = try Linear(binder.scope("to_q"), inFeatures: queryDim, outFeatures: inner, bias: bias)
        toK = try Linear(binder.scope("to_k"), inFeatures: crossAttentionDim ?? queryDim, outFeatures: inner, bias: bias)
        toV = try Linear(binder.scope("to_v"), inFeatures: crossAttentionDim ?? queryDim, outFeatures: inner, bias: bias)
        toOut = try Linear(binder.scope("to_out").scope(0), inFeatures: inner, outFeatures: queryDim)
    }

    /// `x` `[B, L, queryDim]`; `context` `[B, S, crossAttentionDim]` or `nil` for self-attention.
    public func callAsFunction(_ x: Tensor, context: Tensor? = nil) throws -> Tensor {
        let source = context ?? x
        let a = try x.backend.attention(q: toQ(x), k: toK(source), v: toV(source), heads: heads)
        return try toOut(a)
    }
}
