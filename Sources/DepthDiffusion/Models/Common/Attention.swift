/// Multi-head scaled-dot-product attention with query, key, value and output projections (scale
/// `dimHead^-0.5`), on token-major inputs `[B, L, C]`: diffusers' `Attention` (the default processor),
/// transformers' `CLIPAttention` and the ViT self-attention of `DPTViTLayer`. The three differ only in where
/// their checkpoints keep the four projections, which ``ProjectionNames`` says.
public struct Attention: Sendable {
    /// The weight scopes of the four projections, relative to the attention module.
    public struct ProjectionNames: Sendable {
        public var query: String, key: String, value: String, output: String

        public init(query: String, key: String, value: String, output: String) {
            self.query = query; self.key = key; self.value = value; self.output = output
        }

        /// diffusers `Attention`: `to_q`, `to_k`, `to_v`, `to_out.0`.
        public static let diffusers = ProjectionNames(query: "to_q", key: "to_k", value: "to_v", output: "to_out.0")
        /// transformers `CLIPAttention`: `q_proj`, `k_proj`, `v_proj`, `out_proj`.
        public static let clip = ProjectionNames(query: "q_proj", key: "k_proj", value: "v_proj", output: "out_proj")
        /// transformers ViT attention (`DPTViTAttention`): `attention.query`, …, `output.dense`.
        public static let vit = ProjectionNames(query: "attention.query", key: "attention.key", value: "attention.value",
                                                output: "output.dense")
    }

    public let heads: Int
    public let toQ: Linear, toK: Linear, toV: Linear
    public let toOut: Linear
    /// Whether the attention products may run in bf16: the weights were bound as bf16.
    public let bf16Products: Bool

    /// - Parameters:
    ///   - names: where the checkpoint keeps the projections (default: diffusers).
    ///   - crossAttentionDim: width of the context tokens, or `nil` for self-attention.
    ///   - bias: whether the query, key and value projections have biases (the output projection always has one).
    public init(_ binder: WeightBinder, names: ProjectionNames = .diffusers, queryDim: Int, crossAttentionDim: Int? = nil,
                heads: Int, dimHead: Int, bias: Bool) throws {
        let inner = heads * dimHead
        self.heads = heads
        toQ = try Linear(binder.scope(names.query), inFeatures: queryDim, outFeatures: inner, bias: bias)
        toK = try Linear(binder.scope(names.key), inFeatures: crossAttentionDim ?? queryDim, outFeatures: inner, bias: bias)
        toV = try Linear(binder.scope(names.value), inFeatures: crossAttentionDim ?? queryDim, outFeatures: inner, bias: bias)
        toOut = try Linear(binder.scope(names.output), inFeatures: inner, outFeatures: queryDim)
        bf16Products = binder.precision == .bf16
    }

    /// `x` `[B, L, queryDim]`; `context` `[B, S, crossAttentionDim]` or `nil` for self-attention; `causal`
    /// masks keys after each query (the CLIP text model). `residual` (shaped like `x`), when given, is added to
    /// the output by the output projection (``Linear/callAsFunction(_:adding:)``).
    public func callAsFunction(_ x: Tensor, context: Tensor? = nil, causal: Bool = false,
                               adding residual: Tensor? = nil) throws -> Tensor {
        let source = context ?? x
        let a = try x.backend.attention(q: toQ(x), k: toK(source), v: toV(source), heads: heads, causal: causal,
                                             bf16Products: bf16Products)
        return try toOut(a, adding: residual)
    }
}
