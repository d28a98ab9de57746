/// diffusers `UpDecoderBlock2D`: resnets without time embedding and, except in the last block, a nearest x2
/// `upsamplers.0` with its convolution.
public struct UpDecoderBlock2D: Sendable {
    public let resnets: [ResnetBlock2D]
    public let upsampler: Upsample2D?

    public init(_ binder: WeightBinder, inChannels: Int, outChannels: Int, layers: Int, groups: Int, addUpsample: Bool) throws {
        resnets = try ResnetBlock2D.stack(binder, count: layers, inChannels: inChannels, outChannels: outChannels,
                                          tembChannels: nil, groups: groups, eps: 1e-6)
        upsampler = addUpsample ? try Upsample2D(binder.scope("upsamplers").scope(0), channels: outChannels) : nil
    }

    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        var h = x
        for resnet in resnets { h = try resnet(h, temb: nil) }
        if let upsampler { h = try upsampler(h) }
        return h
    }
}
