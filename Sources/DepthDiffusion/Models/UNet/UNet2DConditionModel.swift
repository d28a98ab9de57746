import Foundation

/// diffusers `UNet2DConditionModel` for the Stable Diffusion family (SD 1.x/2.x layouts, including the 5-channel
/// stable-diffusion-2-depth UNet): predicts the noise of a latent `sample` at a timestep, conditioned on text
/// embeddings through cross-attention.
///
/// ```swift
/// let unet = try UNet2DConditionModel(folder: modelFolder.appendingPathComponent("unet"), backend: backend)
/// let eps = try unet(sample, timestep: 981, context: embeddings)   // [B, 4, h, w]
/// ```
public final class UNet2DConditionModel: Sendable {
    public let config: UNet2DConditionConfig
    public let timeEmbedding: TimestepEmbedding
    public let convIn: Conv2d
    public let downBlocks: [UNetDownBlock]
    public let midBlock: UNetMidBlock2DCrossAttn
    public let upBlocks: [UNetUpBlock]
    public let convNormOut: GroupNorm
    public let convOut: Conv2d

    /// Builds the model from `config`, binding every parameter by its diffusers name from `binder`
    /// (call `binder.finish()` afterwards to check that the checkpoint matched).
    public init(config: UNet2DConditionConfig, weights binder: WeightBinder) throws {
        try config.validate()
        self.config = config
        let c = config, ch0 = c.blockOutChannels[0]
        timeEmbedding = try TimestepEmbedding(binder.scope("time_embedding"), channels: ch0, timeEmbedDim: c.timeEmbedDim,
                                              flipSinToCos: c.flipSinToCos, freqShift: Float(c.freqShift))
        convIn = try Conv2d(binder.scope("conv_in"), inChannels: c.inChannels, outChannels: ch0, kernelSize: 3,
                            padding: .uniform(1))
        downBlocks = try c.blockOutChannels.indices.map { i in
            try UNetDownBlock(binder.scope("down_blocks").scope(i), config: c, index: i,
                              inChannels: i == 0 ? ch0 : c.blockOutChannels[i - 1])
        }
        midBlock = try UNetMidBlock2DCrossAttn(binder.scope("mid_block"), config: c)
        upBlocks = try c.blockOutChannels.indices.map { i in
            try UNetUpBlock(binder.scope("up_blocks").scope(i), config: c, index: i)
        }
        convNormOut = try GroupNorm(binder.scope("conv_norm_out"), groups: c.normNumGroups, channels: ch0, eps: c.normEps)
        convOut = try Conv2d(binder.scope("conv_out"), inChannels: ch0, outChannels: c.outChannels, kernelSize: 3,
                             padding: .uniform(1))
    }

    /// Loads `config.json` and the safetensors weights of a diffusers `unet` folder onto `backend`.
    /// Throws ``ConfigError``, `SafeTensorsError` or `WeightBindingError` with what to fix.
    public convenience init(folder: URL, backend: ComputeBackend, variant: String? = nil) throws {
        let config = try UNet2DConditionConfig(contentsOf: folder.appendingPathComponent("config.json"))
        let binder = WeightBinder(source: try SafeTensorsCollection(url: folder, variant: variant), backend: backend)
        try self.init(config: config, weights: binder)
        try binder.finish()
    }

    /// Noise prediction for `sample` `[B, in_channels, h, w]` with `context` `[B, S, cross_attention_dim]`.
    ///
    /// `timesteps` holds one value for the whole batch or one per sample (diffusers broadcasts a scalar).
    /// Returns `[B, out_channels, h, w]`. Any latent size works; sizes that are not multiples of
    /// `2^(levels-1)` are upsampled to the skip connection's size, as diffusers does.
    public func callAsFunction(_ sample: Tensor, timesteps: [Float], context: Tensor) throws -> Tensor {
        let backend = sample.backend
        let b = sample.shape.first ?? 0
        guard sample.rank == 4, sample.shape[1] == config.inChannels, b > 0 else {
            throw TensorError.shapeMismatch(operation: "UNet2DConditionModel",
                detail: "sample \(sample.shape) must be [batch, \(config.inChannels), height, width]")
        }
        guard context.rank == 3, context.shape[0] == b, context.shape[2] == config.crossAttentionDim else {
            throw TensorError.shapeMismatch(operation: "UNet2DConditionModel",
                detail: "context \(context.shape) must be [\(b), tokens, \(config.crossAttentionDim)]")
        }
        guard timesteps.count == 1 || timesteps.count == b else {
            throw TensorError.invalidArgument(operation: "UNet2DConditionModel", detail: "\(timesteps.count) timesteps for batch \(b)")
        }
        let temb = try timeEmbedding(timesteps.count == b ? timesteps : [Float](repeating: timesteps[0], count: b),
                                     on: backend)
        var h = try convIn(sample)
        var skips = [h]
        for block in downBlocks {
            let (out, states) = try block(h, temb: temb, context: context)
            h = out
            skips += states
        }
        h = try midBlock(h, temb: temb, context: context)
        for block in upBlocks {
            var mine = Array(skips.suffix(block.resnets.count))
            skips.removeLast(mine.count)
            let size = skips.last.map { ($0.shape[2], $0.shape[3]) }
            h = try block(h, skips: &mine, temb: temb, context: context, upsampleSize: size)
        }
        return try convOut(convNormOut(h, silu: true))
    }

    /// Convenience for one timestep shared by the batch.
    public func callAsFunction(_ sample: Tensor, timestep: Float, context: Tensor) throws -> Tensor {
        try callAsFunction(sample, timesteps: [timestep], context: context)
    }
}
