/// diffusers `DownEncoderBlock2D`: resnets without time embedding and, except in the last block, a stride-2
/// `downsamplers.0` padded only on the right and bottom.
public struct DownEncoderBlock2D: Sendable {
    public let resnets: [ResnetBlock2D]
    public let downsampler: Downsample2D?

    public init(_ binder: WeightBinder, inChannels: Int, outChannels: Int, layers: Int, groups: Int, addDownsample: Bool) throws {
        resnets = try ResnetBlock2D.stack(binder, count: layers, inChannels: inChannels, outChannels: outChannels,
                                          tembChannels: nil, groups: groups, eps: 1e-6)
        downsampler = addDownsample ? try Downsample2D(binder.scope("downsamplers").scope(0), channels: outChannels, padding: 0) : nil
    }

    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        var h = x
        for resnet in resnets { h = try resnet(h, temb: nil) }
        if let downsampler { h = try downsampler(h) }
        return h
    }
}
