/// diffusers `CrossAttnUpBlock2D` and `UpBlock2D`: `layers_per_block + 1` resnets, each on the concatenation of
/// the running map and one skip connection (taken from the end), each optionally followed by a
/// `Transformer2DModel`; then an optional `upsamplers.0`.
public struct UNetUpBlock: Sendable {
    public let resnets: [ResnetBlock2D]
    /// Empty for `UpBlock2D`.
    public let attentions: [Transformer2DModel]
    public let upsampler: Upsample2D?

    /// `index` counts up blocks from the lowest resolution (diffusers' order).
    public init(_ binder: WeightBinder, config c: UNet2DConditionConfig, index i: Int) throws {
        let reversed = Array(c.blockOutChannels.reversed())
        let n = reversed.count
        let out = reversed[i]
        let prevOut = i == 0 ? reversed[0] : reversed[i - 1]
        let input = reversed[min(i + 1, n - 1)]
        let heads = Array(c.attentionHeads.reversed())[i]
        let transformerLayers = Array(c.transformerLayersPerBlock.reversed())[i]
        let layers = c.layersPerBlock + 1
        resnets = try (0..<layers).map { j in
            let skip = j == layers - 1 ? input : out
            let resIn = j == 0 ? prevOut : out
            return try ResnetBlock2D(binder.scope("resnets").scope(j), inChannels: resIn + skip, outChannels: out,
                                     tembChannels: c.timeEmbedDim, groups: c.normNumGroups, eps: c.normEps)
        }
        attentions = c.upBlockTypes[i] == "CrossAttnUpBlock2D" ? try (0..<layers).map {
            try Transformer2DModel(binder.scope("attentions").scope($0), channels: out, heads: heads, layers: transformerLayers,
                                   crossAttentionDim: c.crossAttentionDim, groups: c.normNumGroups,
                                   useLinearProjection: c.useLinearProjection)
        } : []
        upsampler = i == n - 1 ? nil : try Upsample2D(binder.scope("upsamplers").scope(0), channels: out)
    }

    /// Consumes `resnets.count` skip states from the end of `skips`. `upsampleSize` is the spatial size of the
    /// next skip connection (diffusers' `upsample_size`).
    public func callAsFunction(_ x: Tensor, skips: inout [Tensor], temb: Tensor, context: Tensor,
                               upsampleSize: (Int, Int)?) throws -> Tensor {
        let backend = x.backend
        var h = x
        for (j, resnet) in resnets.enumerated() {
            guard let skip = skips.popLast() else {
                throw TensorError.invalidArgument(operation: "UNetUpBlock", detail: "ran out of skip connections")
            }
            h = try resnet(backend.concat([h, skip], axis: 1), temb: temb)
            if !attentions.isEmpty { h = try attentions[j](h, context: context) }
        }
        if let upsampler { h = try upsampler(h, outputSize: upsampleSize) }
        return h
    }
}
