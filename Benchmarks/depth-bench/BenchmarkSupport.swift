import ArgumentParser
import DepthDiffusion
import Foundation
import Synchronization

/// Options every subcommand takes.
struct CommonOptions: ParsableArguments {
    @Option(help: "Backend: cpu, opencl, opencl:PLATFORM:DEVICE or auto.")
    var backend: String = "cpu"
    @Option(help: "Timed iterations (after one warm-up; `pipeline` runs no warm-up).")
    var iterations: Int = 3
    @Flag(help: "Print one JSON object instead of a table.")
    var json = false
    @Option(help: "CPU cores the cpu backend uses (OpenBLAS threads and kernel workers; default: all).")
    var threads: Int?
    @Option(help: "How layer weights are held: fp32, fp16 or bf16 (bf16 also multiplies in bf16 on AVX512-BF16).")
    var precision: WeightPrecision = .fp32
    @Option(help: "The cpu backend's cache of freed buffers, in MiB (default 512).")
    var cpuCacheMb: Int?

    func validate() throws {
        guard iterations >= 1 else { throw ValidationError("--iterations must be at least 1") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    }

    /// A binder of seeded random weights (see ``RandomWeightSource``) in the chosen `--precision`.
    func binder(seed: UInt64, backend: ComputeBackend) -> WeightBinder {
        benchmarkPrecision.withLock { $0 = precision }
        return WeightBinder(source: RandomWeightSource(seed: seed), backend: backend, precision: precision)
    }

    func makeBackend() throws -> ComputeBackend {
        cpuThreads.store(threads ?? ProcessInfo.processInfo.activeProcessorCount, ordering: .relaxed)
        if threads != nil || cpuCacheMb != nil {
            guard try BackendKind(parsing: backend) == .cpu else {
                throw ValidationError("--threads and --cpu-cache-mb apply to --backend cpu")
            }
            return try CPUBackend(threads: threads, cacheBytes: max(0, cpuCacheMb ?? 512) << 20)
        }
        return try BackendKind(parsing: backend).makeBackend()
    }
}

/// The CPU thread count of the backend the command made (reported in every JSON result).
let cpuThreads = Atomic<Int>(ProcessInfo.processInfo.activeProcessorCount)

/// The weight precision of the models the command built (reported in every JSON result).
let benchmarkPrecision = Mutex<WeightPrecision>(.fp32)

extension WeightPrecision: ExpressibleByArgument {}

/// Wall-clock seconds of `body`.
func measure(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

/// Peak resident set size of this process (`VmHWM`), in bytes.
func peakRSSBytes() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else { return 0 }
    let kb = line.split(separator: " ").compactMap { Int($0) }.first ?? 0
    return kb * 1024
}

/// Serialises a JSON object with stable key order, adding the machine facts every result carries:
/// the processor, the OpenBLAS kernel that ran (`blas_core`) and how it was chosen, OpenBLAS's idle-thread timeout
/// (`blas_thread_timeout`), and the peak RSS.
func printJSON(_ object: [String: Any]) throws {
    var object = object
    try? OpenBLASLibrary.load()
    object["cpu"] = object["cpu"] ?? processorModel()
    object["blas_core"] = OpenBLASLibrary.coreName ?? "not loaded"
    object["blas_core_choice"] = OpenBLASLibrary.coreChoice?.rawValue ?? "not loaded"
    object["blas_thread_timeout"] = OpenBLASLibrary.idleThreadTimeout.map {
        $0.exponent + ($0.chosenByDepthDiffusion ? " (DepthDiffusion default)" : " (OPENBLAS_THREAD_TIMEOUT)")
    } ?? "not loaded"
    object["peak_rss_bytes"] = peakRSSBytes()
    object["precision"] = object["precision"] ?? benchmarkPrecision.withLock { $0.rawValue }
    object["threads"] = object["threads"] ?? cpuThreads.load(ordering: .relaxed)
    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted])
    print(String(decoding: data, as: UTF8.self))
}

/// Random values in [-1, 1) from a fixed-seed LCG (benchmark inputs only).
func benchmarkData(_ count: Int, seed: UInt64 = 1) -> [Float] {
    var state = seed &* 6364136223846793005 &+ 1442695040888963407
    return (0..<count).map { _ in
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Float(Int64(bitPattern: state >> 11) % (1 << 24)) / Float(1 << 23) - 1
    }
}

/// The processor's model name from `/proc/cpuinfo`.
func processorModel() -> String {
    guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
          let line = info.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
          let name = line.split(separator: ":", maxSplits: 1).last else { return "unknown" }
    return name.trimmingCharacters(in: .whitespaces)
}
