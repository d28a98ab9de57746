/// diffusers `Transformer2DModel` on a continuous NCHW input: group norm (eps 1e-6), `proj_in`
/// (1x1 convolution, or a linear layer after flattening when `use_linear_projection`), the
/// `transformer_blocks`, `proj_out`, and the residual.
public struct Transformer2DModel: Sendable {
    public let norm: GroupNorm
    public let useLinearProjection: Bool
    public let projInLinear: Linear?, projInConv: Conv2d?
    public let transformerBlocks: [BasicTransformerBlock]
    public let projOutLinear: Linear?, projOutConv: Conv2d?

    public init(_ binder: WeightBinder, channels: Int, heads: Int, layers: Int, crossAttentionDim: Int, groups: Int,
                useLinearProjection: Bool) throws {
        norm = try GroupNorm(binder.scope("norm"), groups: groups, channels: channels, eps: 1e-6)
        self.useLinearProjection = useLinearProjection
        if useLinearProjection {
            projInLinear = try Linear(binder.scope("proj_in"), inFeatures: channels, outFeatures: channels)
            projOutLinear = try Linear(binder.scope("proj_out"), inFeatures: channels, outFeatures: channels)
            projInConv = nil; projOutConv = nil
        } else {
            projInConv = try Conv2d(binder.scope("proj_in"), inChannels: channels, outChannels: channels, kernelSize: 1)
            projOutConv = try Conv2d(binder.scope("proj_out"), inChannels: channels, outChannels: channels, kernelSize: 1)
            projInLinear = nil; projOutLinear = nil
        }
        transformerBlocks = try (0..<layers).map {
            try BasicTransformerBlock(binder.scope("transformer_blocks").scope($0), dim: channels, heads: heads,
                                      dimHead: channels / heads, crossAttentionDim: crossAttentionDim)
        }
    }

    /// `x` `[B, C, H, W]`, `context` `[B, S, crossAttentionDim]`.
    public func callAsFunction(_ x: Tensor, context: Tensor) throws -> Tensor {
        let backend = x.backend
        let (b, c, hgt, wid) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        var h = try norm(x)
        // The linear projections read and write the channel-major map directly (no permuted copies).
        if let projInLinear {
            h = try projInLinear(channelMajor: h)                               // [B, HW, C]
        } else if let projInConv {
            h = try backend.permute(projInConv(h).reshaped([b, c, hgt * wid]), [0, 2, 1])
        }
        for block in transformerBlocks { h = try block(h, context: context) }
        if let projOutLinear { return try projOutLinear.toChannelMajor(h, adding: x).reshaped([b, c, hgt, wid]) }
        h = try backend.permute(h, [0, 2, 1]).reshaped([b, c, hgt, wid])
        if let projOutConv { h = try projOutConv(h) }
        return try backend.add(h, x)
    }
}
