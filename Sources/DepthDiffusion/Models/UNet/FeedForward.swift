/// diffusers `FeedForward` with `activation_fn="geglu"`: `net.0` (GEGLU: `proj` to twice the inner width, then
/// `hidden · gelu(gate)`), `net.1` dropout (identity), `net.2` linear back to `dim`.
public struct FeedForward: Sendable {
    public let proj: Linear
    public let out: Linear

    public init(_ binder: WeightBinder, dim: Int, mult: Int = 4) throws {
        let inner = dim * mult
        proj = try Linear(binder.scope("net").scope(0).scope("proj"), inFeatures: dim, outFeatures: inner * 2)
        out = try Linear(binder.scope("net").scope(2), inFeatures: inner, outFeatures: dim)
    }

    /// `residual` (shaped like `x`), when given, is added by `net.2` (``Linear/callAsFunction(_:adding:)``).
    public func callAsFunction(_ x: Tensor, adding residual: Tensor? = nil) throws -> Tensor {
        try out(x.backend.geglu(proj(x)), adding: residual)
    }
}
