import ArgumentParser
import DepthDiffusion
import Foundation

/// `depth-bench pipeline`: the whole `depth2img` (prompt and empty negative prompt, DPT-Hybrid depth, VAE
/// encode, the denoising loop with guidance, VAE decode) on the full-size stable-diffusion-2-depth
/// configuration with seeded random weights made here, so no download is needed.
struct PipelineBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipeline",
        abstract: "Times the whole depth-to-image pipeline on the full-size SD2-depth configuration with random weights.")

    @OptionGroup var options: CommonOptions
    @Option(help: "Image width in pixels (multiple of 8).")
    var width: Int = 512
    @Option(help: "Image height in pixels (multiple of 8).")
    var height: Int = 512
    @Option(help: "Denoising steps before strength (PNDM).")
    var steps: Int = 10
    @Option(help: "Strength (the share of the steps that run).")
    var strength: Double = 0.8
    @Option(help: "A tokenizer folder (vocab.json + merges.txt); the ids only steer the text encoder's work.")
    var tokenizer: String = "Examples/demo/model/tokenizer"
    @Flag(help: "Build each model when its stage runs and release it after (the pipeline's low-memory mode).")
    var lowMemory = false

    func validate() throws {
        guard width > 0, height > 0, width % 8 == 0, height % 8 == 0 else {
            throw ValidationError("--width and --height must be positive multiples of 8")
        }
        guard steps >= 1 else { throw ValidationError("--steps must be at least 1") }
        guard strength > 0, strength <= 1 else { throw ValidationError("--strength must be in (0, 1]") }
    }

    func run() throws {
        let backend = try options.makeBackend()
        let precision = options.precision
        benchmarkPrecision.withLock { $0 = precision }
        let tokenizer = try CLIPTokenizer(folder: URL(fileURLWithPath: self.tokenizer))
        @Sendable func random(_ seed: UInt64) -> WeightBinder {
            WeightBinder(source: RandomWeightSource(seed: seed), backend: backend, precision: precision)
        }
        var pipeline: DepthToImagePipeline?
        let loadSeconds = try measure {
            pipeline = try DepthToImagePipeline(
                backend: backend, lowMemory: lowMemory, unetConfig: .sd2Depth, vaeConfig: .sd2Depth,
                prompts: { PromptEncoder(tokenizer: tokenizer, textEncoder: try CLIPTextEncoder(config: .stableDiffusion2, binder: random(1))) },
                unet: { try UNet2DConditionModel(config: .sd2Depth, weights: random(2)) },
                vae: { try AutoencoderKL(config: .sd2Depth, weights: random(3)) },
                depthEstimator: {
                    DPTDepthEstimator(model: try DPTForDepthEstimation(config: .dptHybridMidas, binder: random(4)),
                                      processor: DPTImageProcessor())
                })
        }
        guard let pipeline else { return }
        // A smooth seeded picture: gradients plus noise, so the depth estimator sees structure.
        let noise = benchmarkData(width * height * 3, seed: 5)
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                for c in 0..<3 {
                    let base = c == 0 ? Float(x) / Float(width) : c == 1 ? Float(y) / Float(height) : 0.5
                    let v = 255 * (0.8 * base + 0.2 * (noise[(y * width + x) * 3 + c] + 1) / 2)
                    pixels[(y * width + x) * 3 + c] = UInt8(max(0, min(255, v.rounded())))
                }
            }
        }
        var request = DepthToImageRequest(prompt: "a cozy wooden cabin in a snowy forest, warm light",
                                                image: try RGBImage(width: width, height: height, pixels: pixels))
        request.steps = steps
        request.strength = strength
        request.seed = 42
        var runs: [StageTimings] = []
        var totals: [Double] = []
        var denoisingSteps = 0
        for _ in 0..<options.iterations {
            var result: DepthToImageResult?
            totals.append(try measure { result = try pipeline.generate(request) { p in denoisingSteps = p.totalSteps; return true } })
            if let result { runs.append(result.timings) }
        }
        let best = totals.indices.min { totals[$0] < totals[$1] } ?? 0
        let stages: [String: Double] = [
            "text_encoding": runs[best].textEncoding, "depth": runs[best].depth, "vae_encode": runs[best].vaeEncode,
            "denoising": runs[best].denoising, "vae_decode": runs[best].vaeDecode,
        ]
        if options.json {
            try printJSON([
                "component": "pipeline", "backend": backend.name, "device": backend.deviceDescription,
                "width": width, "height": height, "steps": steps, "strength": strength, "denoising_steps": denoisingSteps,
                "precision": options.precision.rawValue, "low_memory": lowMemory, "load_seconds": loadSeconds, "seconds": totals, "total_seconds": totals[best],
                "min_seconds": totals[best], "stage_seconds": stages,
            ])
        } else {
            print("pipeline on \(backend.name) — \(backend.deviceDescription)")
            print(String(format: "%dx%d, %d steps at strength %.2f (%d denoising steps), %@ weights%@; models built in %.1f s",
                         width, height, steps, strength, denoisingSteps, precision.rawValue,
                         lowMemory ? ", low-memory mode" : "", loadSeconds))
            print(String(format: "total: min %.2f s over %d runs (%@)", totals[best], totals.count,
                         totals.map { String(format: "%.2f", $0) }.joined(separator: ", ")))
            for key in ["text_encoding", "depth", "vae_encode", "denoising", "vae_decode"] {
                print("  " + key.padding(toLength: 14, withPad: " ", startingAt: 0) + String(format: "%8.2f s", stages[key] ?? 0))
            }
            print(String(format: "peak RSS: %.2f GB", Double(peakRSSBytes()) / 1e9))
        }
    }
}
