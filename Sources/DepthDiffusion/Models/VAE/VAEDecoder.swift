/// diffusers `Decoder` (`vae.decoder`): `conv_in`, the mid block, the up blocks (channels reversed,
/// `layers_per_block + 1` resnets each), `conv_norm_out` + SiLU and `conv_out` to image channels.
public struct VAEDecoder: Sendable {
    public let convIn: Conv2d
    public let midBlock: UNetMidBlock2D
    public let upBlocks: [UpDecoderBlock2D]
    public let convNormOut: GroupNorm
    public let convOut: Conv2d

    public init(_ binder: WeightBinder, config c: AutoencoderKLConfig) throws {
        let rev = Array(c.blockOutChannels.reversed())
        convIn = try Conv2d(binder.scope("conv_in"), inChannels: c.latentChannels, outChannels: rev[0], kernelSize: 3,
                            padding: .uniform(1))
        midBlock = try UNetMidBlock2D(binder.scope("mid_block"), channels: rev[0], groups: c.normNumGroups, eps: 1e-6,
                                      addAttention: c.midBlockAddAttention)
        upBlocks = try rev.indices.map { i in
            try UpDecoderBlock2D(binder.scope("up_blocks").scope(i), inChannels: i == 0 ? rev[0] : rev[i - 1],
                                 outChannels: rev[i], layers: c.layersPerBlock + 1, groups: c.normNumGroups,
                                 addUpsample: i != rev.count - 1)
        }
        convNormOut = try GroupNorm(binder.scope("conv_norm_out"), groups: c.normNumGroups, channels: rev.last!, eps: 1e-6)
        convOut = try Conv2d(binder.scope("conv_out"), inChannels: rev.last!, outChannels: c.outChannels, kernelSize: 3,
                             padding: .uniform(1))
    }

    public func callAsFunction(_ z: Tensor) throws -> Tensor {
        var h = try convIn(z)
        h = try midBlock(h)
        for block in upBlocks { h = try block(consume h) }
        return try convOut(convNormOut(h, silu: true))
    }
}
