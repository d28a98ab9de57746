/// diffusers `CrossAttnDownBlock2D` (resnets each followed by a `Transformer2DModel`) and `DownBlock2D`
/// (resnets only), with an optional stride-2 `downsamplers.0`.
public struct UNetDownBlock: Sendable {
    public let resnets: [ResnetBlock2D]
    /// Empty for `DownBlock2D`.
    public let attentions: [Transformer2DModel]
    public let downsampler: Downsample2D?

    public init(_ binder: WeightBinder, config c: UNet2DConditionConfig, index i: Int, inChannels: Int) throws {
        let out = c.blockOutChannels[i]
        let crossAttention = c.downBlockTypes[i] == "CrossAttnDownBlock2D"
        resnets = try ResnetBlock2D.stack(binder, count: c.layersPerBlock, inChannels: inChannels, outChannels: out,
                                          tembChannels: c.timeEmbedDim, groups: c.normNumGroups, eps: c.normEps)
        attentions = crossAttention ? try (0..<c.layersPerBlock).map {
            try Transformer2DModel(binder.scope("attentions").scope($0), channels: out, heads: c.attentionHeads[i],
                                   layers: c.transformerLayersPerBlock[i], crossAttentionDim: c.crossAttentionDim,
                                   groups: c.normNumGroups, useLinearProjection: c.useLinearProjection)
        } : []
        downsampler = i == c.blockOutChannels.count - 1 ? nil
            : try Downsample2D(binder.scope("downsamplers").scope(0), channels: out, padding: c.downsamplePadding)
    }

    /// Returns the block output and the states it contributes to the skip connections (one per resnet, plus
    /// the downsampled map).
    public func callAsFunction(_ x: Tensor, temb: Tensor, context: Tensor) throws -> (Tensor, [Tensor]) {
        var h = x
        var states: [Tensor] = []
        for (j, resnet) in resnets.enumerated() {
            h = try resnet(h, temb: temb)
            if !attentions.isEmpty { h = try attentions[j](h, context: context) }
            states.append(h)
        }
        if let downsampler {
            h = try downsampler(h)
            states.append(h)
        }
        return (h, states)
    }
}
