import DepthDiffusion
import Foundation
import Synchronization

/// A backend that forwards every kernel (and claims every optional capability) of another backend, counts the FLOPs of the GEMMs, convolutions and
/// attention it runs, and (with `timing`) accumulates wall time per kernel (`depth-bench unet --profile`).
/// When timing, each kernel is followed by `synchronize()` so asynchronous backends are timed too.
/// Benchmark-only.
final class ProfilingBackend: ComputeBackend {
    let inner: ComputeBackend
    let timing: Bool
    private struct Counts {
        var seconds: [String: Double] = [:]
        var calls: [String: Int] = [:]
        var flops = 0.0
    }
    private let counts = Mutex(Counts())
    var seconds: [String: Double] { counts.withLock { $0.seconds } }
    var calls: [String: Int] { counts.withLock { $0.calls } }
    /// Multiply-add FLOPs (2 per MAC) of the GEMMs, convolutions and attention run since the last reset.
    var flops: Double {
        get { counts.withLock { $0.flops } }
        set { counts.withLock { $0.flops = newValue } }
    }

    init(_ inner: ComputeBackend, timing: Bool = true) { self.inner = inner; self.timing = timing }

    var name: String { inner.name }
    var deviceDescription: String { inner.deviceDescription }

    func reset() { counts.withLock { $0 = Counts() } }

    private func timed(_ key: String, _ body: () throws -> Void) throws {
        guard timing else { return try body() }
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        try inner.synchronize()
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        counts.withLock {
            $0.seconds[key, default: 0] += elapsed
            $0.calls[key, default: 0] += 1
        }
    }

    func makeBuffer(count: Int) throws -> DeviceBuffer { try inner.makeBuffer(count: count) }
    func upload(_ source: UnsafeBufferPointer<Float>, to buffer: DeviceBuffer, offset: Int) throws {
        try inner.upload(source, to: buffer, offset: offset)
    }
    func download(_ buffer: DeviceBuffer, offset: Int, into destination: UnsafeMutableBufferPointer<Float>) throws {
        try inner.download(buffer, offset: offset, into: destination)
    }
    func synchronize() throws { try inner.synchronize() }

    func gemm(_ d: GEMMDescriptor, a: DeviceBuffer, b: DeviceBuffer, bias: DeviceBuffer?, c: DeviceBuffer) throws {
        counts.withLock { $0.flops += d.flops }
        try timed(Self.gemmLabel(d)) { try inner.gemm(d, a: a, b: b, bias: bias, c: c) }
    }
    func conv2d(_ d: Conv2DDescriptor, input: DeviceBuffer, weight: DeviceBuffer, bias: DeviceBuffer?, output: DeviceBuffer) throws {
        counts.withLock { $0.flops += d.flops }
        try timed(Self.convLabel(d)) {
            try inner.conv2d(d, input: input, weight: weight, bias: bias, output: output)
        }
    }
    func attention(_ d: AttentionDescriptor, q: DeviceBuffer, k: DeviceBuffer, v: DeviceBuffer, output: DeviceBuffer) throws {
        counts.withLock { $0.flops += d.flops }
        try timed("attention L\(d.queryLength)xS\(d.keyLength) h\(d.heads)") { try inner.attention(d, q: q, k: k, v: v, output: output) }
    }
    func groupNorm(_ d: GroupNormDescriptor, input: DeviceBuffer, gamma: DeviceBuffer?, beta: DeviceBuffer?, output: DeviceBuffer) throws {
        try timed("groupNorm") { try inner.groupNorm(d, input: input, gamma: gamma, beta: beta, output: output) }
    }
    func layerNorm(rows: Int, cols: Int, eps: Float, input: DeviceBuffer, gamma: DeviceBuffer?, beta: DeviceBuffer?, output: DeviceBuffer) throws {
        try timed("layerNorm") { try inner.layerNorm(rows: rows, cols: cols, eps: eps, input: input, gamma: gamma, beta: beta, output: output) }
    }
    func unary(_ op: UnaryOp, count: Int, input: DeviceBuffer, output: DeviceBuffer) throws {
        try timed("unary") { try inner.unary(op, count: count, input: input, output: output) }
    }
    func affine(count: Int, scale: Float, shift: Float, input: DeviceBuffer, output: DeviceBuffer) throws {
        try timed("affine") { try inner.affine(count: count, scale: scale, shift: shift, input: input, output: output) }
    }
    func binary(_ op: BinaryOp, _ d: BinaryDescriptor, a: DeviceBuffer, b: DeviceBuffer, output: DeviceBuffer) throws {
        try timed("binary") { try inner.binary(op, d, a: a, b: b, output: output) }
    }
    func copy(_ d: CopyDescriptor, from src: DeviceBuffer, to dst: DeviceBuffer) throws {
        try timed("copy (permute/concat/narrow)") { try inner.copy(d, from: src, to: dst) }
    }
    func resize(_ d: ResizeDescriptor, input: DeviceBuffer, output: DeviceBuffer) throws {
        try timed("resize") { try inner.resize(d, input: input, output: output) }
    }
    func maxPool2d(_ d: Pool2DDescriptor, input: DeviceBuffer, output: DeviceBuffer) throws {
        try timed("maxPool2d") { try inner.maxPool2d(d, input: input, output: output) }
    }
    func gather(table: DeviceBuffer, dim: Int, ids: [Int32], output: DeviceBuffer) throws {
        try timed("gather") { try inner.gather(table: table, dim: dim, ids: ids, output: output) }
    }
    func timestepEmbedding(_ d: TimestepEmbeddingDescriptor, timesteps: [Float], output: DeviceBuffer) throws {
        try timed("timestepEmbedding") { try inner.timestepEmbedding(d, timesteps: timesteps, output: output) }
    }
    func minMax(rows: Int, cols: Int, input: DeviceBuffer, min: DeviceBuffer, max: DeviceBuffer) throws {
        try timed("minMax") { try inner.minMax(rows: rows, cols: cols, input: input, min: min, max: max) }
    }

    // Optional capabilities: claimed exactly as the inner backend claims them, so profiling runs the same kernels.

    func supports(_ capability: BackendCapability) -> Bool { inner.supports(capability) }
    func groupNormSiLU(_ d: GroupNormDescriptor, input: DeviceBuffer, gamma: DeviceBuffer?, beta: DeviceBuffer?,
                       output: DeviceBuffer) throws {
        try timed("groupNorm+SiLU") { try inner.groupNormSiLU(d, input: input, gamma: gamma, beta: beta, output: output) }
    }
    func geglu(rows: Int, cols: Int, input: DeviceBuffer, output: DeviceBuffer) throws {
        try timed("geglu") { try inner.geglu(rows: rows, cols: cols, input: input, output: output) }
    }
    func gemm(_ d: GEMMDescriptor, a: DeviceBuffer, b: DeviceBuffer, bias: DeviceBuffer?, activation: UnaryOp?,
              residual: DeviceBuffer?, c: DeviceBuffer) throws {
        counts.withLock { $0.flops += d.flops }
        try timed(Self.gemmLabel(d, suffix: residual == nil ? " (with its activation)" : " (with its residual)")) {
            try inner.gemm(d, a: a, b: b, bias: bias, activation: activation, residual: residual, c: c)
        }
    }

    func makeWeight16(_ data: WeightData, rows: Int, cols: Int, precision: WeightPrecision) throws -> DeviceBuffer {
        try inner.makeWeight16(data, rows: rows, cols: cols, precision: precision)
    }
    func widen16(_ weight: DeviceBuffer, output: DeviceBuffer) throws {
        try timed("widen16") { try inner.widen16(weight, output: output) }
    }
    func linear16(_ d: GEMMDescriptor, x: DeviceBuffer, weight: DeviceBuffer, bias: DeviceBuffer?,
                  output: DeviceBuffer) throws {
        counts.withLock { $0.flops += d.flops }
        try timed("linear16") { try inner.linear16(d, x: x, weight: weight, bias: bias, output: output) }
    }
    func conv2d16(_ d: Conv2DDescriptor, input: DeviceBuffer, weight: DeviceBuffer, bias: DeviceBuffer?,
                  output: DeviceBuffer) throws {
        counts.withLock { $0.flops += d.flops }
        try timed(Self.convLabel(d, suffix: " (16-bit)")) {
            try inner.conv2d16(d, input: input, weight: weight, bias: bias, output: output)
        }
    }

    func conv2d(_ d: Conv2DDescriptor, input: DeviceBuffer, prologue: ConvolutionPrologue, weight: DeviceBuffer,
                bias: DeviceBuffer?, output: DeviceBuffer, accumulate: Bool) throws {
        counts.withLock { $0.flops += d.flops }
        let kind: String
        switch prologue {
        case .upsampleNearest2x: kind = " (upsampled input)"
        case .groupNorm: kind = " (group-normalised input)"
        }
        try timed(Self.convLabel(d, suffix: kind)) {
            try inner.conv2d(d, input: input, prologue: prologue, weight: weight, bias: bias, output: output,
                             accumulate: accumulate)
        }
    }

    func conv2dInPlace(_ d: Conv2DDescriptor, buffer: DeviceBuffer, weight: DeviceBuffer, bias: DeviceBuffer?) throws {
        counts.withLock { $0.flops += d.flops }
        try timed(Self.convLabel(d, suffix: " (in place)")) {
            try inner.conv2dInPlace(d, buffer: buffer, weight: weight, bias: bias)
        }
    }

    func conv2d(_ d: Conv2DDescriptor, input: DeviceBuffer, prologue: ConvolutionPrologue, weight: DeviceBuffer,
                bias: DeviceBuffer?, output: DeviceBuffer, shortcut: Conv2DDescriptor, shortcutWeight: DeviceBuffer,
                shortcutBias: DeviceBuffer?) throws {
        counts.withLock { $0.flops += d.flops + shortcut.flops }
        try timed(Self.convLabel(d, suffix: " (group-normalised input, with its shortcut)")) {
            try inner.conv2d(d, input: input, prologue: prologue, weight: weight, bias: bias, output: output,
                             shortcut: shortcut, shortcutWeight: shortcutWeight, shortcutBias: shortcutBias)
        }
    }

    /// A product's row in the report: `gemm MxNxK` (times the batch when it is above 1), the shape of `op(A) · op(B)`.
    private static func gemmLabel(_ d: GEMMDescriptor, suffix: String = "") -> String {
        "gemm \(d.m)x\(d.n)x\(d.k)" + (d.batch > 1 ? " x\(d.batch)" : "") + suffix
    }

    /// A convolution's row in the report: kind, channels and input size.
    private static func convLabel(_ d: Conv2DDescriptor, suffix: String = "") -> String {
        let kind = d.kernelH == 1 && d.kernelW == 1 ? "conv1x1" : d.strideH > 1 ? "conv3x3s2" : "conv3x3"
        return "\(kind) \(d.inChannels)->\(d.outChannels)@\(d.height)x\(d.width)" + suffix
    }

    /// Rows sorted by time: `{op, calls, seconds}`.
    func report() -> [[String: Any]] {
        seconds.sorted { $0.value > $1.value }.map { ["op": $0.key, "calls": calls[$0.key] ?? 0, "seconds": $0.value] }
    }
}
