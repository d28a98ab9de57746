import ArgumentParser
import DepthDiffusion
import Foundation

/// `depth-bench bf16-gemm`: the CPU backend's bf16 GEMM (packed bf16 weights) against the float32 Linear
/// (OpenBLAS `sgemm`) on the UNet's matrix shapes, side by side at each thread count.
struct BF16GEMMBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bf16-gemm",
        abstract: "Times the CPU bf16 GEMM against float32 sgemm on the UNet's GEMM shapes; reports GFLOP/s and error.")

    @Option(help: "Timed iterations per shape (after one warm-up); the minimum is reported.")
    var iterations: Int = 5
    @Option(help: "Comma-separated CPU thread counts to measure.")
    var threads: String = "1,2"
    @Option(help: "Only run shapes whose name contains this text.")
    var filter: String?
    @Flag(help: "Print one JSON object instead of a table.")
    var json = false
    @Flag(help: "Time the calling thread's CPU time instead of wall-clock time (only with --threads 1: everything then runs on that thread), so that other load on the machine does not count.")
    var cpuTime = false

    /// Rows (tokens or pixels) x output features x input features.
    static let shapes: [(name: String, m: Int, n: Int, k: Int)] = [
        ("unet.proj.4096x320x320", 4096, 320, 320),
        ("unet.ff.4096x2560x320", 4096, 2560, 320),
        ("unet.ff_out.4096x320x1280", 4096, 320, 1280),
        ("unet.proj.1024x640x640", 1024, 640, 640),
        ("unet.proj.1024x1280x1280", 1024, 1280, 1280),
        ("unet.ff_out.256x1280x5120", 256, 1280, 5120),
        ("unet.conv3x3.4096x320x2880", 4096, 320, 9 * 320),
        ("unet.conv3x3.1024x640x5760", 1024, 640, 9 * 640),
        ("unet.conv3x3.256x1280x11520", 256, 1280, 9 * 1280),
        ("text.77x1024x4096", 77, 4096, 1024),
        // Batch-2 shapes of the 16x16 level and of cross-attention (few rows, large weights).
        ("unet.ff.512x10240x1280", 512, 10240, 1280),
        ("unet.ff_out.512x1280x5120", 512, 1280, 5120),
        ("unet.cross_kv.154x1280x1024", 154, 1280, 1024),
    ]

    func validate() throws {
        guard iterations >= 1 else { throw ValidationError("--iterations must be at least 1") }
        guard !threadCounts.isEmpty, threadCounts.allSatisfy({ $0 >= 1 }) else {
            throw ValidationError("--threads takes positive counts separated by commas, e.g. 1,2")
        }
        if cpuTime && threadCounts != [1] { throw ValidationError("--cpu-time needs --threads 1") }
    }

    var threadCounts: [Int] { threads.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }

    func run() throws {
        let path = BF16GEMMPath.preferred
        var rows: [Row] = []
        if !json {
            print("bf16 path: \(path == .avx512bf16 ? "AVX512-BF16" : "float32 fallback (no AVX512-BF16 or DEPTHDIFFUSION_BF16=0)")"
                  + (cpuTime ? "; timed in thread CPU time" : "; timed in wall-clock time"))
            print("shape".padding(toLength: 30, withPad: " ", startingAt: 0)
                  + " thr  bf16 GF/s  sgemm GF/s  ratio  fallback GF/s  rel. error")
        }
        for threadCount in threadCounts {
            let backend = try CPUBackend(threads: threadCount)
            for shape in Self.shapes where filter.map({ shape.name.contains($0) }) ?? true {
                let row = try measureShape(shape, backend: backend, path: path, threads: threadCount)
                rows.append(row)
                if !json {
                    print(shape.name.padding(toLength: 30, withPad: " ", startingAt: 0)
                          + String(format: " %3d  %9.1f  %10.1f  %5.2f  %13.1f  %10.2e", threadCount, row.bf16GFlops,
                                   row.sgemmGFlops, row.bf16GFlops / row.sgemmGFlops, row.fallbackGFlops,
                                   row.relativeError))
                }
            }
        }
        if json {
            try printJSON(["component": "bf16-gemm", "bf16_path": path == .avx512bf16 ? "avx512bf16" : "float32",
                           "iterations": iterations, "clock": cpuTime ? "thread CPU time" : "wall",
                           "cases": rows.map(\.json)])
        }
    }

    /// Seconds of `body`: wall-clock, or with `--cpu-time` the calling thread's CPU time.
    private func time(_ body: () throws -> Void) rethrows -> Double {
        guard cpuTime else { return try measure(body) }
        var start = timespec(), end = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &start)
        try body()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &end)
        return Double(end.tv_sec - start.tv_sec) + Double(end.tv_nsec - start.tv_nsec) / 1e9
    }

    /// One shape at one thread count: GFLOP/s from the minimum times, and the relative (Frobenius) error of
    /// the bf16 output against the float32 one.
    struct Row {
        var name: String, m: Int, n: Int, k: Int, threads: Int
        var bf16GFlops: Double, sgemmGFlops: Double, fallbackGFlops: Double, relativeError: Double

        var json: [String: Any] {
            ["name": name, "m": m, "n": n, "k": k, "threads": threads, "bf16_gflops": bf16GFlops,
             "sgemm_gflops": sgemmGFlops, "ratio": bf16GFlops / sgemmGFlops, "fallback_gflops": fallbackGFlops,
             "relative_error": relativeError]
        }
    }

    /// Times the three products of one shape in alternation (so that load on the machine hits all alike)
    /// and compares the bf16 output with the float32 one.
    private func measureShape(_ shape: (name: String, m: Int, n: Int, k: Int), backend: CPUBackend,
                              path: BF16GEMMPath, threads: Int) throws -> Row {
        let weights = benchmarkData(shape.n * shape.k, seed: 2)
        let x = try Tensor(shape: [shape.m, shape.k], data: benchmarkData(shape.m * shape.k), on: backend)
        let w = try Tensor(shape: [shape.n, shape.k], data: weights, on: backend)
        let b = try Tensor(shape: [shape.n], data: benchmarkData(shape.n, seed: 3), on: backend)
        let packed = try weights.withUnsafeBufferPointer {
            try PackedWeight16(.float32($0), outFeatures: shape.n, inFeatures: shape.k)
        }
        var times = (bf16: [Double](), sgemm: [Double](), fallback: [Double]())
        for i in 0...iterations {
            let tb = try time { _ = try backend.linear16(x, weight: packed, bias: b, path: path) }
            let ts = try time { _ = try backend.linear(x, weight: w, bias: b) }
            let tf = try time { _ = try backend.linear16(x, weight: packed, bias: b, path: .float32) }
            if i > 0 { times.bf16.append(tb); times.sgemm.append(ts); times.fallback.append(tf) }
        }
        let exact = try backend.linear(x, weight: w, bias: b).toArray()
        let approx = try backend.linear16(x, weight: packed, bias: b, path: path).toArray()
        var errorSquared = 0.0, normSquared = 0.0
        for (e, a) in zip(exact, approx) {
            errorSquared += Double(e - a) * Double(e - a)
            normSquared += Double(e) * Double(e)
        }
        let flops = 2 * Double(shape.m) * Double(shape.n) * Double(shape.k)
        func gflops(_ t: [Double]) -> Double { flops / (t.min() ?? .infinity) / 1e9 }
        return Row(name: shape.name, m: shape.m, n: shape.n, k: shape.k, threads: threads,
                   bf16GFlops: gflops(times.bf16), sgemmGFlops: gflops(times.sgemm),
                   fallbackGFlops: gflops(times.fallback),
                   relativeError: (errorSquared / max(normSquared, .leastNormalMagnitude)).squareRoot())
    }
}
