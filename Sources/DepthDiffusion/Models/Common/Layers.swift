// Minimal wrappers over the backend's tensor-level operations for the PyTorch modules every model uses.
// Each reads `weight` / `bias` from the binder scope it is given.

/// PyTorch `nn.Linear`: `x · weightᵀ + bias` with `weight` `[out, in]`.
public struct Linear {
    public let weight: Tensor
    public let bias: Tensor?

    public init(_ binder: WeightBinder, inFeatures: Int, outFeatures: Int, bias: Bool = true) throws {
        weight = try binder.tensor("weight", shape: [outFeatures, inFeatures])
        self.bias = bias ? try binder.tensor("bias", shape: [outFeatures]) : nil
    }

    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        try x.backend.linear(x, weight: weight, bias: bias)
    }
}

/// PyTorch `nn.Conv2d` (groups 1, dilation 1) with symmetric zero padding.
public struct Conv2d {
    public let weight: Tensor
    public let bias: Tensor?
    public let stride: Int
    public let padding: Int

    public init(_ binder: WeightBinder, inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int = 1,
                padding: Int = 0, bias: Bool = true) throws {
        weight = try binder.tensor("weight", shape: [outChannels, inChannels, kernelSize, kernelSize])
        self.bias = bias ? try binder.tensor("bias", shape: [outChannels]) : nil
        self.stride = stride; self.padding = padding
    }

    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        try x.backend.conv2d(x, weight: weight, bias: bias, stride: (stride, stride), padding: .uniform(padding))
    }
}

/// PyTorch `nn.GroupNorm(groups, channels, eps)` with affine parameters.
public struct GroupNorm {
    public let weight: Tensor
    public let bias: Tensor
    public let groups: Int
    public let eps: Float

    public init(_ binder: WeightBinder, groups: Int, channels: Int, eps: Float = 1e-5) throws {
        weight = try binder.tensor("weight", shape: [channels])
        bias = try binder.tensor("bias", shape: [channels])
        self.groups = groups; self.eps = eps
    }

    /// The normalised input, optionally followed by SiLU (fused).
    public func callAsFunction(_ x: Tensor, silu: Bool = false) throws -> Tensor {
        try x.backend.groupNorm(x, groups: groups, gamma: weight, beta: bias, eps: eps, silu: silu)
    }
}

/// PyTorch `nn.LayerNorm(dim, eps)` over the last dimension, with affine parameters.
public struct LayerNorm {
    public let weight: Tensor
    public let bias: Tensor
    public let eps: Float

    public init(_ binder: WeightBinder, dim: Int, eps: Float = 1e-5) throws {
        weight = try binder.tensor("weight", shape: [dim])
        bias = try binder.tensor("bias", shape: [dim])
        self.eps = eps
    }

    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        try x.backend.layerNorm(x, gamma: weight, beta: bias, eps: eps)
    }
}
