/// diffusers `Encoder` (`vae.encoder`): `conv_in`, the down blocks, the mid block, `conv_norm_out` + SiLU and
/// `conv_out` to `2 · latent_channels` moments (mean and log-variance).
public struct VAEEncoder: Sendable {
    public let convIn: Conv2d
    public let downBlocks: [DownEncoderBlock2D]
    public let midBlock: UNetMidBlock2D
    public let convNormOut: GroupNorm
    public let convOut: Conv2d

    public init(_ binder: WeightBinder, config c: AutoencoderKLConfig) throws {
        let ch = c.blockOutChannels
        convIn = try Conv2d(binder.scope("conv_in"), inChannels: c.inChannels, outChannels: ch[0], kernelSize: 3, padding: .uniform(1))
        downBlocks = try ch.indices.map { i in
            try DownEncoderBlock2D(binder.scope("down_blocks").scope(i), inChannels: i == 0 ? ch[0] : ch[i - 1],
                                   outChannels: ch[i], layers: c.layersPerBlock, groups: c.normNumGroups,
                                   addDownsample: i != ch.count - 1)
        }
        midBlock = try UNetMidBlock2D(binder.scope("mid_block"), channels: ch.last!, groups: c.normNumGroups, eps: 1e-6,
                                      addAttention: c.midBlockAddAttention)
        convNormOut = try GroupNorm(binder.scope("conv_norm_out"), groups: c.normNumGroups, channels: ch.last!, eps: 1e-6)
        convOut = try Conv2d(binder.scope("conv_out"), inChannels: ch.last!, outChannels: 2 * c.latentChannels,
                             kernelSize: 3, padding: .uniform(1))
    }

    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        var h = try convIn(x)
        for block in downBlocks { h = try block(consume h) }
        h = try midBlock(h)
        return try convOut(convNormOut(h, silu: true))
    }
}
