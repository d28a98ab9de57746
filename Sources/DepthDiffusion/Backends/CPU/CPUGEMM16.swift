import CDepthKernels
import Foundation
import Synchronization

/// How ``CPUBackend`` multiplies by a ``PackedWeight16``.
package enum BF16GEMMPath: Sendable, Equatable {
    /// AVX512-BF16 `vdpbf16ps`: activations rounded to bf16, float32 accumulation (`dd_bf16_gemm`).
    /// bf16 weights only.
    case avx512bf16
    /// The weight widened back to float32 a block of columns at a time, then OpenBLAS `sgemm` with the
    /// float32 activations: float32 speed, the weight's bf16 rounding only.
    case float32

    /// For bf16 weights: `.avx512bf16` where the processor runs it, unless the environment variable
    /// `DEPTHDIFFUSION_BF16=0` asks for `.float32`; `.float32` elsewhere. Decided once per process.
    package static let preferred: BF16GEMMPath = {
        dd_bf16_supported() != 0 && ProcessInfo.processInfo.environment["DEPTHDIFFUSION_BF16"] != "0"
            ? .avx512bf16 : .float32
    }()

    /// Whether the processor and operating system run AVX512-BF16 instructions.
    package static var hardwareSupported: Bool { dd_bf16_supported() != 0 }
}

extension CPUBackend {
    /// `x [..., in] · weightᵀ + bias` (a PyTorch `nn.Linear`) with a 16-bit weight, on `path` (default:
    /// ``BF16GEMMPath/preferred`` for bf16 weights, `.float32` for float16 ones).
    ///
    /// - Throws: ``TensorError/backendMismatch(operation:)`` for tensors of another backend,
    ///   ``TensorError/shapeMismatch(operation:detail:)`` when `x`'s last dimension is not the weight's
    ///   `inFeatures` or `bias` does not have `outFeatures` elements, ``TensorError/invalidArgument(operation:detail:)``
    ///   when `.avx512bf16` is asked for on a processor without it or for a float16 weight.
    package func linear16(_ x: Tensor, weight: PackedWeight16, bias: Tensor?, path: BF16GEMMPath? = nil) throws -> Tensor {
        try requireOwned("linear16", x, bias)
        guard x.rank >= 1, x.shape[x.rank - 1] == weight.inFeatures else {
            throw TensorError.shapeMismatch(operation: "linear16",
                detail: "input \(x.shape) for a weight of \(weight.inFeatures) input features")
        }
        if let bias, bias.count != weight.outFeatures {
            throw TensorError.shapeMismatch(operation: "linear16",
                                            detail: "bias \(bias.shape) for \(weight.outFeatures) outputs")
        }
        let rows = x.shape.dropLast().reduce(1, *)
        let out = try Tensor(uninitializedShape: Array(x.shape.dropLast()) + [weight.outFeatures], on: self)
        guard out.count > 0 else { return out }
        try gemm16(m: rows, a: ptr(x.buffer), lda: weight.inFeatures, weight: weight, c: ptr(out.buffer),
                     ldc: weight.outFeatures, bias: bias.map { UnsafePointer(ptr($0.buffer)) }, path: path)
        return out
    }

    /// `C = beta·C + bias + A · Wᵀ` for the `m` x `weight.inFeatures` float32 matrix `a` (row stride `lda`)
    /// and the `m` x `weight.outFeatures` matrix `c` (row stride `ldc`); `bias` has `outFeatures` elements.
    /// With beta = 0, C is only written. Spreads rows (or, for few rows, 32-column panels) over the
    /// backend's cores.
    ///
    /// - Throws: ``TensorError/invalidArgument(operation:detail:)`` for strides shorter than a row or
    ///   `.avx512bf16` on a processor without it or for a float16 weight; ``TensorError/outOfMemory(bytes:device:)``
    ///   when the kernel's scratch memory cannot be allocated.
    func gemm16(m: Int, a: UnsafePointer<Float>, lda: Int, weight: PackedWeight16, c: UnsafeMutablePointer<Float>,
                ldc: Int, beta: Float = 0, bias: UnsafePointer<Float>?, path: BF16GEMMPath? = nil) throws {
        let n = weight.outFeatures, k = weight.inFeatures
        guard m >= 0, lda >= k, ldc >= n else {
            throw TensorError.invalidArgument(operation: "gemm16",
                detail: "m \(m), lda \(lda) for \(k) inputs, ldc \(ldc) for \(n) outputs: strides must cover a row")
        }
        guard m > 0, n > 0 else { return }
        if k == 0 {  // C = beta·C + bias; no product
            sgemm(m: m, n: n, k: 0, a: a, lda: lda, b: a, ldb: n, beta: beta, c: c, ldc: ldc,
                  bias: bias.map { ($0, .perColumn) })
            return
        }
        switch path ?? (weight.format == .bfloat16 ? .preferred : .float32) {
        case .avx512bf16:
            guard BF16GEMMPath.hardwareSupported, weight.format == .bfloat16 else {
                throw TensorError.invalidArgument(operation: "gemm16", detail: weight.format == .bfloat16
                    ? "this processor has no AVX512-BF16; use the float32 path"
                    : "float16 weights take the float32 path; pack the weight as bfloat16 for AVX512-BF16")
            }
            try bf16Kernel(m: m, n: n, k: k, a: a, lda: lda, weight: weight, c: c, ldc: ldc, beta: beta, bias: bias)
        case .float32:
            float32Fallback(m: m, n: n, k: k, a: a, lda: lda, weight: weight, c: c, ldc: ldc, beta: beta, bias: bias)
        }
    }

    /// `dd_bf16_gemm` on blocks of C that the cores claim one at a time (``forEachBF16Block(m:n:weight:_:)``):
    /// each block converts its rows of A to bf16 inside the kernel while they are in cache, and streams its
    /// columns of the weight once. Every element is summed in the same order whatever the blocks.
    private func bf16Kernel(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, weight: PackedWeight16,
                            c: UnsafeMutablePointer<Float>, ldc: Int, beta: Float, bias: UnsafePointer<Float>?) throws {
        let ok = forEachBF16Block(m: m, n: n, weight: weight) { r0, r1, j0, j1, packed in
            dd_bf16_gemm(r1 - r0, n, k, a + r0 * lda, lda, packed, j0, j1, c + r0 * ldc, ldc, beta, bias)
        }
        if !ok { throw TensorError.outOfMemory(bytes: 256 * 384 * 2, device: "cpu (bf16 GEMM scratch)") }
    }

    /// `C = beta·C + bias + A · Wᵀ` for A converted by `dd_bf16_convert_rows` (`lda` words per row, readable up to
    /// the next multiple of 8 rows): `dd_bf16_gemm_converted` on the blocks of ``forEachBF16Block(m:n:weight:_:)``.
    /// Every element is summed in the same order whatever the blocks, so any number of cores gives the same result.
    ///
    /// - Throws: ``TensorError/invalidArgument(operation:detail:)`` when the kernel refuses the product (no
    ///   AVX512-BF16, or strides shorter than a row).
    func bf16Product(m: Int, n: Int, k: Int, a: UnsafePointer<UInt32>, lda: Int, weight: PackedWeight16,
                     c: UnsafeMutablePointer<Float>, ldc: Int, beta: Float, bias: UnsafePointer<Float>?) throws {
        let ok = forEachBF16Block(m: m, n: n, weight: weight) { r0, r1, j0, j1, packed in
            dd_bf16_gemm_converted(r1 - r0, n, k, a + r0 * lda, lda, packed, j0, j1, c + r0 * ldc, ldc, beta, bias)
        }
        if !ok {
            throw TensorError.invalidArgument(operation: "gemm16",
                detail: "the AVX512-BF16 kernel refused a \(m)x\(n)x\(k) product (row stride \(lda) words)")
        }
    }

    /// Runs `body(r0, r1, j0, j1, packed)` for the blocks of an `m` x `n` bf16 product
    /// (``bf16Blocks(m:panels:workers:)``: rows `r0 ..< r1`, columns `j0 ..< j1` starting on a panel), claimed by
    /// the cores one at a time, column block by column block so that blocks running at the same time share the
    /// weight columns they stream. Returns false when any call returned non-zero (a kernel's failure status).
    private func forEachBF16Block(m: Int, n: Int, weight: PackedWeight16,
                                  _ body: (Int, Int, Int, Int, UnsafePointer<UInt16>?) -> Int32) -> Bool {
        let panel = Int(DD_BF16_PANEL), panels = (n + panel - 1) / panel
        let (rowsPerBlock, panelsPerBlock) = Self.bf16Blocks(m: m, panels: panels, workers: parallel.workers)
        let rowBlocks = (m + rowsPerBlock - 1) / rowsPerBlock
        let columnBlocks = (panels + panelsPerBlock - 1) / panelsPerBlock
        let failed = Atomic<Bool>(false)
        weight.packed.withUnsafeBufferPointer { packed in
            parallel.forEachJob(rowBlocks * columnBlocks) { _, job in
                let r0 = (job % rowBlocks) * rowsPerBlock, r1 = min(m, r0 + rowsPerBlock)
                let j0 = (job / rowBlocks) * panelsPerBlock * panel, j1 = min(n, j0 + panelsPerBlock * panel)
                if body(r0, r1, j0, j1, packed.baseAddress) != 0 { failed.store(true, ordering: .relaxed) }
            }
        }
        return !failed.load(ordering: .relaxed)
    }

    /// Rows (a multiple of 8) and 32-column panels per block of a bf16 product. Blocks of 256 rows; the columns
    /// in as few blocks of equal width (at most 24 panels, the kernel's own block) as give every core two
    /// blocks; then narrower columns, then fewer rows, while there are fewer blocks than that. Cutting rows
    /// makes each block stream its columns of the weight again; cutting columns makes it convert its rows of
    /// A again, which costs less.
    static func bf16Blocks(m: Int, panels: Int, workers: Int) -> (rows: Int, panels: Int) {
        let wanted = 2 * workers
        var rows = 256
        let rowBlocks = (m + rows - 1) / rows
        let columnBlocks = max(1, min(panels, max((panels + 23) / 24, (wanted + rowBlocks - 1) / rowBlocks)))
        var perBlock = max(1, (panels + columnBlocks - 1) / columnBlocks)
        func blocks() -> Int { ((m + rows - 1) / rows) * ((panels + perBlock - 1) / perBlock) }
        while blocks() < wanted && perBlock > 1 { perBlock -= 1 }
        while blocks() < wanted && rows > 8 && (m + rows - 1) / rows < (m + 7) / 8 { rows /= 2 }
        return (rows, perBlock)
    }

    /// The weight widened to float32 in blocks of columns (at most 8 MiB each), each block one OpenBLAS
    /// `sgemm` at the backend's thread count.
    private func float32Fallback(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, weight: PackedWeight16,
                                 c: UnsafeMutablePointer<Float>, ldc: Int, beta: Float, bias: UnsafePointer<Float>?) {
        let panel = Int(DD_BF16_PANEL)
        let blockColumns = min((n + panel - 1) / panel * panel, max(panel, (2 << 20) / max(k, 1) / panel * panel))
        var block = [Float](repeating: 0, count: max(k, 1) * blockColumns)
        block.withUnsafeMutableBufferPointer { block in
            guard let wide = block.baseAddress else { return }
            for j0 in stride(from: 0, to: n, by: blockColumns) {
                let width = min(blockColumns, n - j0)
                // Unpack in parallel over the block's panels, then one threaded sgemm.
                parallel.forEach((width + panel - 1) / panel) { range in
                    let c0 = j0 + range.lowerBound * panel, c1 = min(j0 + width, j0 + range.upperBound * panel)
                    weight.unpack(columns: c0, c1, into: wide + (c0 - j0), ldo: width)
                }
                withBLAS {
                    sgemm(m: m, n: width, k: k, a: a, lda: lda, b: wide, ldb: width, beta: beta, c: c + j0, ldc: ldc,
                          bias: bias.map { ($0 + j0, .perColumn) })
                }
            }
        }
    }
}
