import CRuntimeLibraries
import Foundation

/// The OpenCL backend: every ``ComputeBackend`` operation as an OpenCL C 1.2 kernel compiled at run
/// time (NVIDIA, AMD, Intel, PoCL). Tensors stay in device memory; data crosses to the host only
/// through `upload`/`download` (and small id / timestep arrays for gathers and embeddings).
public final class OpenCLBackend: ComputeBackend {
    public let name = "opencl"
    let ctx: OpenCLDeviceContext
    private let dummy: OpenCLBuffer

    /// Opens a device: `selector` nil picks the first GPU, then any OpenCL device.
    public init(device selector: OpenCLDeviceSelector? = nil) throws {
        ctx = try OpenCLDeviceContext.get(selector)
        dummy = try OpenCLBuffer(count: 1, context: ctx)
    }

    /// The device this backend runs on.
    public var device: OpenCLDeviceInfo { ctx.info }

    public var deviceDescription: String { "\(ctx.info.summary); \(ctx.tiles)" }

    /// Releases cached, currently unused device buffers.
    public func releaseCachedMemory() { ctx.pool.trim() }

    public func limitCachedMemory(toBytes bytes: Int) { ctx.pool.setLimit(bytes) }

    @inline(__always) func mem(_ b: DeviceBuffer) -> cl_mem { unsafeDowncast(b, to: OpenCLBuffer.self).mem }

    // MARK: Memory

    public func makeBuffer(count: Int) throws -> DeviceBuffer {
        guard count <= Int(Int32.max) else {
            throw TensorError.invalidArgument(operation: "makeBuffer", detail: "\(count) elements exceed the OpenCL backend's 2^31 limit")
        }
        return try OpenCLBuffer(count: count, context: ctx)
    }

    public func upload(_ source: UnsafeBufferPointer<Float>, to buffer: DeviceBuffer, offset: Int) throws {
        guard !source.isEmpty else { return }
        guard offset >= 0, offset + source.count <= buffer.count else {
            throw TensorError.invalidArgument(operation: "upload", detail: "\(source.count) elements at \(offset) into \(buffer.count)")
        }
        try clCheck(ddclEnqueueWriteBuffer(ctx.queue, mem(buffer), cl_bool(CL_TRUE), offset * 4, source.count * 4,
                                         source.baseAddress, 0, nil, nil), "upload")
    }

    public func download(_ buffer: DeviceBuffer, offset: Int, into destination: UnsafeMutableBufferPointer<Float>) throws {
        guard !destination.isEmpty else { return }
        guard offset >= 0, offset + destination.count <= buffer.count else {
            throw TensorError.invalidArgument(operation: "download", detail: "\(destination.count) elements at \(offset) from \(buffer.count)")
        }
        try clCheck(ddclEnqueueReadBuffer(ctx.queue, mem(buffer), cl_bool(CL_TRUE), offset * 4, destination.count * 4,
                                        destination.baseAddress, 0, nil, nil), "download")
    }

    public func synchronize() throws { try clCheck(ddclFinish(ctx.queue), "clFinish") }

    // MARK: Launching

    enum Arg {
        case buffer(DeviceBuffer?)
        case int(Int)
        case float(Float)
        case bool(Bool)
        /// A plain struct argument made of 32-bit integers.
        case ints([Int32])
    }

    func launch(_ kernelName: String, source: String, options: String? = nil, global: [Int], local: [Int]?,
                _ args: [Arg]) throws {
        let kernel = try ctx.kernel(kernelName, source: source, options: options ?? ctx.tiles.options)
        // A cl_kernel's arguments are shared state (clSetKernelArg is not thread-safe on one kernel object, OpenCL
        // 1.2 §A.2), and every backend on this device shares the cached kernels: set and enqueue under one lock.
        ctx.launchLock.lock(); defer { ctx.launchLock.unlock() }
        for (i, arg) in args.enumerated() {
            let index = cl_uint(i)
            let status: cl_int
            switch arg {
            case .buffer(let b):
                var m: cl_mem? = b.map(mem) ?? dummy.mem
                status = ddclSetKernelArg(kernel, index, MemoryLayout<cl_mem>.size, &m)
            case .int(let v):
                var x = try Self.int32(v, kernelName)
                status = ddclSetKernelArg(kernel, index, 4, &x)
            case .bool(let v):
                var x: Int32 = v ? 1 : 0
                status = ddclSetKernelArg(kernel, index, 4, &x)
            case .float(let v):
                var x = v
                status = ddclSetKernelArg(kernel, index, 4, &x)
            case .ints(let values):
                status = values.withUnsafeBytes { ddclSetKernelArg(kernel, index, $0.count, $0.baseAddress) }
            }
            try clCheck(status, "ddclSetKernelArg(\(kernelName), \(i))")
        }
        var g = global
        if let local { for i in 0..<g.count { g[i] = (g[i] + local[i] - 1) / local[i] * local[i] } }
        guard g.allSatisfy({ $0 > 0 }) else { return }
        var l = local ?? []
        let status = g.withUnsafeMutableBufferPointer { gp in
            l.withUnsafeMutableBufferPointer { lp in
                ddclEnqueueNDRangeKernel(ctx.queue, kernel, cl_uint(gp.count), nil, gp.baseAddress,
                                       local == nil ? nil : lp.baseAddress, 0, nil, nil)
            }
        }
        try clCheck(status, "enqueue \(kernelName) global \(g) local \(local ?? [])", device: ctx.info.name)
    }

    /// One-dimensional launch over `count` items in work-groups of 256 (or the device limit).
    func launch1D(_ kernelName: String, source: String, count: Int, _ args: [Arg]) throws {
        _ = try Self.int32(count, kernelName)  // the kernels index items with a 32-bit int
        try launch(kernelName, source: source, options: "", global: [count], local: [min(256, ctx.maxWorkGroupSize)], args)
    }

    /// Index map argument (six dimensions, padded with size 1) shared by `binary` and `strided_copy`.
    static func indexMap(_ shape: [Int], _ a: [Int], _ b: [Int], offsetA: Int = 0, offsetB: Int = 0) throws -> [Int32] {
        let pad = 6 - shape.count
        let n = [Int](repeating: 1, count: pad) + shape
        let sa = [Int](repeating: 0, count: pad) + a
        let sb = [Int](repeating: 0, count: pad) + b
        return try (n + sa + sb + [offsetA, offsetB]).map { try int32($0, "index map") }
    }

    /// A kernel argument as the kernels' `int`; throws ``BackendError/sizeOutOfRange(operation:value:limit:)``
    /// instead of wrapping around.
    static func int32(_ value: Int, _ operation: String) throws -> Int32 {
        guard let narrow = Int32(exactly: value) else {
            throw BackendError.sizeOutOfRange(operation: operation, value: value, limit: Int(Int32.max))
        }
        return narrow
    }

    // MARK: Optional capabilities

    public func supports(_ capability: BackendCapability) -> Bool {
        switch capability {
        case .groupNormSiLU, .geglu, .weights16: return true
        case .gemmEpilogue, .convolutionPrologue, .inPlaceProjection, .convolutionWithShortcut: return false
        }
    }

    // MARK: Linear algebra

    public func gemm(_ d: GEMMDescriptor, a: DeviceBuffer, b: DeviceBuffer, bias: DeviceBuffer?, c: DeviceBuffer) throws {
        let t = ctx.tiles
        try launch("gemm", source: OpenCLKernelSource.gemm,
                   global: [(d.n + t.tsn - 1) / t.tsn * t.threadsN, (d.m + t.tsm - 1) / t.tsm * t.threadsM, d.batch],
                   local: [t.threadsN, t.threadsM, 1],
                   [.int(d.m), .int(d.n), .int(d.k), .bool(d.transposeA), .bool(d.transposeB),
                    .int(d.lda), .int(d.ldb), .int(d.ldc),
                    .buffer(a), .int(d.offsetA), .int(d.strideA), .buffer(b), .int(d.offsetB), .int(d.strideB),
                    .buffer(c), .int(d.offsetC), .int(d.strideC), .float(d.alpha), .float(d.beta),
                    .buffer(bias), .int(bias == nil ? 0 : d.bias == .perColumn ? 1 : d.bias == .perRow ? 2 : 0)])
    }

    public func conv2d(_ d: Conv2DDescriptor, input: DeviceBuffer, weight: DeviceBuffer, bias: DeviceBuffer?,
                       output: DeviceBuffer) throws {
        let t = ctx.tiles
        let n = d.batch * d.outHeight * d.outWidth
        try launch("conv2d", source: OpenCLKernelSource.gemm,
                   global: [(n + t.tsn - 1) / t.tsn * t.threadsN, (d.outChannels + t.tsm - 1) / t.tsm * t.threadsM],
                   local: [t.threadsN, t.threadsM],
                   [.buffer(input), .buffer(weight), .buffer(bias), .bool(bias != nil), .buffer(output),
                    .int(d.batch), .int(d.inChannels), .int(d.height), .int(d.width), .int(d.outChannels),
                    .int(d.kernelH), .int(d.kernelW), .int(d.strideH), .int(d.strideW), .int(d.padTop), .int(d.padLeft),
                    .int(d.outHeight), .int(d.outWidth)])
    }

    public func attention(_ d: AttentionDescriptor, q: DeviceBuffer, k: DeviceBuffer, v: DeviceBuffer,
                          output: DeviceBuffer) throws {
        // Key tile: as many keys and values as fit half the local memory, at most 32.
        let keyTile = max(1, min(32, ctx.localMemoryBytes / 2 / (2 * d.headDim * 4)))
        let group = min(64, ctx.maxWorkGroupSize)
        try launch("attention", source: OpenCLKernelSource.attention,
                   options: "-D HEAD_DIM=\(d.headDim) -D KEY_TILE=\(keyTile)",
                   global: [d.queryLength, d.batch * d.heads], local: [group, 1],
                   [.buffer(q), .int(d.qOffset), .int(d.qRowStride), .buffer(k), .int(d.kOffset), .int(d.kRowStride),
                    .buffer(v), .int(d.vOffset), .int(d.vRowStride), .buffer(output), .int(d.queryLength),
                    .int(d.keyLength), .int(d.heads), .float(d.scale), .bool(d.causal)])
    }

    // MARK: Normalisation

    func launchRows(_ kernel: String, rows: Int, _ args: [Arg]) throws {
        let wg = ctx.tiles.reduce
        try launch(kernel, source: OpenCLKernelSource.reductions, options: "-D REDUCE_WG=\(wg)",
                   global: [rows * wg], local: [wg], args)
    }

    public func groupNorm(_ d: GroupNormDescriptor, input: DeviceBuffer, gamma: DeviceBuffer?, beta: DeviceBuffer?,
                          output: DeviceBuffer) throws {
        try normalizeGroups(d, input: input, gamma: gamma, beta: beta, output: output, silu: false)
    }

    public func groupNormSiLU(_ d: GroupNormDescriptor, input: DeviceBuffer, gamma: DeviceBuffer?, beta: DeviceBuffer?,
                              output: DeviceBuffer) throws {
        try normalizeGroups(d, input: input, gamma: gamma, beta: beta, output: output, silu: true)
    }

    private func normalizeGroups(_ d: GroupNormDescriptor, input: DeviceBuffer, gamma: DeviceBuffer?,
                                 beta: DeviceBuffer?, output: DeviceBuffer, silu: Bool) throws {
        try launchRows("group_norm", rows: d.batch * d.groups,
                       [.buffer(input), .buffer(output), .buffer(gamma), .bool(gamma != nil), .buffer(beta), .bool(beta != nil),
                        .int(d.channels), .int(d.spatial), .int(d.groups), .float(d.eps), .bool(silu)])
    }

    public func layerNorm(rows: Int, cols: Int, eps: Float, input: DeviceBuffer, gamma: DeviceBuffer?,
                          beta: DeviceBuffer?, output: DeviceBuffer) throws {
        try launchRows("row_norm", rows: rows, [.buffer(input), .buffer(output), .buffer(gamma), .bool(gamma != nil),
                                                .buffer(beta), .bool(beta != nil), .int(cols), .float(eps)])
    }

    public func minMax(rows: Int, cols: Int, input: DeviceBuffer, min: DeviceBuffer, max: DeviceBuffer) throws {
        try launchRows("min_max_rows", rows: rows, [.buffer(input), .buffer(min), .buffer(max), .int(cols)])
    }

    // MARK: Elementwise

    public func unary(_ op: UnaryOp, count: Int, input: DeviceBuffer, output: DeviceBuffer) throws {
        let code: Int
        switch op { case .gelu: code = 0; case .geluTanh: code = 1; case .quickGelu: code = 2; case .silu: code = 3; case .relu: code = 4 }
        try launch1D("unary", source: OpenCLKernelSource.elementwise, count: count,
                     [.buffer(input), .buffer(output), .int(count), .int(code)])
    }

    public func geglu(rows: Int, cols: Int, input: DeviceBuffer, output: DeviceBuffer) throws {
        try launch1D("geglu", source: OpenCLKernelSource.elementwise, count: rows * cols,
                     [.buffer(input), .buffer(output), .int(rows), .int(cols)])
    }

    public func affine(count: Int, scale: Float, shift: Float, input: DeviceBuffer, output: DeviceBuffer) throws {
        try launch1D("affine", source: OpenCLKernelSource.elementwise, count: count,
                     [.buffer(input), .buffer(output), .int(count), .float(scale), .float(shift)])
    }

    public func binary(_ op: BinaryOp, _ d: BinaryDescriptor, a: DeviceBuffer, b: DeviceBuffer, output: DeviceBuffer) throws {
        let code: Int
        switch op { case .add: code = 0; case .sub: code = 1; case .mul: code = 2; case .div: code = 3 }
        try launch1D("binary", source: OpenCLKernelSource.elementwise, count: d.count,
                     [.buffer(a), .buffer(b), .buffer(output), .int(d.count), .int(code),
                      .ints(try Self.indexMap(d.shape, d.aStrides, d.bStrides))])
    }

    public func copy(_ d: CopyDescriptor, from src: DeviceBuffer, to dst: DeviceBuffer) throws {
        guard d.shape.count <= 6 else {
            throw TensorError.invalidArgument(operation: "copy", detail: "rank \(d.shape.count) > 6")
        }
        try launch1D("strided_copy", source: OpenCLKernelSource.elementwise, count: d.count,
                     [.buffer(src), .buffer(dst), .int(d.count),
                      .ints(try Self.indexMap(d.shape, d.srcStrides, d.dstStrides, offsetA: d.srcOffset, offsetB: d.dstOffset))])
    }

    // MARK: Spatial

    public func resize(_ d: ResizeDescriptor, input: DeviceBuffer, output: DeviceBuffer) throws {
        let (mode, align): (Int, Bool)
        switch d.mode {
        case .nearest: (mode, align) = (0, false)
        case .bilinear(let a): (mode, align) = (1, a)
        case .bicubic(let a): (mode, align) = (2, a)
        }
        try launch1D("resize2d", source: OpenCLKernelSource.elementwise, count: d.planes * d.outH * d.outW,
                     [.buffer(input), .buffer(output), .int(d.planes), .int(d.inH), .int(d.inW), .int(d.outH), .int(d.outW),
                      .int(mode), .bool(align)])
    }

    public func maxPool2d(_ d: Pool2DDescriptor, input: DeviceBuffer, output: DeviceBuffer) throws {
        try launch1D("max_pool2d", source: OpenCLKernelSource.elementwise, count: d.planes * d.outHeight * d.outWidth,
                     [.buffer(input), .buffer(output), .int(d.planes), .int(d.height), .int(d.width), .int(d.kernelH),
                      .int(d.kernelW), .int(d.strideH), .int(d.strideW), .int(d.padTop), .int(d.padLeft),
                      .int(d.outHeight), .int(d.outWidth), .bool(d.padValue != nil), .float(d.padValue ?? 0)])
    }

    // MARK: Embeddings

    public func gather(table: DeviceBuffer, dim: Int, ids: [Int32], output: DeviceBuffer) throws {
        // The ids travel as int32 bits in a float buffer (same size), which the kernel reads as int.
        let idBuffer = try makeBuffer(count: ids.count)
        try ids.withUnsafeBufferPointer { p in
            try p.withMemoryRebound(to: Float.self) { try upload($0, to: idBuffer, offset: 0) }
        }
        try launch1D("gather_rows", source: OpenCLKernelSource.elementwise, count: ids.count * dim,
                     [.buffer(table), .buffer(idBuffer), .buffer(output), .int(ids.count), .int(dim)])
    }

    public func timestepEmbedding(_ d: TimestepEmbeddingDescriptor, timesteps: [Float], output: DeviceBuffer) throws {
        let t = try makeBuffer(count: timesteps.count)
        try timesteps.withUnsafeBufferPointer { try upload($0, to: t, offset: 0) }
        try launch1D("timestep_embedding", source: OpenCLKernelSource.elementwise, count: timesteps.count * d.dim,
                     [.buffer(t), .buffer(output), .int(timesteps.count), .int(d.dim), .bool(d.flipSinToCos),
                      .float(d.downscaleFreqShift), .float(d.scale), .float(Foundation.log(d.maxPeriod))])
    }
}
