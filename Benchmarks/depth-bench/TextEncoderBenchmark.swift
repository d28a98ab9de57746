import ArgumentParser
import DepthDiffusion
import Foundation

/// `depth-bench text-encoder`: the stable-diffusion-2 text encoder (OpenCLIP ViT-H cut to 23 layers) with
/// random weights, on a classifier-free-guidance batch (2 × 77 tokens).
struct TextEncoderBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "text-encoder",
        abstract: "Times CLIPTextEncoder at the stable-diffusion-2 size (batch 2, 77 tokens, random weights).")

    @OptionGroup var options: CommonOptions
    @Option(help: "Number of sequences in the batch.")
    var batch: Int = 2
    @Option(help: "Number of encoder layers (23 for stable-diffusion-2).")
    var layers: Int = 23
    @Flag(help: "Also time every kernel (synchronising after each) and report seconds per op and shape.")
    var profile = false

    func run() throws {
        let plain = try options.makeBackend()
        let backend = profile ? ProfilingBackend(plain) : plain
        var config = CLIPTextConfig.stableDiffusion2
        config.numHiddenLayers = layers
        var encoder: CLIPTextEncoder?
        let loadSeconds = try measure {
            encoder = try CLIPTextEncoder(config: config, binder: options.binder(seed: 1, backend: backend))
        }
        guard let encoder else { return }
        // Like a prompt and the empty negative prompt: bos, words, eos, then pad id 0.
        let prompt: [Int32] = [49406, 320, 8853, 539, 550, 18376, 6765, 320, 4558, 49407]
        let negative: [Int32] = [49406, 49407]
        let ids = (0..<batch).flatMap { i -> [Int32] in
            let row = i % 2 == 0 ? negative : prompt
            return row + [Int32](repeating: 0, count: 77 - row.count)
        }
        let run = {
            let out = try encoder(ids: ids, batch: batch)
            try backend.synchronize()
            _ = out
        }
        try run()
        (backend as? ProfilingBackend)?.reset()
        var times: [Double] = []
        for _ in 0..<options.iterations { times.append(try measure(run)) }
        let flops = encoder.flops(batch: batch, length: 77)
        let best = times.min()!
        let report = (backend as? ProfilingBackend)?.report()
        if options.json {
            var object: [String: Any] = [
                "component": "text-encoder", "backend": backend.name, "device": backend.deviceDescription,
                "seconds": times, "min_seconds": best, "gflop": flops / 1e9,
                "batch": batch, "tokens": 77, "layers": layers, "load_seconds": loadSeconds,
            ]
            if let report { object["profile_all_iterations"] = report }
            try printJSON(object)
        } else {
            print("backend: \(backend.name) — \(backend.deviceDescription)")
            print("text encoder: hidden 1024, \(layers) layers, 16 heads, batch \(batch) × 77 tokens, random weights "
                  + String(format: "(built in %.2f s)", loadSeconds))
            print(String(format: "min %.3f s over %d runs (%@), %.1f GFLOP → %.1f GFLOP/s", best, times.count,
                         times.map { String(format: "%.3f", $0) }.joined(separator: ", "), flops / 1e9, flops / best / 1e9))
            print(String(format: "peak RSS: %.0f MB", Double(peakRSSBytes()) / 1e6))
            for row in report ?? [] {
                print(String(format: "  %-44@ %6d calls %9.3f s", row["op"] as! String, row["calls"] as! Int, row["seconds"] as! Double))
            }
        }
    }
}
