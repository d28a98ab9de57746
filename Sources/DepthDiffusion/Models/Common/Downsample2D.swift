/// diffusers `Downsample2D` with `use_conv=True`: a 3x3 stride-2 convolution (`conv`).
///
/// `padding` 1 pads every side (UNet); `padding` 0 pads only the right and bottom by one, as diffusers does
/// with `F.pad(x, (0, 1, 0, 1))` before the convolution (VAE encoder).
public struct Downsample2D: Sendable {
    public let conv: Conv2d

    public init(_ binder: WeightBinder, channels: Int, outChannels: Int? = nil, padding: Int) throws {
        let pad = padding == 0 ? Padding2D(top: 0, bottom: 1, left: 0, right: 1) : .uniform(padding)
        conv = try Conv2d(binder.scope("conv"), inChannels: channels, outChannels: outChannels ?? channels,
                          kernelSize: 3, stride: 2, padding: pad)
    }

    public func callAsFunction(_ x: Tensor) throws -> Tensor { try conv(x) }
}
