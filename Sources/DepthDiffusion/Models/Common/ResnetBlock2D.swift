/// diffusers `ResnetBlock2D` (`resnet_time_scale_shift="default"`, SiLU):
/// `GN → SiLU → conv1 (+ time_emb_proj(SiLU(temb))) → GN → SiLU → conv2`, plus the (1x1-projected) input.
public struct ResnetBlock2D: Sendable {
    public let norm1: GroupNorm
    public let conv1: Conv2d
    public let timeEmbProj: Linear?
    public let norm2: GroupNorm
    public let conv2: Conv2d
    public let convShortcut: Conv2d?
    public let outputScaleFactor: Float

    /// - Parameters:
    ///   - tembChannels: width of the time embedding, or `nil` for the VAE's blocks (no `time_emb_proj`).
    public init(_ binder: WeightBinder, inChannels: Int, outChannels: Int, tembChannels: Int?, groups: Int,
                eps: Float, outputScaleFactor: Float = 1) throws {
        norm1 = try GroupNorm(binder.scope("norm1"), groups: groups, channels: inChannels, eps: eps)
        conv1 = try Conv2d(binder.scope("conv1"), inChannels: inChannels, outChannels: outChannels, kernelSize: 3,
                           padding: .uniform(1))
        timeEmbProj = try tembChannels.map {
            try Linear(binder.scope("time_emb_proj"), inFeatures: $0, outFeatures: outChannels)
        }
        norm2 = try GroupNorm(binder.scope("norm2"), groups: groups, channels: outChannels, eps: eps)
        conv2 = try Conv2d(binder.scope("conv2"), inChannels: outChannels, outChannels: outChannels, kernelSize: 3,
                           padding: .uniform(1))
        convShortcut = inChannels == outChannels ? nil
            : try Conv2d(binder.scope("conv_shortcut"), inChannels: inChannels, outChannels: outChannels, kernelSize: 1)
        self.outputScaleFactor = outputScaleFactor
    }

    /// diffusers' `resnets` list of a down, up-decoder or down-encoder block: `count` blocks bound as `resnets.{i}`,
    /// the first from `inChannels` to `outChannels`, the others `outChannels` wide.
    static func stack(_ binder: WeightBinder, count: Int, inChannels: Int, outChannels: Int, tembChannels: Int?,
                      groups: Int, eps: Float) throws -> [ResnetBlock2D] {
        try (0..<count).map {
            try ResnetBlock2D(binder.scope("resnets").scope($0), inChannels: $0 == 0 ? inChannels : outChannels,
                              outChannels: outChannels, tembChannels: tembChannels, groups: groups, eps: eps)
        }
    }

    /// `x` is `[B, inChannels, H, W]`; `temb` is `[B, tembChannels]` (required when the block has `time_emb_proj`).
    ///
    /// `x` is consumed: when the caller hands it over (`block(consume h, temb: t)`) and the block has a
    /// `conv_shortcut`, the shortcut writes its output over `x` where it can, while `conv1` reads `x`
    /// (``Conv2d/callAsFunction(_:input:shortcut:)``), so `x`, `conv1`'s output and the shortcut's are never all
    /// held; `conv2` then adds its output to the residual in place
    /// (``Conv2d/callAsFunction(_:input:adding:)``).
    public func callAsFunction(_ x: consuming Tensor, temb: Tensor?) throws -> Tensor {
        let backend = x.backend
        var h: Tensor
        let residual: Tensor
        if let convShortcut {
            (h, residual) = try conv1(consume x, input: norm1.asConvolutionInput(silu: true), shortcut: convShortcut)
        } else {
            h = try conv1(x, input: norm1.asConvolutionInput(silu: true))
            residual = consume x
        }
        if let timeEmbProj {
            guard let temb else {
                throw TensorError.invalidArgument(operation: "ResnetBlock2D", detail: "a time embedding is required")
            }
            let t = try timeEmbProj(backend.apply(.silu, temb))
            h = try backend.add(h, t.reshaped([t.shape[0], t.shape[1], 1, 1]))
        }
        var out = try conv2(h, input: norm2.asConvolutionInput(silu: true), adding: consume residual)
        if outputScaleFactor != 1 {
            let divisor = try Tensor(shape: [1], data: [outputScaleFactor], on: backend)
            out = try backend.binary(.div, out, divisor)
        }
        return out
    }
}
