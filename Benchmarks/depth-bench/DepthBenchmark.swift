import ArgumentParser
import DepthDiffusion
import Foundation

/// `depth-bench depth`: DPT-Hybrid (stable-diffusion-2-depth's depth estimator) at 384x384.
struct DepthBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "depth",
        abstract: "Times the DPT-Hybrid depth estimator on one 384x384 image (random weights unless --model is given).")

    @OptionGroup var options: CommonOptions
    @Option(help: "A depth_estimator folder (config.json + safetensors) to time instead of random weights.")
    var model: String?
    @Flag(help: "Also time every kernel (synchronising after each) and report seconds per op and shape.")
    var profile = false

    func run() throws {
        let plain = try options.makeBackend()
        // The wrapper counts the FLOPs of the model that runs; it times each kernel only with --profile.
        let counter = ProfilingBackend(plain, timing: profile)
        let backend: ComputeBackend = counter
        let dpt: DPTForDepthEstimation
        if let model {
            dpt = try DPTForDepthEstimation(folder: URL(fileURLWithPath: model), backend: backend)
        } else {
            dpt = try DPTForDepthEstimation(config: .dptHybridMidas,
                                            binder: options.binder(seed: 7, backend: backend))
        }
        let (h, w) = dpt.config.imageSize
        let x = try Tensor(shape: [1, 3, h, w], data: benchmarkData(3 * h * w), on: backend)
        var range: (Float, Float) = (0, 0)
        let once = {
            let y = try dpt(x)
            try backend.synchronize()
            let extremes = try backend.minMax(y)
            range = (extremes.min[0], extremes.max[0])
        }
        try once()  // warm-up, counting the FLOPs of one run
        let gflop = counter.flops / 1e9
        counter.reset()
        let times = try (0..<options.iterations).map { _ in try measure(once) }
        if options.json {
            try printJSON([
                "component": "dpt-hybrid", "backend": backend.name, "device": backend.deviceDescription,
                "seconds": times, "min_seconds": times.min()!, "gflop": gflop,
                "gflop_source": "counted from the GEMMs, convolutions and attention of the run", "input": [h, w],
            ])
        } else {
            print("backend: \(backend.name) — \(backend.deviceDescription)")
            print(String(format: "DPT-Hybrid %dx%d: min %.3f s (%@), %.0f GFLOP/s; output range [%.3g, %.3g]",
                         h, w, times.min()!, times.map { String(format: "%.3f", $0) }.joined(separator: ", "),
                         gflop / times.min()!, range.0, range.1))
            print(String(format: "peak RSS: %.0f MB", Double(peakRSSBytes()) / 1e6))
            for row in profile ? counter.report() : [] {
                print(String(format: "  %-44@ %6d calls %9.3f s", row["op"] as? String ?? "", row["calls"] as? Int ?? 0, row["seconds"] as? Double ?? 0))
            }
        }
    }
}
