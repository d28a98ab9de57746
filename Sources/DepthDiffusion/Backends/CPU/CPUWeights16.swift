import CDepthKernels

/// A 16-bit weight of the CPU backend (``BackendCapability/weights16``): a `[rows, cols]` matrix packed once
/// as a ``PackedWeight16`` (bf16 or fp16 panels), half the memory of float32.
final class CPUWeight16: DeviceBuffer {
    let count: Int
    let packed: PackedWeight16
    init(packed: PackedWeight16) { self.packed = packed; count = packed.outFeatures * packed.inFeatures }
}

// The CPU backend's 16-bit weights: linear layers multiply the packed weight directly (AVX512-BF16 for bf16
// weights where the processor has it, else the weight widened panel by panel for `sgemm`). Convolutions with
// bf16 weights on AVX512-BF16 multiply gathered patches by the stored weight in bf16, except where the float32
// Winograd path applies (4x fewer multiplications; Winograd F(4x4, 3x3) products in bf16 measured a 6.6e-2
// relative error on the full-size UNet, against 8e-3 for bf16 products elsewhere). Every other convolution
// widens the weight to float32 scratch per call and runs the float32 paths at float32 speed.
extension CPUBackend {
    public func makeWeight16(_ data: WeightData, rows: Int, cols: Int, precision: WeightPrecision) throws -> DeviceBuffer {
        guard precision != .fp32 else {
            throw TensorError.invalidArgument(operation: "makeWeight16", detail: "fp32 is not a 16-bit precision; use makeBuffer")
        }
        return CPUWeight16(packed: try PackedWeight16(data: data, outFeatures: rows, inFeatures: cols,
                                                       format: precision == .bf16 ? .bfloat16 : .float16))
    }

    /// The packed weight behind a buffer made by ``makeWeight16(_:rows:cols:precision:)``.
    func weight16(_ buffer: DeviceBuffer) throws -> PackedWeight16 {
        guard let weight = buffer as? CPUWeight16 else {
            throw TensorError.invalidArgument(operation: "weights16", detail: "the buffer is not a 16-bit weight of this backend")
        }
        return weight.packed
    }

    public func widen16(_ weight: DeviceBuffer, output: DeviceBuffer) throws {
        widen(try weight16(weight), into: ptr(output))
    }

    /// The float32 values of a 16-bit weight in scratch memory, for the float32 kernels.
    func widened(_ w: PackedWeight16) throws -> Scratch {
        let scratch = try Scratch(count: w.outFeatures * w.inFeatures, pool: pool)
        widen(w, into: scratch.pointer)
        return scratch
    }

    /// Writes the `[rows, cols]` float32 values of `w` to `out` (the packed panels hold it transposed).
    func widen(_ w: PackedWeight16, into out: UnsafeMutablePointer<Float>) {
        let (n, k) = (w.outFeatures, w.inFeatures)
        let panel = Int(DD_BF16_PANEL)
        // Per panel of 32 rows: unpack (k x 32, transposed), then transpose in 64-column tiles that stay in L1.
        parallel.forEach((n + panel - 1) / panel, grain: 1) { panels in
            let block = UnsafeMutablePointer<Float>.allocate(capacity: k * panel)
            defer { block.deallocate() }
            let t = block
            for p in panels {
                let r0 = p * panel, r1 = min(n, r0 + panel)
                w.unpack(columns: r0, r1, into: t, ldo: panel)
                for c0 in stride(from: 0, to: k, by: 64) {
                    for row in r0..<r1 {
                        let dst = out + row * k, src = t + (row - r0)
                        for col in c0..<min(k, c0 + 64) { dst[col] = src[col * panel] }
                    }
                }
            }
        }
    }

    public func linear16(_ d: GEMMDescriptor, x: DeviceBuffer, weight: DeviceBuffer, bias: DeviceBuffer?,
                         output: DeviceBuffer) throws {
        try gemm16(m: d.m, a: ptr(x), lda: d.k, weight: weight16(weight), c: ptr(output), ldc: d.n,
                   bias: bias.map { UnsafePointer(ptr($0)) })
    }

    public func conv2d16(_ d: Conv2DDescriptor, input: DeviceBuffer, weight: DeviceBuffer, bias: DeviceBuffer?,
                         output: DeviceBuffer) throws {
        let w = try weight16(weight)
        if w.format == .bfloat16, BF16GEMMPath.preferred == .avx512bf16, d.inChannels > 0, !usesWinograd(d) {
            return try patchConv(d, x: ptr(input), weight: w, bias: bias.map { UnsafePointer(ptr($0)) }, y: ptr(output))
        }
        let wide = try widened(w)
        try conv2d(d, input: input, weight: wide.buffer, bias: bias, output: output)
    }

    /// Convolution as `patches [pixels, inC·kH·kW] · weightᵀ` (``bf16Product(m:n:k:a:lda:weight:c:ldc:beta:bias:)``),
    /// over tiles of output pixels: the cores gather the tile's patches pixel-major, 8 pixels at a time into
    /// float32 scratch of their own that stays in cache, and convert them to bf16 for the product; the
    /// `[pixels, outC]` result (with the bias) is then written to NCHW.
    private func patchConv(_ d: Conv2DDescriptor, x: UnsafeMutablePointer<Float>, weight: PackedWeight16,
                           bias: UnsafePointer<Float>?, y: UnsafeMutablePointer<Float>) throws {
        let (cin, cout, kh, kw) = (d.inChannels, d.outChannels, d.kernelH, d.kernelW)
        let (h, wd, ho, wo) = (d.height, d.width, d.outHeight, d.outWidth)
        let k = cin * kh * kw, words = (k + 1) / 2, spatial = ho * wo, total = d.batch * spatial
        let tile = max(1, min(total, tuning.im2colBudget / 4 / max(k, 1)))
        let tileRows = (tile + 7) / 8 * 8
        let patches = try Scratch(count: tileRows * words, pool: pool)
        let pa = UnsafeMutableRawPointer(patches.pointer).bindMemory(to: UInt32.self, capacity: tileRows * words)
        let gathered = try Scratch(count: parallel.workers * 8 * k, pool: pool)
        let product = try Scratch(count: tile * cout, pool: pool)
        let po = product.pointer
        var j0 = 0
        while j0 < total {
            let n = min(tile, total - j0)
            parallel.forEachJob((n + 7) / 8) { part, job in
                let p0 = job * 8, count = min(8, n - p0), rows = gathered.pointer + part * 8 * k
                dd_gather_patches(x, cin, h, wd, kh, kw, d.strideH, d.strideW, d.padTop, d.padLeft, ho, wo,
                                  j0 + p0, count, rows)
                _ = dd_bf16_convert_rows(rows, k, count, k, pa + p0 * words, words)
            }
            (pa + n * words).update(repeating: 0, count: ((n + 7) / 8 * 8 - n) * words)
            try bf16Product(m: n, n: cout, k: k, a: pa, lda: words, weight: weight, c: po, ldc: cout, beta: 0, bias: bias)
            parallel.forEach(cout, grain: 4) { channels in
                for co in channels {
                    var jj = 0
                    while jj < n {
                        let j = j0 + jj, img = j / spatial, p = j % spatial
                        let run = min(spatial - p, n - jj)
                        let dst = y + (img * cout + co) * spatial + p, src = po + jj * cout + co
                        for i in 0..<run { dst[i] = src[i * cout] }
                        jj += run
                    }
                }
            }
            j0 += n
        }
    }
}
