/// A transformation of a convolution's input that ``BackendCapability/convolutionPrologue`` applies as the
/// convolution reads it, so the transformed input is never stored.
public enum ConvolutionPrologue: Sendable {
    /// Nearest-neighbour upsampling by 2 per side: the input buffer holds `[batch, inC, height / 2, width / 2]`
    /// and the ``Conv2DDescriptor`` gives the upsampled `height` and `width` (both even).
    case upsampleNearest2x
    /// Group normalisation of the input (``ComputeBackend/groupNorm(_:input:gamma:beta:output:)``, whose
    /// descriptor covers the input's `batch`, `inC` and `height · width`), followed by SiLU when `silu` is set.
    case groupNorm(GroupNormDescriptor, gamma: DeviceBuffer?, beta: DeviceBuffer?, silu: Bool)
}

/// What ``ComputeBackend/conv2d(_:input:weight:bias:stride:padding:adding:)`` does to its input before the convolution.
public enum ConvolutionInput: Sendable {
    /// PyTorch `interpolate(x, scale_factor=2, mode="nearest")`.
    case upsampledNearest2x
    /// PyTorch `GroupNorm(groups, C, eps)` with per-channel `gamma` and `beta` (each optional), then SiLU
    /// when `silu` is set.
    case groupNorm(groups: Int, gamma: Tensor?, beta: Tensor?, eps: Float, silu: Bool)
}
