/// diffusers `UNetMidBlock2D` as the VAE uses it: `resnets.0`, then (`attentions.0`, `resnets.1`), where the
/// attention is a single-head self-attention over all pixels with its own `group_norm` and a residual.
public struct UNetMidBlock2D: Sendable {
    public let resnets: [ResnetBlock2D]
    public let attentions: [SpatialSelfAttention]

    public init(_ binder: WeightBinder, channels: Int, groups: Int, eps: Float, addAttention: Bool) throws {
        resnets = try (0...1).map {
            try ResnetBlock2D(binder.scope("resnets").scope($0), inChannels: channels, outChannels: channels,
                              tembChannels: nil, groups: groups, eps: eps)
        }
        attentions = addAttention
            ? [try SpatialSelfAttention(binder.scope("attentions").scope(0), channels: channels, groups: groups, eps: eps)]
            : []
    }

    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        var h = try resnets[0](x, temb: nil)
        if let attention = attentions.first { h = try attention(h) }
        return try resnets[1](h, temb: nil)
    }
}

/// diffusers `Attention` with `norm_num_groups` set (the VAE's mid-block attention): `group_norm`, then
/// self-attention of the `H·W` pixel tokens with one head of `channels` (`to_q`/`to_k`/`to_v` with biases,
/// `to_out.0`), added to the input.
public struct SpatialSelfAttention: Sendable {
    public let groupNorm: GroupNorm
    public let attention: Attention

    public init(_ binder: WeightBinder, channels: Int, groups: Int, eps: Float) throws {
        groupNorm = try GroupNorm(binder.scope("group_norm"), groups: groups, channels: channels, eps: eps)
        attention = try Attention(binder, queryDim: channels, heads: 1, dimHead: channels, bias: true)
    }

    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        let backend = x.backend
        let (b, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        var t = try backend.permute(groupNorm(x).reshaped([b, c, h * w]), [0, 2, 1])
        t = try attention(t)
        let back = try backend.permute(t, [0, 2, 1]).reshaped([b, c, h, w])
        return try backend.add(back, x)
    }
}
