/// diffusers `Upsample2D` with `use_conv=True`: nearest-neighbour upsampling (x2, or to an explicit size) and
/// a 3x3 convolution (`conv`).
public struct Upsample2D: Sendable {
    public let conv: Conv2d

    public init(_ binder: WeightBinder, channels: Int, outChannels: Int? = nil) throws {
        conv = try Conv2d(binder.scope("conv"), inChannels: channels, outChannels: outChannels ?? channels,
                          kernelSize: 3, padding: .uniform(1))
    }

    /// `outputSize` (height, width) replaces the x2 factor when the UNet's skip connection has an odd size
    /// (diffusers' `upsample_size`).
    public func callAsFunction(_ x: Tensor, outputSize: (Int, Int)? = nil) throws -> Tensor {
        let backend = x.backend
        if let (h, w) = outputSize, h != 2 * x.shape[2] || w != 2 * x.shape[3] {
            return try conv(backend.resize(x, height: h, width: w, mode: .nearest))
        }
        return try conv(x, input: .upsampledNearest2x)
    }
}
