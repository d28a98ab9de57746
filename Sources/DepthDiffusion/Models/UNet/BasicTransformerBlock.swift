/// diffusers `BasicTransformerBlock` (layer-norm variant): self-attention, cross-attention and a GEGLU
/// feed-forward, each pre-normalised (`norm1`/`norm2`/`norm3`, eps 1e-5) and residual. Tokens `[B, L, dim]`.
public struct BasicTransformerBlock: Sendable {
    public let norm1: LayerNorm, attn1: Attention
    public let norm2: LayerNorm, attn2: Attention
    public let norm3: LayerNorm, ff: FeedForward

    public init(_ binder: WeightBinder, dim: Int, heads: Int, dimHead: Int, crossAttentionDim: Int) throws {
        norm1 = try LayerNorm(binder.scope("norm1"), dim: dim, eps: 1e-5)
        attn1 = try Attention(binder.scope("attn1"), queryDim: dim, heads: heads, dimHead: dimHead, bias: false)
        norm2 = try LayerNorm(binder.scope("norm2"), dim: dim, eps: 1e-5)
        attn2 = try Attention(binder.scope("attn2"), queryDim: dim, crossAttentionDim: crossAttentionDim, heads: heads,
                              dimHead: dimHead, bias: false)
        norm3 = try LayerNorm(binder.scope("norm3"), dim: dim, eps: 1e-5)
        ff = try FeedForward(binder.scope("ff"), dim: dim)
    }

    public func callAsFunction(_ x: Tensor, context: Tensor) throws -> Tensor {
        let h = try attn1(norm1(x), adding: x)
        let h2 = try attn2(norm2(h), context: context, adding: h)
        return try ff(norm3(h2), adding: h2)
    }
}
