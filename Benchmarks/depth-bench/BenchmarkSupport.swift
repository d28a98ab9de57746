import ArgumentParser
import DepthDiffusion
import Foundation

/// Options every subcommand takes.
struct CommonOptions: ParsableArguments {
    @Option(help: "Backend: cpu, opencl, opencl:PLATFORM:DEVICE or auto.")
    var backend: String = "cpu"
    @Option(help: "Timed iterations (after one warm-up).")
    var iterations: Int = 3
    @Flag(help: "Print one JSON object instead of a table.")
    var json = false

    func validate() throws {
        guard iterations >= 1 else { throw ValidationError("--iterations must be at least 1") }
    }

    func makeBackend() throws -> ComputeBackend { try BackendKind(parsing: backend).makeBackend() }
}

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

/// Serialises a JSON object with stable key order.
func printJSON(_ object: [String: Any]) throws {
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
