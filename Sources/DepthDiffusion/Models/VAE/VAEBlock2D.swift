/// A block of the VAE's encoder or decoder (diffusers `DownEncoderBlock2D` / `UpDecoderBlock2D`): resnets without
/// time embedding, then, except in the last block, a resampler (`downsamplers.0` or `upsamplers.0`).
public struct VAEBlock2D<Resampler: VAEResampler>: Sendable {
    /// `resnets.0` … (GroupNorm eps 1e-6, no time embedding); the first changes the channel count.
    public let resnets: [ResnetBlock2D]
    /// The stride-2 downsampler or the x2 upsampler; `nil` in the last block.
    public let resampler: Resampler?

    init(_ binder: WeightBinder, inChannels: Int, outChannels: Int, layers: Int, groups: Int, resample: Bool) throws {
        resnets = try ResnetBlock2D.stack(binder, count: layers, inChannels: inChannels, outChannels: outChannels,
                                          tembChannels: nil, groups: groups, eps: 1e-6)
        resampler = resample ? try Resampler.vaeResampler(in: binder, channels: outChannels) : nil
    }

    /// Runs the resnets, then the resampler. `x` is consumed: when the caller hands it over (`block(consume h)`),
    /// its memory is released inside the first resnet instead of at the end of the block.
    public func callAsFunction(_ x: consuming Tensor) throws -> Tensor {
        var h = consume x
        for resnet in resnets { h = try resnet(consume h, temb: nil) }
        if let resampler { h = try resampler.resample(h) }
        return h
    }
}

/// The resampler at the end of a ``VAEBlock2D``.
public protocol VAEResampler: Sendable {
    /// Loads the resampler of the VAE block whose weights are `block` (`downsamplers.0` or `upsamplers.0`).
    static func vaeResampler(in block: WeightBinder, channels: Int) throws -> Self
    /// Halves or doubles the spatial size of an NCHW tensor.
    func resample(_ x: Tensor) throws -> Tensor
}

extension Downsample2D: VAEResampler {
    /// The VAE's downsampler, padded only on the right and bottom (`padding=0`).
    public static func vaeResampler(in block: WeightBinder, channels: Int) throws -> Downsample2D {
        try Downsample2D(block.scope("downsamplers").scope(0), channels: channels, padding: 0)
    }

    public func resample(_ x: Tensor) throws -> Tensor { try self(x) }
}

extension Upsample2D: VAEResampler {
    public static func vaeResampler(in block: WeightBinder, channels: Int) throws -> Upsample2D {
        try Upsample2D(block.scope("upsamplers").scope(0), channels: channels)
    }

    public func resample(_ x: Tensor) throws -> Tensor { try self(x) }
}
