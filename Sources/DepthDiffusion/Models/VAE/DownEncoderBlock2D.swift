/// diffusers `DownEncoderBlock2D`: resnets without time embedding and, except in the last block, a stride-2
/// `downsamplers.0` padded only on the right and bottom.
public typealias DownEncoderBlock2D = VAEBlock2D<Downsample2D>

extension VAEBlock2D where Resampler == Downsample2D {
    /// The downsampler; `nil` in the last block.
    public var downsampler: Downsample2D? { resampler }

    public init(_ binder: WeightBinder, inChannels: Int, outChannels: Int, layers: Int, groups: Int, addDownsample: Bool) throws {
        try self.init(binder, inChannels: inChannels, outChannels: outChannels, layers: layers, groups: groups, resample: addDownsample)
    }
}
