/// diffusers `UNetMidBlock2DCrossAttn`: `resnets.0`, then (`attentions.k`, `resnets.k+1`) pairs.
public struct UNetMidBlock2DCrossAttn: Sendable {
    public let resnets: [ResnetBlock2D]
    public let attentions: [Transformer2DModel]

    public init(_ binder: WeightBinder, config c: UNet2DConditionConfig) throws {
        let ch = c.blockOutChannels[c.blockOutChannels.count - 1]
        let layers = 1
        resnets = try (0...layers).map {
            try ResnetBlock2D(binder.scope("resnets").scope($0), inChannels: ch, outChannels: ch, tembChannels: c.timeEmbedDim,
                              groups: c.normNumGroups, eps: c.normEps, outputScaleFactor: c.midBlockScaleFactor)
        }
        attentions = try (0..<layers).map {
            try Transformer2DModel(binder.scope("attentions").scope($0), channels: ch, heads: c.attentionHeads.last!,
                                   layers: c.transformerLayersPerBlock.last!, crossAttentionDim: c.crossAttentionDim,
                                   groups: c.normNumGroups, useLinearProjection: c.useLinearProjection)
        }
    }

    public func callAsFunction(_ x: Tensor, temb: Tensor, context: Tensor) throws -> Tensor {
        var h = try resnets[0](x, temb: temb)
        for (attention, resnet) in zip(attentions, resnets.dropFirst()) {
            h = try attention(h, context: context)
            h = try resnet(h, temb: temb)
        }
        return h
    }
}
