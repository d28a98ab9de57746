import CDepthKernels
import CRuntimeLibraries
import Foundation

/// The CPU backend: matrix products and convolutions through OpenBLAS `cblas_sgemm`,
/// everything else as SIMD Swift spread over the cores.
public final class CPUBackend: ComputeBackend {
    public let name = "cpu"
    public let deviceDescription: String
    /// The cores this backend's kernels use: OpenBLAS's thread count for its GEMMs and the worker count of
    /// the kernels that split work themselves.
    public let threads: Int
    /// Recycles freed buffers (at most `cacheBytes`, default 512 MiB), so repeated steps do not fault in fresh pages.
    let pool: BufferPool
    let parallel: Parallel
    let tuning: CPUTuning

    /// Creates the backend, loading OpenBLAS on first use (see ``OpenBLASLibrary``). `threads` sets the number
    /// of cores this backend's kernels use (default: all cores). OpenBLAS's thread count is one setting for the
    /// whole process; backends with different counts can run on several threads at once, their GEMMs then
    /// take turns (each with its own count) rather than overlap.
    ///
    /// - Throws: ``BackendError/unavailable(_:)`` when `libopenblas.so.0` cannot be loaded.
    public convenience init(threads: Int? = nil, cacheBytes: Int = 512 << 20) throws {
        try self.init(threads: threads, cacheBytes: cacheBytes, tuning: CPUTuning())
    }

    init(threads: Int? = nil, cacheBytes: Int = 512 << 20, tuning: CPUTuning) throws {
        try OpenBLASLibrary.load()
        pool = BufferPool(limitBytes: cacheBytes)
        let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)
        self.threads = threads.map { max(1, $0) } ?? cores
        parallel = Parallel(workers: self.threads)
        self.tuning = tuning
        let version = OpenBLASLibrary.config?.split(separator: " ").prefix(2).joined(separator: " ") ?? "OpenBLAS"
        let kernel = OpenBLASLibrary.describeKernel(core: OpenBLASLibrary.coreName, choice: OpenBLASLibrary.coreChoice,
                                                    cpuidCore: OpenBLASLibrary.cpuidCore)
        deviceDescription = "\(CPUBackend.processorName()) — \(version), \(kernel), \(self.threads) threads"
    }

    static func processorName() -> String {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = info.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
              let name = line.split(separator: ":", maxSplits: 1).last else { return "CPU" }
        return name.trimmingCharacters(in: .whitespaces)
    }

    @inline(__always) func ptr(_ b: DeviceBuffer) -> UnsafeMutablePointer<Float> {
        // Tensors check their backend before any kernel runs, so every buffer here is a CPUBuffer.
        unsafeDowncast(b, to: CPUBuffer.self).pointer
    }

    // MARK: Memory

    public func makeBuffer(count: Int) throws -> DeviceBuffer { try CPUBuffer(count: count, pool: pool) }

    /// Returns cached, currently unused buffers to the system, and the C heap's free memory with them
    /// (`malloc_trim`: buffers under glibc's mmap threshold live on the heap, whose freed pages it otherwise keeps).
    public func limitCachedMemory(toBytes bytes: Int) { pool.limitBytes = bytes }

    public func releaseCachedMemory() {
        pool.trim()
        dd_release_heap()
    }

    public func upload(_ source: UnsafeBufferPointer<Float>, to buffer: DeviceBuffer, offset: Int) throws {
        guard let base = source.baseAddress, offset >= 0, offset + source.count <= buffer.count else {
            if source.isEmpty { return }
            throw TensorError.invalidArgument(operation: "upload", detail: "\(source.count) elements at \(offset) into \(buffer.count)")
        }
        (ptr(buffer) + offset).update(from: base, count: source.count)
    }

    public func download(_ buffer: DeviceBuffer, offset: Int, into destination: UnsafeMutableBufferPointer<Float>) throws {
        guard let base = destination.baseAddress, offset >= 0, offset + destination.count <= buffer.count else {
            if destination.isEmpty { return }
            throw TensorError.invalidArgument(operation: "download", detail: "\(destination.count) elements at \(offset) from \(buffer.count)")
        }
        base.update(from: ptr(buffer) + offset, count: destination.count)
    }

    public func synchronize() throws {}

    // MARK: GEMM

    /// Each product is cut into blocks of rows (or of columns, when it is wider than tall) that the cores claim
    /// one at a time, each block a single-threaded `sgemm` that also fills in its own bias. Against OpenBLAS's
    /// threads, which split a product evenly, this keeps both cores busy when one is slowed by other work, and
    /// the bias fill is no longer a pass on one core. A block repacks the other operand (`k · n` or `m · k`
    /// floats), cheap beside its `rows · k · n` multiply-adds. The values are those of one `sgemm` within a few
    /// ulps (OpenBLAS's kernels for a block's edge rows may sum in another order).
    public func gemm(_ d: GEMMDescriptor, a: DeviceBuffer, b: DeviceBuffer, bias: DeviceBuffer?, c: DeviceBuffer) throws {
        splitGEMM(d, a: ptr(a), b: ptr(b), bias: bias.map { UnsafePointer(ptr($0)) }, c: ptr(c))
    }

    /// ``gemm(_:a:b:bias:c:)`` on raw pointers. With `residual` (laid out like C, and `beta` 0), each block of C
    /// starts as the residual plus the bias, and the block's product accumulates onto it.
    func splitGEMM(_ d: GEMMDescriptor, a pa: UnsafePointer<Float>, b pb: UnsafePointer<Float>, bias biasPtr: UnsafePointer<Float>?,
                   residual: UnsafePointer<Float>? = nil, c pc: UnsafeMutablePointer<Float>) {
        let byRows = d.m >= d.n, extent = byRows ? d.m : d.n
        let blocks = parallel.workers == 1 || d.flops < tuning.gemmSplitMinimumFlops ? 1
            : max(1, min(tuning.gemmBlocksPerWorker * parallel.workers, extent / tuning.gemmMinimumBlock))
        parallel.withSingleThreadedBLAS(jobs: d.batch * blocks) { _, job in
            let i = job / blocks, block = job % blocks
            // Block edges on multiples of 16, so that every block but the last runs whole register tiles.
            let lo = (extent * block / blocks) & ~15
            let hi = block == blocks - 1 ? extent : (extent * (block + 1) / blocks) & ~15
            guard lo < hi else { return }
            let (r0, rows, c0, cols) = byRows ? (lo, hi - lo, 0, d.n) : (0, d.m, lo, hi - lo)
            let aBlock = pa + d.offsetA + i * d.strideA + (d.transposeA ? r0 : r0 * d.lda)
            let bBlock = pb + d.offsetB + i * d.strideB + (d.transposeB ? c0 * d.ldb : c0)
            let offsetC = d.offsetC + i * d.strideC + r0 * d.ldc + c0
            guard let residual else {
                let blockBias = biasPtr.map { ($0 + (d.bias == .perRow ? r0 : d.bias == .perColumn ? c0 : 0), d.bias) }
                return sgemm(m: rows, n: cols, k: d.k, transposeA: d.transposeA, transposeB: d.transposeB, alpha: d.alpha,
                             a: aBlock, lda: d.lda, b: bBlock, ldb: d.ldb, beta: d.beta, c: pc + offsetC, ldc: d.ldc,
                             bias: blockBias)
            }
            // The block's residual plus bias, filled just before its product, while it is in cache.
            for r in 0..<rows {
                let dst = pc + offsetC + r * d.ldc, src = residual + offsetC + r * d.ldc
                if let biasPtr, d.bias == .perColumn {
                    for j in 0..<cols { dst[j] = src[j] + biasPtr[c0 + j] }
                } else {
                    let v = biasPtr.map { d.bias == .perRow ? $0[r0 + r] : 0 } ?? 0
                    for j in 0..<cols { dst[j] = src[j] + v }
                }
            }
            sgemm(m: rows, n: cols, k: d.k, transposeA: d.transposeA, transposeB: d.transposeB, alpha: d.alpha,
                  a: aBlock, lda: d.lda, b: bBlock, ldb: d.ldb, beta: 1, c: pc + offsetC, ldc: d.ldc)
        }
    }

    public func supports(_ capability: BackendCapability) -> Bool {
        switch capability {
        case .groupNormSiLU, .geglu, .gemmEpilogue, .weights16, .convolutionPrologue, .inPlaceProjection,
             .convolutionWithShortcut: return true
        }
    }

    public func gemm(_ d: GEMMDescriptor, a: DeviceBuffer, b: DeviceBuffer, bias: DeviceBuffer?, activation: UnaryOp?,
                     residual: DeviceBuffer?, c: DeviceBuffer) throws {
        let pc = ptr(c), pr = residual.map { ptr($0) }
        if let pr, activation == nil, d.beta == 0 {
            // Each block of C starts as residual + bias, so the product accumulates onto it: no extra pass.
            return splitGEMM(d, a: ptr(a), b: ptr(b), bias: bias.map { UnsafePointer(ptr($0)) }, residual: pr, c: pc)
        }
        try gemm(d, a: a, b: b, bias: bias, c: c)
        forEachOutputRow(d) { row in
            if let activation { dd_unary(activation.kernelCode, pc + row, pc + row, d.n) }
            if let pr { for j in row..<(row + d.n) { pc[j] += pr[j] } }
        }
    }

    /// Calls `body` with the element offset of every `n`-element output row of the batched product `d`, spread
    /// over the cores.
    private func forEachOutputRow(_ d: GEMMDescriptor, _ body: (_ offset: Int) -> Void) {
        parallel.forEach(d.batch * d.m, grain: max(1, 4096 / max(d.n, 1))) { range in
            for i in range { body(d.offsetC + (i / d.m) * d.strideC + (i % d.m) * d.ldc) }
        }
    }

    /// Runs `body`, which calls ``sgemm(m:n:k:transposeA:transposeB:alpha:a:lda:b:ldb:beta:c:ldc:bias:)``,
    /// with OpenBLAS at this backend's thread count (see ``BLASThreadGate``).
    func withBLAS<T>(_ body: () throws -> T) rethrows -> T {
        try BLASThreadGate.shared.run(threads: threads, body)
    }

    /// One row-major `cblas_sgemm`, with an optional bias added to the product. Callers run it inside
    /// ``withBLAS(_:)`` or ``Parallel/withSingleThreadedBLAS(jobs:_:)``.
    func sgemm(m: Int, n: Int, k: Int, transposeA: Bool = false, transposeB: Bool = false, alpha: Float = 1,
               a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int, beta: Float = 0,
               c: UnsafeMutablePointer<Float>, ldc: Int, bias: (UnsafePointer<Float>, GEMMDescriptor.Bias)? = nil) {
        guard m > 0, n > 0 else { return }
        var beta = beta
        var biasAfter = bias
        if let (bp, mode) = bias, beta == 0, mode != .none {
            // Pre-fill C with the bias so the product accumulates onto it.
            for r in 0..<m {
                let row = c + r * ldc
                if mode == .perColumn { row.update(from: bp, count: n) } else { row.update(repeating: bp[r], count: n) }
            }
            beta = 1
            biasAfter = nil
        }
        if k == 0 {
            if beta == 0 { for r in 0..<m { (c + r * ldc).update(repeating: 0, count: n) } }
            else if beta != 1 { for r in 0..<m { for j in 0..<n { c[r * ldc + j] *= beta } } }
        } else {
            dd_sgemm(transposeA ? 1 : 0, transposeB ? 1 : 0, Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda),
                     b, Int32(ldb), beta, c, Int32(ldc))
        }
        if let (bp, mode) = biasAfter, mode != .none {
            for r in 0..<m {
                for j in 0..<n { c[r * ldc + j] += mode == .perColumn ? bp[j] : bp[r] }
            }
        }
    }
}
