// Minimal PyTorch layer wrappers: each binds `weight`/`bias` from its scope and applies one backend op.

/// PyTorch `nn.Linear`: `x · weightᵀ + bias` over the last dimension.
public struct Linear: Sendable {
    public let weight: Tensor
    public let bias: Tensor?

    /// Binds `weight` `[outFeatures, inFeatures]` (in the binder's ``WeightBinder/precision``) and, when `bias`
    /// is true, `bias` `[outFeatures]`.
    public init(_ binder: WeightBinder, inFeatures: Int, outFeatures: Int, bias: Bool = true) throws {
        weight = try binder.weight("weight", shape: [outFeatures, inFeatures])
        self.bias = bias ? try binder.tensor("bias", shape: [outFeatures]) : nil
    }

    /// `x · weightᵀ + bias`, plus `residual` (shaped like the output) when given: a backend with
    /// ``BackendCapability/gemmEpilogue`` adds it inside the product instead of in a separate pass.
    public func callAsFunction(_ x: Tensor, adding residual: Tensor? = nil) throws -> Tensor {
        try x.backend.linear(x, weight: weight, bias: bias, residual: residual)
    }

    /// The layer at every position of a channel-major map `[B, in, *spatial]`, giving tokens `[B, L, out]`
    /// (``ComputeBackend/linear(channelMajor:weight:bias:)``).
    public func callAsFunction(channelMajor x: Tensor) throws -> Tensor {
        try x.backend.linear(channelMajor: x, weight: weight, bias: bias)
    }

    /// Tokens `[B, L, in]` to a channel-major `[B, out, L]`, plus `residual`
    /// (``ComputeBackend/linearToChannelMajor(_:weight:bias:adding:)``).
    public func toChannelMajor(_ x: Tensor, adding residual: Tensor? = nil) throws -> Tensor {
        try x.backend.linearToChannelMajor(x, weight: weight, bias: bias, adding: residual)
    }
}

/// PyTorch `nn.Conv2d` (dilation 1, groups 1) on NCHW tensors.
public struct Conv2d: Sendable {
    public let weight: Tensor
    public let bias: Tensor?
    public let stride: Int
    public let padding: Padding2D

    /// Binds `weight` `[outChannels, inChannels, kernelSize, kernelSize]` (in the binder's
    /// ``WeightBinder/precision``) and, when `bias` is true, `bias`.
    public init(_ binder: WeightBinder, inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int = 1,
                padding: Padding2D = .zero, bias: Bool = true) throws {
        weight = try binder.weight("weight", shape: [outChannels, inChannels, kernelSize, kernelSize])
        self.bias = bias ? try binder.tensor("bias", shape: [outChannels]) : nil
        self.stride = stride
        self.padding = padding
    }

    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        try x.backend.conv2d(x, weight: weight, bias: bias, stride: (stride, stride), padding: padding)
    }

    /// The convolution of `x`, which it consumes: a 1x1 convolution to no more channels than it reads writes its
    /// result over `x` when nothing else holds `x` (``ComputeBackend/conv2d(overwriting:weight:bias:)``).
    public func callAsFunction(overwriting x: consuming Tensor) throws -> Tensor {
        guard isPointwise else { return try callAsFunction(x) }
        let backend = x.backend
        return try backend.conv2d(overwriting: consume x, weight: weight, bias: bias)
    }

    /// This convolution of `x` read through `input`, and `shortcut` (a ResNet block's `conv_shortcut`) of `x`,
    /// which it consumes: a 1x1 shortcut is written over `x` while this convolution reads it
    /// (``ComputeBackend/conv2d(_:input:weight:bias:padding:shortcutWeight:shortcutBias:)``), so `x`, this
    /// convolution's output and the shortcut's are never all held.
    public func callAsFunction(_ x: consuming Tensor, input: ConvolutionInput,
                               shortcut: Conv2d) throws -> (output: Tensor, shortcut: Tensor) {
        guard shortcut.isPointwise, stride == 1 else {
            let out = try callAsFunction(x, input: input)
            return (out, try shortcut(overwriting: consume x))
        }
        let backend = x.backend
        return try backend.conv2d(consume x, input: input, weight: weight, bias: bias, padding: padding,
                                  shortcutWeight: shortcut.weight, shortcutBias: shortcut.bias)
    }

    /// A 1x1, stride-1, unpadded convolution (a projection of each pixel's channels).
    private var isPointwise: Bool {
        weight.rank == 4 && weight.shape[2] == 1 && weight.shape[3] == 1 && stride == 1 && padding == .zero
    }

    /// The convolution of `x` transformed as `input` says (upsampled or group-normalised), without storing the
    /// transformed tensor on a backend that claims ``BackendCapability/convolutionPrologue``.
    ///
    /// With `residual`, the result is `residual + convolution`, added in place when nothing else holds the
    /// residual (see ``ComputeBackend/conv2d(_:input:weight:bias:stride:padding:adding:)``).
    public func callAsFunction(_ x: Tensor, input: ConvolutionInput, adding residual: consuming Tensor? = nil) throws -> Tensor {
        try x.backend.conv2d(x, input: input, weight: weight, bias: bias, stride: (stride, stride), padding: padding,
                             adding: consume residual)
    }
}

/// PyTorch `nn.GroupNorm` on `[N, C, ...]`, optionally fused with a following SiLU.
public struct GroupNorm: Sendable {
    public let groups: Int
    public let eps: Float
    public let weight: Tensor?
    public let bias: Tensor?

    /// Binds `weight` and `bias` `[channels]` when `affine` is true.
    public init(_ binder: WeightBinder, groups: Int, channels: Int, eps: Float = 1e-5, affine: Bool = true) throws {
        self.groups = groups
        self.eps = eps
        weight = affine ? try binder.tensor("weight", shape: [channels]) : nil
        bias = affine ? try binder.tensor("bias", shape: [channels]) : nil
    }

    public func callAsFunction(_ x: Tensor, silu: Bool = false) throws -> Tensor {
        try x.backend.groupNorm(x, groups: groups, gamma: weight, beta: bias, eps: eps, silu: silu)
    }

    /// This normalisation (then SiLU when `silu` is set) as the input transformation of a ``Conv2d``.
    public func asConvolutionInput(silu: Bool = false) -> ConvolutionInput {
        .groupNorm(groups: groups, gamma: weight, beta: bias, eps: eps, silu: silu)
    }
}

/// PyTorch `nn.LayerNorm` over the last dimension.
public struct LayerNorm: Sendable {
    public let eps: Float
    public let weight: Tensor?
    public let bias: Tensor?

    /// Binds `weight` and `bias` `[dim]` when `affine` is true.
    public init(_ binder: WeightBinder, dim: Int, eps: Float = 1e-5, affine: Bool = true) throws {
        self.eps = eps
        weight = affine ? try binder.tensor("weight", shape: [dim]) : nil
        bias = affine ? try binder.tensor("bias", shape: [dim]) : nil
    }

    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        try x.backend.layerNorm(x, gamma: weight, beta: bias, eps: eps)
    }
}
