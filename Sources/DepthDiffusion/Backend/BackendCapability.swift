/// An optional, fused kernel of a ``ComputeBackend``.
///
/// A backend claims a capability by returning `true` from ``ComputeBackend/supports(_:)`` for it and
/// implementing the matching requirement. The tensor-level front end uses the fused kernel when it is
/// claimed and otherwise computes the same result from mandatory kernels, so a capability can be added
/// to one backend without touching the others or the models.
public enum BackendCapability: String, CaseIterable, Sendable {
    /// ``ComputeBackend/groupNormSiLU(_:input:gamma:beta:output:)``: group normalisation and SiLU in
    /// one pass. Fallback: ``ComputeBackend/groupNorm(_:input:gamma:beta:output:)``, then
    /// ``ComputeBackend/unary(_:count:input:output:)`` with ``UnaryOp/silu``.
    case groupNormSiLU
    /// ``ComputeBackend/geglu(rows:cols:input:output:)``: `h · gelu(gate)` over the two halves of the
    /// last dimension. Fallback: two strided copies, ``UnaryOp/gelu`` and a multiplication.
    case geglu
    /// ``ComputeBackend/gemm(_:a:b:bias:activation:residual:c:)``: an activation and a residual
    /// addition applied by the GEMM to its output. Fallback: ``ComputeBackend/gemm(_:a:b:bias:c:)``,
    /// then ``ComputeBackend/unary(_:count:input:output:)`` and ``ComputeBackend/binary(_:_:a:b:output:)``.
    case gemmEpilogue
    /// ``ComputeBackend/makeWeight16(_:rows:cols:precision:)`` and the kernels that read its buffers:
    /// weights of linear and convolution layers held in 16 bits (``WeightPrecision/fp16`` or
    /// ``WeightPrecision/bf16``). Fallback: the weights are kept in float32 (``WeightBinder`` asks).
    case weights16
    /// ``ComputeBackend/conv2d(_:input:prologue:weight:bias:output:accumulate:)``: a convolution that upsamples or
    /// group-normalises its input as it reads it (``ConvolutionPrologue``), so that input is never stored, and
    /// can add its result to what the output holds (a residual added in place). Fallback:
    /// ``ComputeBackend/resize(_:input:output:)`` or the group normalisation into a tensor, then the
    /// convolution (then the addition of the residual).
    case convolutionPrologue
    /// ``ComputeBackend/conv2dInPlace(_:buffer:weight:bias:)``: a 1x1 convolution to no more channels than
    /// it reads, written over its input (a ResNet block's shortcut, whose input is not needed afterwards), so
    /// that input and output are never both held. Fallback: ``ComputeBackend/conv2d(_:input:weight:bias:output:)``
    /// into a new buffer.
    case inPlaceProjection
    /// ``ComputeBackend/conv2d(_:input:prologue:weight:bias:output:shortcut:shortcutWeight:shortcutBias:)``: a
    /// ResNet block's `conv1` of its group-normalised input together with the block's 1x1 shortcut, which is
    /// written over that input (as ``inPlaceProjection``) as the convolution consumes the input's rows, so that
    /// the memory of the rows already read can be returned before the convolution's output is complete: the
    /// input, `conv1`'s output and the shortcut's output are never all held, and neither are the whole input
    /// and the whole `conv1` output. Fallback: the prologue convolution, then ``inPlaceProjection`` (or a
    /// plain 1x1 convolution).
    case convolutionWithShortcut
}
