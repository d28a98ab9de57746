@testable import DepthDiffusion

/// A backend that forwards only the mandatory kernels of another backend and claims no optional
/// capability, so every tensor-level operation takes its generic fallback. Listed in
/// ``conformanceBackends()`` beside the backend it wraps, which checks each fallback against the
/// reference and against the wrapped backend's fused kernels.
final class MandatoryKernelsBackend: ComputeBackend {
    let inner: ComputeBackend

    init(_ inner: ComputeBackend) { self.inner = inner }

    var name: String { "\(inner.name) (mandatory kernels only)" }
    var deviceDescription: String { inner.deviceDescription }

    func makeBuffer(count: Int) throws -> DeviceBuffer { try inner.makeBuffer(count: count) }
    func upload(_ source: UnsafeBufferPointer<Float>, to buffer: DeviceBuffer, offset: Int) throws {
        try inner.upload(source, to: buffer, offset: offset)
    }
    func download(_ buffer: DeviceBuffer, offset: Int, into destination: UnsafeMutableBufferPointer<Float>) throws {
        try inner.download(buffer, offset: offset, into: destination)
    }
    func synchronize() throws { try inner.synchronize() }

    func gemm(_ d: GEMMDescriptor, a: DeviceBuffer, b: DeviceBuffer, bias: DeviceBuffer?, c: DeviceBuffer) throws {
        try inner.gemm(d, a: a, b: b, bias: bias, c: c)
    }
    func conv2d(_ d: Conv2DDescriptor, input: DeviceBuffer, weight: DeviceBuffer, bias: DeviceBuffer?,
                output: DeviceBuffer) throws {
        try inner.conv2d(d, input: input, weight: weight, bias: bias, output: output)
    }
    func attention(_ d: AttentionDescriptor, q: DeviceBuffer, k: DeviceBuffer, v: DeviceBuffer,
                   output: DeviceBuffer) throws {
        try inner.attention(d, q: q, k: k, v: v, output: output)
    }
    func groupNorm(_ d: GroupNormDescriptor, input: DeviceBuffer, gamma: DeviceBuffer?, beta: DeviceBuffer?,
                   output: DeviceBuffer) throws {
        try inner.groupNorm(d, input: input, gamma: gamma, beta: beta, output: output)
    }
    func layerNorm(rows: Int, cols: Int, eps: Float, input: DeviceBuffer, gamma: DeviceBuffer?, beta: DeviceBuffer?,
                   output: DeviceBuffer) throws {
        try inner.layerNorm(rows: rows, cols: cols, eps: eps, input: input, gamma: gamma, beta: beta, output: output)
    }
    func unary(_ op: UnaryOp, count: Int, input: DeviceBuffer, output: DeviceBuffer) throws {
        try inner.unary(op, count: count, input: input, output: output)
    }
    func affine(count: Int, scale: Float, shift: Float, input: DeviceBuffer, output: DeviceBuffer) throws {
        try inner.affine(count: count, scale: scale, shift: shift, input: input, output: output)
    }
    func binary(_ op: BinaryOp, _ d: BinaryDescriptor, a: DeviceBuffer, b: DeviceBuffer, output: DeviceBuffer) throws {
        try inner.binary(op, d, a: a, b: b, output: output)
    }
    func copy(_ d: CopyDescriptor, from src: DeviceBuffer, to dst: DeviceBuffer) throws {
        try inner.copy(d, from: src, to: dst)
    }
    func resize(_ d: ResizeDescriptor, input: DeviceBuffer, output: DeviceBuffer) throws {
        try inner.resize(d, input: input, output: output)
    }
    func maxPool2d(_ d: Pool2DDescriptor, input: DeviceBuffer, output: DeviceBuffer) throws {
        try inner.maxPool2d(d, input: input, output: output)
    }
    func gather(table: DeviceBuffer, dim: Int, ids: [Int32], output: DeviceBuffer) throws {
        try inner.gather(table: table, dim: dim, ids: ids, output: output)
    }
    func timestepEmbedding(_ d: TimestepEmbeddingDescriptor, timesteps: [Float], output: DeviceBuffer) throws {
        try inner.timestepEmbedding(d, timesteps: timesteps, output: output)
    }
    func minMax(rows: Int, cols: Int, input: DeviceBuffer, min: DeviceBuffer, max: DeviceBuffer) throws {
        try inner.minMax(rows: rows, cols: cols, input: input, min: min, max: max)
    }
}
