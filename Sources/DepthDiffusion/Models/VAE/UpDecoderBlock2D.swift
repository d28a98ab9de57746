/// diffusers `UpDecoderBlock2D`: resnets without time embedding and, except in the last block, a nearest x2
/// `upsamplers.0` with its convolution.
public typealias UpDecoderBlock2D = VAEBlock2D<Upsample2D>

extension VAEBlock2D where Resampler == Upsample2D {
    /// The upsampler; `nil` in the last block.
    public var upsampler: Upsample2D? { resampler }

    public init(_ binder: WeightBinder, inChannels: Int, outChannels: Int, layers: Int, groups: Int, addUpsample: Bool) throws {
        try self.init(binder, inChannels: inChannels, outChannels: outChannels, layers: layers, groups: groups, resample: addUpsample)
    }
}
