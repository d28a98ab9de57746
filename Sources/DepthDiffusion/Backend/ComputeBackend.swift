/// Memory owned by a ``ComputeBackend`` that holds `count` float32 elements.
///
/// Buffers are created by ``ComputeBackend/makeBuffer(count:)`` and released when the last
/// reference goes away. Models never see the memory behind a buffer; they go through
/// ``Tensor`` and the operations of the backend that made it.
public protocol DeviceBuffer: AnyObject, Sendable {
    /// Number of float32 elements the buffer holds.
    var count: Int { get }
}

/// A compute device that stores tensors and runs the kernels the SD2-depth networks are built from.
///
/// The contract has two parts:
/// - **Mandatory kernels**: primitives every backend implements (memory, GEMM, convolution,
///   attention, normalisation, elementwise, layout, spatial and embedding kernels).
/// - **Optional capabilities** (``BackendCapability``): fused kernels a backend may provide to go
///   faster. A backend claims one by returning `true` from ``supports(_:)`` and implementing the
///   matching requirement; the defaults claim nothing and throw ``TensorError/unsupported(operation:backend:)``.
///   The tensor-level front end (the `ComputeBackend` extensions such as
///   ``ComputeBackend/groupNorm(_:groups:gamma:beta:eps:silu:)``) calls an optional kernel only
///   when the backend claims it, and otherwise composes the same result from mandatory kernels.
///
/// Kernels receive buffers and a descriptor whose sizes were already checked by the front end,
/// so an implementation only computes. All data is float32, row-major and contiguous unless a
/// descriptor gives strides (16-bit weights of ``BackendCapability/weights16`` are the one exception, read
/// only by their own kernels). Every output buffer is distinct from every input buffer.
///
/// To add a backend, implement the mandatory kernels in a new folder under `Backends/`, register it
/// in ``BackendKind``, and add one line to the conformance suite's backend list.
public protocol ComputeBackend: AnyObject, Sendable {
    /// Short name of the implementation: `"cpu"` or `"opencl"`.
    var name: String { get }
    /// Human-readable description of the device, e.g. `"OpenBLAS 0.3.21 on AMD EPYC (2 threads)"`.
    var deviceDescription: String { get }

    // MARK: Memory

    /// Allocates an uninitialised buffer of `count` float32 elements.
    func makeBuffer(count: Int) throws -> DeviceBuffer
    /// Copies `source` into `buffer` starting at element `offset`.
    func upload(_ source: UnsafeBufferPointer<Float>, to buffer: DeviceBuffer, offset: Int) throws
    /// Copies `destination.count` elements of `buffer`, starting at element `offset`, to the host.
    func download(_ buffer: DeviceBuffer, offset: Int, into destination: UnsafeMutableBufferPointer<Float>) throws
    /// Waits until all work submitted so far has finished.
    func synchronize() throws
    /// Returns cached, currently unused memory (buffer pools) to the system. The default does nothing.
    func releaseCachedMemory()
    /// Caps the memory of freed buffers the backend keeps for reuse at `bytes` from now on (for every user of
    /// the backend, or of the OpenCL device). The default does nothing.
    func limitCachedMemory(toBytes bytes: Int)

    // MARK: Linear algebra

    /// Batched matrix product `C[i] = alpha * op(A[i]) * op(B[i]) + beta * C[i] (+ bias)`;
    /// see ``GEMMDescriptor`` for layouts. When `bias` is given it is added after the product:
    /// per column (length n) or per row (length m) as the descriptor says.
    func gemm(_ d: GEMMDescriptor, a: DeviceBuffer, b: DeviceBuffer, bias: DeviceBuffer?, c: DeviceBuffer) throws

    /// 2-D cross-correlation (PyTorch `conv2d`, dilation 1, groups 1) of an NCHW input with an
    /// `[outC, inC, kH, kW]` weight, zero padding per side, plus an optional per-channel bias.
    func conv2d(_ d: Conv2DDescriptor, input: DeviceBuffer, weight: DeviceBuffer, bias: DeviceBuffer?,
                output: DeviceBuffer) throws

    /// Multi-head scaled-dot-product attention, `softmax(scale * Q Kᵀ + mask) V` per batch and head,
    /// computed in blocks so that no more than a bounded part of the score matrix exists at once.
    func attention(_ d: AttentionDescriptor, q: DeviceBuffer, k: DeviceBuffer, v: DeviceBuffer,
                   output: DeviceBuffer) throws

    // MARK: Normalisation

    /// Group normalisation of `[batch, channels, spatial]` with biased variance and per-channel
    /// affine `gamma`/`beta` (each optional).
    func groupNorm(_ d: GroupNormDescriptor, input: DeviceBuffer, gamma: DeviceBuffer?, beta: DeviceBuffer?,
                   output: DeviceBuffer) throws
    /// Layer normalisation over the last dimension of a `[rows, cols]` matrix (biased variance),
    /// with optional per-column `gamma`/`beta`. Without them it standardises each row.
    func layerNorm(rows: Int, cols: Int, eps: Float, input: DeviceBuffer, gamma: DeviceBuffer?,
                   beta: DeviceBuffer?, output: DeviceBuffer) throws

    // MARK: Elementwise

    /// Applies `op` to `count` elements.
    func unary(_ op: UnaryOp, count: Int, input: DeviceBuffer, output: DeviceBuffer) throws
    /// `output = scale * input + shift` on `count` elements.
    func affine(count: Int, scale: Float, shift: Float, input: DeviceBuffer, output: DeviceBuffer) throws
    /// `output[i] = a[ia] ⊕ b[ib]` over a contiguous output of `d.shape`, where the input indices
    /// come from the broadcast strides in ``BinaryDescriptor`` (stride 0 repeats an element).
    func binary(_ op: BinaryOp, _ d: BinaryDescriptor, a: DeviceBuffer, b: DeviceBuffer, output: DeviceBuffer) throws
    /// Strided copy: walks `d.shape` and copies `src[srcOffset + Σ i·srcStrides]` to
    /// `dst[dstOffset + Σ i·dstStrides]`. Permute, concatenation and slicing are built on it.
    func copy(_ d: CopyDescriptor, from src: DeviceBuffer, to dst: DeviceBuffer) throws

    // MARK: Spatial

    /// Resizes `planes` planes of `inH x inW` to `outH x outW` (PyTorch `interpolate` semantics,
    /// no antialiasing); see ``ResizeMode``.
    func resize(_ d: ResizeDescriptor, input: DeviceBuffer, output: DeviceBuffer) throws
    /// 2-D max pooling of `planes` planes; padded positions hold `padValue`, or are ignored when it is `nil`.
    func maxPool2d(_ d: Pool2DDescriptor, input: DeviceBuffer, output: DeviceBuffer) throws

    // MARK: Embeddings and reductions

    /// Row gather: `output[i, :] = table[ids[i], :]` for a `[rows, dim]` table. Ids are in range.
    func gather(table: DeviceBuffer, dim: Int, ids: [Int32], output: DeviceBuffer) throws
    /// Sinusoidal timestep embedding of diffusers' `get_timestep_embedding` (`[timesteps.count, dim]`).
    func timestepEmbedding(_ d: TimestepEmbeddingDescriptor, timesteps: [Float], output: DeviceBuffer) throws
    /// Per-row minimum and maximum of a `[rows, cols]` matrix, written to two `[rows]` buffers.
    func minMax(rows: Int, cols: Int, input: DeviceBuffer, min: DeviceBuffer, max: DeviceBuffer) throws

    // MARK: Optional capabilities

    /// Whether the backend implements the optional kernel of `capability`. The default is `false`.
    func supports(_ capability: BackendCapability) -> Bool

    /// ``BackendCapability/groupNormSiLU``: ``groupNorm(_:input:gamma:beta:output:)`` followed by
    /// SiLU, `y · sigmoid(y)`, in one pass.
    func groupNormSiLU(_ d: GroupNormDescriptor, input: DeviceBuffer, gamma: DeviceBuffer?, beta: DeviceBuffer?,
                       output: DeviceBuffer) throws

    /// ``BackendCapability/geglu``: the input is `[rows, 2 * cols]`;
    /// `output[r, c] = x[r, c] * gelu(x[r, cols + c])` (exact GELU).
    func geglu(rows: Int, cols: Int, input: DeviceBuffer, output: DeviceBuffer) throws

    /// ``BackendCapability/gemmEpilogue``: ``gemm(_:a:b:bias:c:)`` followed, per element of C, by
    /// `activation` (when given) and then the addition of `residual` (when given), which is laid out
    /// like C (same offset, leading dimension and batch stride) and is distinct from it:
    /// `C = activation(alpha · op(A) op(B) + beta · C + bias) + residual`.
    func gemm(_ d: GEMMDescriptor, a: DeviceBuffer, b: DeviceBuffer, bias: DeviceBuffer?, activation: UnaryOp?,
              residual: DeviceBuffer?, c: DeviceBuffer) throws

    /// ``BackendCapability/weights16``: a `[rows, cols]` weight matrix (a Linear weight `[out, in]`, or a
    /// convolution weight `[outC, inC·kH·kW]`) held in `precision` (``WeightPrecision/fp16`` or
    /// ``WeightPrecision/bf16``), rounded to nearest (ties to even) from `data`, which holds `rows · cols`
    /// elements. Data already in `precision` is kept bit for bit. The buffer's `count` is `rows · cols`;
    /// only ``widen16(_:output:)``, ``linear16(_:x:weight:bias:output:)`` and
    /// ``conv2d16(_:input:weight:bias:output:)`` read it.
    func makeWeight16(_ data: WeightData, rows: Int, cols: Int, precision: WeightPrecision) throws -> DeviceBuffer

    /// ``BackendCapability/weights16``: the float32 values of a 16-bit weight, row-major `[rows, cols]`,
    /// written to `output` (`rows · cols` elements).
    func widen16(_ weight: DeviceBuffer, output: DeviceBuffer) throws

    /// ``BackendCapability/weights16``: `output [rows, out] = x [rows, in] · weightᵀ + bias` with a 16-bit
    /// `weight` of `[out, in]` (`d` has `m` = rows, `n` = out, `k` = in, `transposeB`, and the bias mode).
    func linear16(_ d: GEMMDescriptor, x: DeviceBuffer, weight: DeviceBuffer, bias: DeviceBuffer?,
                  output: DeviceBuffer) throws

    /// ``BackendCapability/weights16``: ``conv2d(_:input:weight:bias:output:)`` with a 16-bit weight made
    /// from the `[outC, inC, kH, kW]` kernel as `[outC, inC·kH·kW]`.
    func conv2d16(_ d: Conv2DDescriptor, input: DeviceBuffer, weight: DeviceBuffer, bias: DeviceBuffer?,
                  output: DeviceBuffer) throws

    /// ``BackendCapability/convolutionPrologue``: ``conv2d(_:input:weight:bias:output:)`` of `prologue` applied
    /// to `input`, bit for bit what the unfused kernels give, without storing the transformed input. `d`
    /// describes the convolution of the transformed input. `weight` is float32, or a 16-bit weight of
    /// ``makeWeight16(_:rows:cols:precision:)`` (then as ``conv2d16(_:input:weight:bias:output:)``). With
    /// `accumulate` set, each result is added to what `output` holds (`output + (conv + bias)`, the value
    /// ``binary(_:_:a:b:output:)`` gives), so a residual addition needs no second buffer.
    func conv2d(_ d: Conv2DDescriptor, input: DeviceBuffer, prologue: ConvolutionPrologue, weight: DeviceBuffer,
                bias: DeviceBuffer?, output: DeviceBuffer, accumulate: Bool) throws

    /// ``BackendCapability/inPlaceProjection``: a 1x1 convolution (stride 1, no padding) to at most as many
    /// channels as it reads, written over its input. `buffer` holds `[batch, inC, H, W]` before the call and
    /// `[batch, outC, H, W]` from its start after it: the values of ``conv2d(_:input:weight:bias:output:)`` (a
    /// 16-bit `weight` widened to float32). The backend may return the memory past the result to the system;
    /// the buffer stays valid at its full size.
    func conv2dInPlace(_ d: Conv2DDescriptor, buffer: DeviceBuffer, weight: DeviceBuffer, bias: DeviceBuffer?) throws

    /// ``BackendCapability/convolutionWithShortcut``: the values of
    /// ``conv2d(_:input:prologue:weight:bias:output:accumulate:)`` (without `accumulate`) in `output`, then those of
    /// ``conv2dInPlace(_:buffer:weight:bias:)`` with `shortcut` (a 1x1, stride-1, unpadded convolution of the stored
    /// input, `[batch, inC, H, W]`, to at most `inC` channels) in `input` (bit for bit, or up to the rounding of a GEMM
    /// split into other column blocks). The backend may interleave the
    /// two and return the memory of input rows it no longer needs (and of `output`'s rows not yet written) to the
    /// system; both buffers stay valid at their full size.
    func conv2d(_ d: Conv2DDescriptor, input: DeviceBuffer, prologue: ConvolutionPrologue, weight: DeviceBuffer,
                bias: DeviceBuffer?, output: DeviceBuffer, shortcut: Conv2DDescriptor, shortcutWeight: DeviceBuffer,
                shortcutBias: DeviceBuffer?) throws
}

// Defaults of the optional capabilities: nothing is claimed, and the kernels, which the front end
// never calls on a backend that does not claim them, throw.
extension ComputeBackend {
    public func releaseCachedMemory() {}

    public func limitCachedMemory(toBytes bytes: Int) {}

    public func supports(_ capability: BackendCapability) -> Bool { false }

    public func groupNormSiLU(_ d: GroupNormDescriptor, input: DeviceBuffer, gamma: DeviceBuffer?, beta: DeviceBuffer?,
                              output: DeviceBuffer) throws {
        throw TensorError.unsupported(operation: BackendCapability.groupNormSiLU.rawValue, backend: name)
    }

    public func geglu(rows: Int, cols: Int, input: DeviceBuffer, output: DeviceBuffer) throws {
        throw TensorError.unsupported(operation: BackendCapability.geglu.rawValue, backend: name)
    }

    public func gemm(_ d: GEMMDescriptor, a: DeviceBuffer, b: DeviceBuffer, bias: DeviceBuffer?, activation: UnaryOp?,
                     residual: DeviceBuffer?, c: DeviceBuffer) throws {
        throw TensorError.unsupported(operation: BackendCapability.gemmEpilogue.rawValue, backend: name)
    }

    public func makeWeight16(_ data: WeightData, rows: Int, cols: Int, precision: WeightPrecision) throws -> DeviceBuffer {
        throw TensorError.unsupported(operation: BackendCapability.weights16.rawValue, backend: name)
    }

    public func widen16(_ weight: DeviceBuffer, output: DeviceBuffer) throws {
        throw TensorError.unsupported(operation: BackendCapability.weights16.rawValue, backend: name)
    }

    public func linear16(_ d: GEMMDescriptor, x: DeviceBuffer, weight: DeviceBuffer, bias: DeviceBuffer?,
                         output: DeviceBuffer) throws {
        throw TensorError.unsupported(operation: BackendCapability.weights16.rawValue, backend: name)
    }

    public func conv2d16(_ d: Conv2DDescriptor, input: DeviceBuffer, weight: DeviceBuffer, bias: DeviceBuffer?,
                         output: DeviceBuffer) throws {
        throw TensorError.unsupported(operation: BackendCapability.weights16.rawValue, backend: name)
    }

    public func conv2d(_ d: Conv2DDescriptor, input: DeviceBuffer, prologue: ConvolutionPrologue, weight: DeviceBuffer,
                       bias: DeviceBuffer?, output: DeviceBuffer, accumulate: Bool) throws {
        throw TensorError.unsupported(operation: BackendCapability.convolutionPrologue.rawValue, backend: name)
    }

    public func conv2dInPlace(_ d: Conv2DDescriptor, buffer: DeviceBuffer, weight: DeviceBuffer, bias: DeviceBuffer?) throws {
        throw TensorError.unsupported(operation: BackendCapability.inPlaceProjection.rawValue, backend: name)
    }

    public func conv2d(_ d: Conv2DDescriptor, input: DeviceBuffer, prologue: ConvolutionPrologue, weight: DeviceBuffer,
                       bias: DeviceBuffer?, output: DeviceBuffer, shortcut: Conv2DDescriptor, shortcutWeight: DeviceBuffer,
                       shortcutBias: DeviceBuffer?) throws {
        throw TensorError.unsupported(operation: BackendCapability.convolutionWithShortcut.rawValue, backend: name)
    }
}
