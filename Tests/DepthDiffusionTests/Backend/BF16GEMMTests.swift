import CDepthKernels
import XCTest
@testable import DepthDiffusion

/// The CPU backend's 16-bit-weight GEMM: weight packing and rounding (bf16 and float16), the AVX512-BF16
/// kernel (where the processor has it) and the float32 path (everywhere), against double-precision references.
final class BF16GEMMTests: XCTestCase {
    /// The paths this machine can run: always the float32 fallback, AVX512-BF16 where present.
    private var paths: [BF16GEMMPath] { BF16GEMMPath.hardwareSupported ? [.avx512bf16, .float32] : [.float32] }

    private func bf16(_ values: [Float]) -> [Float] {
        var rounded = values
        rounded.withUnsafeMutableBufferPointer { dd_bf16_round_floats($0.baseAddress, $0.count) }
        return rounded
    }

    private func pack(_ w: [Float], n: Int, k: Int) throws -> PackedWeight16 {
        try w.withUnsafeBufferPointer { try PackedWeight16(.float32($0), outFeatures: n, inFeatures: k) }
    }

    /// Unpacks all columns of a packed weight as K x N float32.
    private func unpack(_ weight: PackedWeight16) -> [Float] {
        var out = [Float](repeating: .nan, count: weight.inFeatures * weight.outFeatures)
        weight.packed.withUnsafeBufferPointer { p in
            out.withUnsafeMutableBufferPointer {
                dd_bf16_unpack_b(p.baseAddress, weight.outFeatures, weight.inFeatures, 0, weight.outFeatures,
                                 $0.baseAddress, weight.outFeatures)
            }
        }
        return out
    }

    func testDetectionMatchesTheProcessorFlags() throws {
        let flags = Set((try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("flags") }?
            .split(separator: " ").map(String.init) ?? [])
        try XCTSkipIf(flags.isEmpty, "no /proc/cpuinfo flags")
        let expected = ["avx512f", "avx512bw", "avx512vl", "avx512_bf16"].allSatisfy(flags.contains)
        XCTAssertEqual(BF16GEMMPath.hardwareSupported, expected)
        let forcedOff = ProcessInfo.processInfo.environment["DEPTHDIFFUSION_BF16"] == "0"
        XCTAssertEqual(BF16GEMMPath.preferred, expected && !forcedOff ? .avx512bf16 : .float32)
    }

    func testRoundsToNearestEvenAndKeepsSpecialValues() {
        let ulp: Float = 1.0 / 128  // bf16 spacing in [1, 2)
        let input: [Float] = [1 + ulp / 2, 1 + 1.5 * ulp, 1 + ulp / 2 + ulp / 64, -(1 + ulp / 2 - ulp / 64),
                              .infinity, -.infinity, 0, -0.0, 3.0e38, 65504]
        let expected: [Float] = [1, 1 + 2 * ulp, 1 + ulp, -1, .infinity, -.infinity, 0, -0.0, 3.00405527e38, 65536]
        XCTAssertEqual(bf16(input), expected)
        XCTAssertTrue(bf16([.nan])[0].isNaN)
        XCTAssertEqual(bf16(input).map(\.sign), expected.map(\.sign))
    }

    func testPackingLayoutSizeAndSources() throws {
        for (n, k) in [(1, 1), (7, 3), (32, 2), (33, 65), (70, 129)] {
            var random = TestRandom(seed: UInt64(n * 1000 + k))
            let w = random.floats(n * k)
            let packed = try pack(w, n: n, k: k)
            XCTAssertEqual(packed.packed.count, (n + 31) / 32 * 32 * ((k + 1) / 2) * 2)
            XCTAssertEqual(packed.byteCount, packed.packed.count * 2)
            // Element (k, j) sits at ((panel · ceil(K/2) + k/2) · 32 + j mod 32) · 2 + k mod 2.
            let rounded = bf16(w)
            for j in 0..<n {
                for kk in 0..<k {
                    let index = (((j / 32) * ((k + 1) / 2) + kk / 2) * 32 + j % 32) * 2 + kk % 2
                    XCTAssertEqual(Float(bitPattern: UInt32(packed.packed[index]) << 16), rounded[j * k + kk])
                }
            }
            // Padding is zero.
            let used = Set((0..<n).flatMap { j in (0..<k).map { kk in (((j / 32) * ((k + 1) / 2) + kk / 2) * 32 + j % 32) * 2 + kk % 2 } })
            for index in packed.packed.indices where !used.contains(index) { XCTAssertEqual(packed.packed[index], 0) }
            // Unpacking gives the rounded weight, transposed to K x N.
            let wide = unpack(packed)
            XCTAssertEqual(wide, (0..<k).flatMap { kk in (0..<n).map { j in rounded[j * k + kk] } })
        }
        // float16 sources widen exactly (then round); bf16 sources are copied.
        let halves: [UInt16] = [0x3C00, 0x0001, 0x7C00, 0xC000, 0x3C01, 0x8000]
        let fromHalf = try halves.withUnsafeBufferPointer { try PackedWeight16(.float16($0), outFeatures: 1, inFeatures: 6) }
        XCTAssertEqual(unpack(fromHalf), [1, 0x1p-24, .infinity, -2, 1, -0.0])
        let bits: [UInt16] = [0x3F80, 0x4049, 0xFF80, 0x0001]
        let fromBF16 = try bits.withUnsafeBufferPointer { try PackedWeight16(.bfloat16($0), outFeatures: 2, inFeatures: 2) }
        XCTAssertEqual(unpack(fromBF16).map(\.bitPattern), [0x3F80_0000, 0xFF80_0000, 0x4049_0000, 0x0001_0000])
    }

    func testFloat16WeightsRoundToNearestEvenAndTakeTheFloat32Path() throws {
        var values: [Float] = [1 + 0x1p-11, 1 + 3 * 0x1p-11, 65519, 65520, 0x1p-25, 1.5 * 0x1p-24, -0.0, -.infinity, 0x1p-14]
        values.withUnsafeMutableBufferPointer { dd_f16_round_floats($0.baseAddress, $0.count) }
        XCTAssertEqual(values, [1, 1 + 0x1p-9, 65504, .infinity, 0, 0x1p-23, -0.0, -.infinity, 0x1p-14])
        XCTAssertEqual(values.map(\.sign), [.plus, .plus, .plus, .plus, .plus, .plus, .minus, .minus, .plus])

        let (m, n, k) = (5, 40, 37)
        var random = TestRandom(seed: 77)
        let a = random.floats(m * k), w = random.floats(n * k, scale: 3), bias = random.floats(n)
        let weight = try w.withUnsafeBufferPointer {
            try PackedWeight16(.float32($0), outFeatures: n, inFeatures: k, format: .float16)
        }
        var rounded = w
        rounded.withUnsafeMutableBufferPointer { dd_f16_round_floats($0.baseAddress, $0.count) }
        var wide = [Float](repeating: .nan, count: n * k)
        wide.withUnsafeMutableBufferPointer { weight.unpack(columns: 0, n, into: $0.baseAddress!, ldo: n) }
        XCTAssertEqual(wide, (0..<k).flatMap { kk in (0..<n).map { j in rounded[j * k + kk] } })
        // A float16 source is copied bit for bit.
        let halves: [UInt16] = [0x3C00, 0x0001, 0x7BFF, 0xC000]
        let copied = try halves.withUnsafeBufferPointer {
            try PackedWeight16(.float16($0), outFeatures: 2, inFeatures: 2, format: .float16)
        }
        XCTAssertEqual([copied.packed[0], copied.packed[1], copied.packed[2], copied.packed[3]], [0x3C00, 0x0001, 0x7BFF, 0xC000])

        let backend = try CPUBackend(threads: 2)
        let x = try Tensor(shape: [m, k], data: a, on: backend)
        let y = try backend.linear16(x, weight: weight, bias: Tensor(shape: [n], data: bias, on: backend)).toArray()
        for i in 0..<m {
            for j in 0..<n {
                var sum = Double(bias[j]), magnitude = abs(Double(bias[j]))
                for kk in 0..<k {
                    let p = Double(a[i * k + kk]) * Double(rounded[j * k + kk])
                    sum += p
                    magnitude += abs(p)
                }
                XCTAssertLessThan(abs(Double(y[i * n + j]) - sum) / magnitude, 2e-6)
            }
        }
        XCTAssertThrowsError(try backend.linear16(x, weight: weight, bias: nil, path: .avx512bf16))
    }

    func testRejectsBadSizes() throws {
        let w = [Float](repeating: 1, count: 6)
        XCTAssertThrowsError(try w.withUnsafeBufferPointer { try PackedWeight16(.float32($0), outFeatures: 2, inFeatures: 4) })
        XCTAssertThrowsError(try w.withUnsafeBufferPointer { try PackedWeight16(.float32($0), outFeatures: -2, inFeatures: -3) })
        let backend = try CPUBackend(threads: 1)
        let weight = try pack(w, n: 2, k: 3)
        let x = try Tensor(shape: [4, 5], repeating: 1, on: backend)
        XCTAssertThrowsError(try backend.linear16(x, weight: weight, bias: nil, path: .float32))
        let x3 = try Tensor(shape: [4, 3], repeating: 1, on: backend)
        let badBias = try Tensor(shape: [3], repeating: 1, on: backend)
        XCTAssertThrowsError(try backend.linear16(x3, weight: weight, bias: badBias, path: .float32))
        if !BF16GEMMPath.hardwareSupported {
            XCTAssertThrowsError(try backend.linear16(x3, weight: weight, bias: nil, path: .avx512bf16))
        }
    }

    /// Every element against a double reference of the same (rounded) operands, relative to Σ|a·w| + |bias|
    /// + |beta·c|: what is left is the float32 accumulation error. Sizes cover panel and block edges;
    /// beta 0 starts from NaN to show that C is then not read.
    func testOddSizesBetaAndBiasAgainstDoubleReference() throws {
        let backend = try CPUBackend(threads: 2)
        var worst: [BF16GEMMPath: Double] = [:]
        var random = TestRandom(seed: 12)
        for m in [1, 7, 33, 129] {
            for n in [1, 7, 33, 129] {
                for k in [1, 2, 7, 33, 129, 300, 769] {
                    let a = random.floats(m * k), w = random.floats(n * k), bias = random.floats(n)
                    let start = random.floats(m * n)
                    let weight = try pack(w, n: n, k: k)
                    let wr = bf16(w)
                    for path in paths {
                        let ar = path == .avx512bf16 ? bf16(a) : a
                        for beta: Float in [0, 0.5] {
                            var c = beta == 0 ? [Float](repeating: .nan, count: m * n) : start
                            try a.withUnsafeBufferPointer { ap in
                                try bias.withUnsafeBufferPointer { bp in
                                    try c.withUnsafeMutableBufferPointer { cp in
                                        try backend.gemm16(m: m, a: ap.baseAddress!, lda: k, weight: weight,
                                                           c: cp.baseAddress!, ldc: n, beta: beta,
                                                             bias: bp.baseAddress, path: path)
                                    }
                                }
                            }
                            for i in 0..<m {
                                for j in 0..<n {
                                    var sum = Double(bias[j]) + (beta == 0 ? 0 : Double(beta) * Double(start[i * n + j]))
                                    var magnitude = abs(Double(bias[j])) + abs(Double(beta) * Double(start[i * n + j]))
                                    for kk in 0..<k {
                                        let p = Double(ar[i * k + kk]) * Double(wr[j * k + kk])
                                        sum += p
                                        magnitude += abs(p)
                                    }
                                    let error = abs(Double(c[i * n + j]) - sum) / magnitude
                                    XCTAssertFalse(c[i * n + j].isNaN, "\(path) \(m)x\(n)x\(k) beta \(beta)")
                                    worst[path] = max(worst[path] ?? 0, error.isNaN ? .infinity : error)
                                }
                            }
                        }
                    }
                }
            }
        }
        // Measured on AMD EPYC (Zen 4): 1.2e-7 (AVX512-BF16), 2.4e-7 (float32 path).
        for (path, error) in worst {
            XCTAssertLessThan(error, 2e-6, "\(path): worst accumulation error \(error)")
        }
        if ProcessInfo.processInfo.environment["CONFORMANCE_REPORT"] != nil { print("[bf16] accumulation error \(worst)") }
    }

    /// The error that matters to a model: the bf16 product of unrounded float32 data against the exact
    /// product, relative (Frobenius) at K = 1280.
    func testRelativeErrorAtK1280() throws {
        let backend = try CPUBackend(threads: 2)
        let (m, n, k) = (64, 96, 1280)
        var random = TestRandom(seed: 5)
        let a = random.floats(m * k), w = random.floats(n * k)
        let x = try Tensor(shape: [m, k], data: a, on: backend)
        let weight = try pack(w, n: n, k: k)
        var exact = [Double](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var sum = 0.0
                for kk in 0..<k { sum += Double(a[i * k + kk]) * Double(w[j * k + kk]) }
                exact[i * n + j] = sum
            }
        }
        let norm = exact.reduce(0) { $0 + $1 * $1 }.squareRoot()
        for path in paths {
            let y = try backend.linear16(x, weight: weight, bias: nil, path: path).toArray()
            let error = zip(y, exact).reduce(0) { $0 + (Double($1.0) - $1.1) * (Double($1.0) - $1.1) }.squareRoot() / norm
            // Measured: 2.1e-3 (AVX512-BF16: both operands rounded), 1.5e-3 (float32 path: weight rounded).
            XCTAssertLessThan(error, path == .avx512bf16 ? 3e-3 : 2.2e-3, "\(path)")
            XCTAssertGreaterThan(error, 1e-4, "\(path): bf16 rounding should show")
            if ProcessInfo.processInfo.environment["CONFORMANCE_REPORT"] != nil { print("[bf16] \(path) relative error \(error)") }
        }
        let half = try w.withUnsafeBufferPointer {
            try PackedWeight16(.float32($0), outFeatures: n, inFeatures: k, format: .float16)
        }
        let y = try backend.linear16(x, weight: half, bias: nil).toArray()
        let error = zip(y, exact).reduce(0) { $0 + (Double($1.0) - $1.1) * (Double($1.0) - $1.1) }.squareRoot() / norm
        // Measured: 1.8e-4 (float16 weight, float32 product).
        XCTAssertLessThan(error, 3e-4, "float16 weight")
        XCTAssertGreaterThan(error, 1e-5, "float16 rounding should show")
        if ProcessInfo.processInfo.environment["CONFORMANCE_REPORT"] != nil { print("[bf16] float16 weight relative error \(error)") }
    }

    /// Splitting rows (many rows) or column panels (few rows) over threads gives the single-threaded result
    /// bit for bit; a batched input `[2, 5, K]` is 10 rows.
    func testThreadSplitsAndBatchedInputsMatchOneThread() throws {
        let one = try CPUBackend(threads: 1), two = try CPUBackend(threads: 2)
        var random = TestRandom(seed: 9)
        for (shape, n) in [([300, 70], 200), ([2, 5, 70], 200), ([3, 130], 513)] {
            let k = shape.last!, rows = shape.dropLast().reduce(1, *)
            let a = random.floats(rows * k), w = random.floats(n * k), bias = random.floats(n)
            let weight = try pack(w, n: n, k: k)
            for path in paths {
                let y1 = try one.linear16(Tensor(shape: shape, data: a, on: one), weight: weight,
                                            bias: Tensor(shape: [n], data: bias, on: one), path: path)
                let y2 = try two.linear16(Tensor(shape: shape, data: a, on: two), weight: weight,
                                            bias: Tensor(shape: [n], data: bias, on: two), path: path)
                XCTAssertEqual(y1.shape, Array(shape.dropLast()) + [n])
                if path == .float32 {
                    // sgemm on panels: OpenBLAS may sum in another order when the split changes the panel
                    // shapes (its Haswell kernel does). Measured with OPENBLAS_CORETYPE=Haswell: at most 3.8e-6 on
                    // values up to 12.5 (0 with Cooperlake).
                    assertClose(try y2.toArray(), try y1.toArray(), atol: 2e-5, rtol: 0, "\(path) \(shape) x \(n)")
                } else {
                    XCTAssertEqual(try y1.toArray(), try y2.toArray(), "\(path) \(shape) x \(n)")
                }
            }
        }
    }

    func testZeroInnerDimensionGivesBias() throws {
        let backend = try CPUBackend(threads: 2)
        let weight = try pack([], n: 3, k: 0)
        let x = try Tensor(shape: [2, 0], data: [], on: backend)
        let bias = try Tensor(shape: [3], data: [1, 2, 3], on: backend)
        for path in paths {
            XCTAssertEqual(try backend.linear16(x, weight: weight, bias: bias, path: path).toArray(), [1, 2, 3, 1, 2, 3])
        }
    }
    /// A converted once (`dd_bf16_convert_rows`: bf16 pairs, low half first, zero past K) and multiplied in
    /// blocks of C that any number of cores claim (`bf16Product`) gives `dd_bf16_gemm`'s result bit for bit.
    func testConvertedProductMatchesTheKernelBitForBit() throws {
        try XCTSkipUnless(BF16GEMMPath.hardwareSupported, "no AVX512-BF16 on this processor")
        var random = TestRandom(seed: 14)
        // Row and column blocks: one of each, uneven last ones (300 rows, 1600 columns: 2 x 3 blocks of
        // 256 x 768), few rows cut into 8-row blocks, odd K across the kernel's K blocks.
        for (m, n, k) in [(1, 1, 1), (7, 33, 3), (33, 70, 129), (300, 1600, 70), (20, 800, 769), (9, 40, 2)] {
            let a = random.floats(m * k), w = random.floats(n * k), bias = random.floats(n)
            let weight = try pack(w, n: n, k: k)
            var expected = [Float](repeating: .nan, count: m * n)
            let status = a.withUnsafeBufferPointer { ap in
                weight.packed.withUnsafeBufferPointer { bp in
                    bias.withUnsafeBufferPointer { biasp in
                        expected.withUnsafeMutableBufferPointer {
                            dd_bf16_gemm(m, n, k, ap.baseAddress, k, bp.baseAddress, 0, n, $0.baseAddress, n, 0, biasp.baseAddress)
                        }
                    }
                }
            }
            XCTAssertEqual(status, 0)
            let words = (k + 1) / 2, rows = (m + 7) / 8 * 8
            var converted = [UInt32](repeating: 0xdead_beef, count: rows * words)
            a.withUnsafeBufferPointer { ap in
                converted.withUnsafeMutableBufferPointer {
                    XCTAssertEqual(dd_bf16_convert_rows(ap.baseAddress, k, m, k, $0.baseAddress, words), 0)
                }
            }
            let roundedA = bf16(a)
            for i in 0..<m {
                for p in 0..<words {
                    let word = converted[i * words + p]
                    XCTAssertEqual(Float(bitPattern: (word & 0xffff) << 16), roundedA[i * k + 2 * p])
                    XCTAssertEqual(Float(bitPattern: word & 0xffff_0000), 2 * p + 1 < k ? roundedA[i * k + 2 * p + 1] : 0)
                }
            }
            for threads in [1, 2, 3] {
                let backend = try CPUBackend(threads: threads)
                var c = [Float](repeating: .nan, count: m * n)
                try converted.withUnsafeBufferPointer { ap in
                    try bias.withUnsafeBufferPointer { biasp in
                        try c.withUnsafeMutableBufferPointer {
                            try backend.bf16Product(m: m, n: n, k: k, a: ap.baseAddress!, lda: words, weight: weight,
                                                    c: $0.baseAddress!, ldc: n, beta: 0, bias: biasp.baseAddress)
                        }
                    }
                }
                XCTAssertEqual(c, expected, "\(m)x\(n)x\(k) on \(threads) threads")
            }
        }
    }

    /// Blocks of a bf16 product: whole 8-row groups, at most 256 rows and 24 panels, at least two per core
    /// whenever the product can be cut that fine.
    func testBF16BlocksCoverTheProductFinelyEnough() {
        for m in [1, 7, 8, 77, 128, 364, 512, 4096] {
            for panels in [1, 2, 10, 40, 128] {
                for workers in [1, 2, 3, 8] {
                    let (rows, perBlock) = CPUBackend.bf16Blocks(m: m, panels: panels, workers: workers)
                    XCTAssertTrue(rows % 8 == 0 && rows >= 8 && rows <= 256, "rows \(rows)")
                    XCTAssertTrue(perBlock >= 1 && perBlock <= 24, "panels \(perBlock)")
                    let blocks = ((m + rows - 1) / rows) * ((panels + perBlock - 1) / perBlock)
                    let finest = ((m + 7) / 8) * panels
                    XCTAssertGreaterThanOrEqual(blocks, min(2 * workers, finest), "\(m) rows, \(panels) panels, \(workers) workers")
                }
            }
        }
    }

    /// `dd_gather_patches` against the definition, on kernels, strides and paddings that put taps outside the
    /// input on every side, and on a window of pixels that starts inside an image and ends in the next one.
    func testGatherPatchesAgainstTheDefinition() {
        var random = TestRandom(seed: 15)
        let cases: [(batch: Int, cin: Int, h: Int, w: Int, kh: Int, kw: Int, sh: Int, sw: Int, pt: Int, pb: Int, pl: Int, pr: Int)] = [
            (2, 3, 5, 6, 3, 3, 1, 1, 1, 1, 1, 1), (1, 2, 9, 9, 3, 3, 2, 2, 0, 1, 0, 1),
            (2, 3, 4, 3, 5, 3, 1, 2, 2, 2, 2, 1), (1, 4, 3, 3, 1, 1, 1, 1, 0, 0, 0, 0), (2, 1, 2, 7, 2, 4, 3, 1, 1, 2, 3, 0),
        ]
        for c in cases {
            let ho = (c.h + c.pt + c.pb - c.kh) / c.sh + 1, wo = (c.w + c.pl + c.pr - c.kw) / c.sw + 1
            let k = c.cin * c.kh * c.kw, total = c.batch * ho * wo
            let x = random.floats(c.batch * c.cin * c.h * c.w)
            for (j0, count) in [(0, total), (1, total - 2), (ho * wo - 1, min(2, total - ho * wo + 1))] where count > 0 {
                var out = [Float](repeating: .nan, count: count * k)
                x.withUnsafeBufferPointer { xp in
                    out.withUnsafeMutableBufferPointer {
                        dd_gather_patches(xp.baseAddress, c.cin, c.h, c.w, c.kh, c.kw, c.sh, c.sw, c.pt, c.pl, ho, wo, j0, count,
                                          $0.baseAddress)
                    }
                }
                var expected = [Float]()
                for j in j0..<(j0 + count) {
                    let image = j / (ho * wo), oy = (j % (ho * wo)) / wo, ox = j % wo
                    for ci in 0..<c.cin { for ky in 0..<c.kh { for kx in 0..<c.kw {
                        let iy = oy * c.sh + ky - c.pt, ix = ox * c.sw + kx - c.pl
                        let inside = iy >= 0 && iy < c.h && ix >= 0 && ix < c.w
                        expected.append(inside ? x[((image * c.cin + ci) * c.h + iy) * c.w + ix] : 0)
                    } } }
                }
                XCTAssertEqual(out, expected, "\(c) pixels \(j0) + \(count)")
            }
        }
    }
}
