/// Memory owned by a ``ComputeBackend`` that holds `count` float32 elements.
///
/// Buffers are created by ``ComputeBackend/makeBuffer(count:)`` and released when the last
/// reference goes away. Models never see the memory behind a buffer; they go through
/// ``Tensor`` and the operations of the backend that made it.
public protocol DeviceBuffer: AnyObject {
    /// Number of float32 elements the buffer holds.
    var count: Int { get }
}

/// A compute device that stores tensors and runs every operation the SD2-depth networks need.
///
/// The requirements are *kernels*: they receive buffers and a descriptor whose sizes were
/// already checked by the tensor-level front end (the `ComputeBackend` extensions such as
/// ``ComputeBackend/linear(_:weight:bias:)``), so an implementation only computes.
/// All data is float32, row-major and contiguous unless a descriptor gives strides.
/// Every output buffer is distinct from every input buffer.
///
/// To add a backend, implement this protocol in a new folder under `Backends/`, register it in
/// ``BackendKind``, and add one line to the conformance suite's backend list.
public protocol ComputeBackend: AnyObject {
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

    /// Group normalisation of `[batch, channels, spatial]` with biased variance, per-channel
    /// affine `gamma`/`beta`, optionally followed by SiLU.
    func groupNorm(_ d: GroupNormDescriptor, input: DeviceBuffer, gamma: DeviceBuffer?, beta: DeviceBuffer?,
                   output: DeviceBuffer) throws
    /// Layer normalisation over the last dimension of a `[rows, cols]` matrix (biased variance).
    func layerNorm(rows: Int, cols: Int, eps: Float, input: DeviceBuffer, gamma: DeviceBuffer?,
                   beta: DeviceBuffer?, output: DeviceBuffer) throws
    /// Softmax over the last dimension of a `[rows, cols]` matrix (max-subtracted).
    func softmax(rows: Int, cols: Int, input: DeviceBuffer, output: DeviceBuffer) throws
    /// Weight standardisation: each of `rows` rows of length `cols` becomes
    /// `(w - mean) / sqrt(var + eps)` with the biased variance (BiT's `WeightStandardizedConv2d`).
    func standardize(rows: Int, cols: Int, eps: Float, input: DeviceBuffer, output: DeviceBuffer) throws

    // MARK: Elementwise

    /// Applies `op` to `count` elements.
    func unary(_ op: UnaryOp, count: Int, input: DeviceBuffer, output: DeviceBuffer) throws
    /// GEGLU: the input is `[rows, 2 * cols]`; `output[r, c] = x[r, c] * gelu(x[r, cols + c])` (exact GELU).
    func geglu(rows: Int, cols: Int, input: DeviceBuffer, output: DeviceBuffer) throws
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
}
