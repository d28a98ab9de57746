import ArgumentParser
import DepthDiffusion
import Foundation

/// Options shared by the model benchmarks.
struct ModelBenchmarkOptions: ParsableArguments {
    @Flag(help: "Also time every kernel (synchronising after each) and report seconds per op and shape.")
    var profile = false
    @Option(help: "Model configuration preset (sd2-depth).")
    var preset: String = "sd2-depth"
    @Option(help: "Image width in pixels (multiple of 8).")
    var width: Int = 512
    @Option(help: "Image height in pixels (multiple of 8).")
    var height: Int = 512

    /// The chosen backend, wrapped in a ``ProfilingBackend`` with `--profile`.
    func makeBackend(_ options: CommonOptions) throws -> ComputeBackend {
        let backend = try options.makeBackend()
        return profile ? ProfilingBackend(backend) : backend
    }

    func validate() throws {
        guard preset == "sd2-depth" else { throw ValidationError("unknown --preset \(preset); available: sd2-depth") }
        guard width > 0, height > 0, width % 8 == 0, height % 8 == 0 else {
            throw ValidationError("--width and --height must be positive multiples of 8")
        }
    }
}

/// Times `body` (one warm-up, then `iterations` runs) and prints the result in the harness's format.
func reportModelBenchmark(component: String, options: CommonOptions, model: ModelBenchmarkOptions, batch: Int,
                          backend: ComputeBackend, flops: FlopCount, extra: [String: Any] = [:],
                          _ body: () throws -> Void) throws {
    try body()
    try backend.synchronize()
    (backend as? ProfilingBackend)?.reset()
    var times: [Double] = []
    for _ in 0..<options.iterations {
        times.append(try measure { try body(); try backend.synchronize() })
    }
    let best = times.min()!
    var object: [String: Any] = [
        "component": component, "backend": backend.name, "device": backend.deviceDescription,
        "width": model.width, "height": model.height, "batch": batch, "seconds": times, "min_seconds": best,
        "gflop": (flops.total / 1e9).rounded(), "gflop_source": "counted from the model's convolutions, linear layers and attention",
        "gflop_conv": flops.conv / 1e9, "gflop_linear": flops.linear / 1e9, "gflop_attention": flops.attention / 1e9,
        "gflops_per_second": flops.total / best / 1e9, "peak_rss_bytes": peakRSSBytes(),
    ]
    object.merge(extra) { $1 }
    let profile = (backend as? ProfilingBackend)?.report()
    if let profile { object["profile_all_iterations"] = profile }
    if options.json { try printJSON(object) } else {
        print("\(component) on \(backend.name) — \(backend.deviceDescription)")
        print(String(format: "%dx%d batch %d: min %.3f s over %d runs (%@), %.0f GFLOP, %.1f GFLOP/s, peak RSS %.2f GB",
                     model.width, model.height, batch, best, times.count,
                     times.map { String(format: "%.3f", $0) }.joined(separator: ", "), flops.total / 1e9,
                     flops.total / best / 1e9, Double(peakRSSBytes()) / 1e9))
        for key in ["relative_l2_error", "max_abs_error_over_max_abs"] {
            if let value = extra[key] as? Double { print(String(format: "  %@ vs float32: %.3g", key, value)) }
        }
        for row in profile ?? [] {
            print(String(format: "  %-44@ %6d calls %9.3f s", row["op"] as! String, row["calls"] as! Int, row["seconds"] as! Double))
        }
    }
}

/// `depth-bench unet`: one classifier-free-guidance step (batch 2) of the full-size UNet with random weights.
struct UNetBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unet", abstract: "Times one guidance step (batch 2) of the UNet with random weights.")

    @OptionGroup var options: CommonOptions
    @OptionGroup var model: ModelBenchmarkOptions
    @Option(help: "Batch size (2 = one classifier-free-guidance step).")
    var batch: Int = 2
    @Flag(help: "With --precision fp16/bf16: also run the float32 UNet on the same input and report the relative error.")
    var compareFp32 = false

    func run() throws {
        let backend = try model.makeBackend(options)
        let config = UNet2DConditionConfig.sd2Depth
        let binder = options.binder(seed: 1, backend: backend)
        let unet = try UNet2DConditionModel(config: config, weights: binder)
        let (h, w) = (model.height / 8, model.width / 8)
        let sample = try Tensor(shape: [batch, config.inChannels, h, w], data: benchmarkData(batch * config.inChannels * h * w), on: backend)
        let context = try Tensor(shape: [batch, 77, config.crossAttentionDim], data: benchmarkData(batch * 77 * config.crossAttentionDim, seed: 2), on: backend)
        let flops = FlopCount.unet(unet, batch: batch, h: h, w: w, contextLength: 77)
        var extra: [String: Any] = [:]
        if compareFp32 {
            // The same seeded weights in float32, dropped again before the timing.
            let reference = try UNet2DConditionModel(config: config, weights: WeightBinder(source: RandomWeightSource(seed: 1), backend: backend))
            let expected = try reference(sample, timestep: 500, context: context).toArray()
            let actual = try unet(sample, timestep: 500, context: context).toArray()
            extra = relativeErrors(actual, expected)
        }
        try reportModelBenchmark(component: "unet", options: options, model: model, batch: batch, backend: backend,
                                 flops: flops, extra: extra) {
            _ = try unet(sample, timestep: 500, context: context)
        }
    }
}

/// Tiling choice for the VAE benchmarks.
struct VAEBenchmarkOptions: ParsableArguments {
    @Option(help: "VAE tiling: auto, on or off.")
    var tiling: String = "auto"

    func mode() throws -> VAETilingMode {
        switch tiling {
        case "auto": return .automatic
        case "on": return .enabled
        case "off": return .disabled
        default: throw ValidationError("--tiling must be auto, on or off")
        }
    }
}

/// `depth-bench vae-decode`: latents → image with the full-size VAE and random weights.
struct VAEDecodeBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "vae-decode", abstract: "Times the VAE decoder (batch 1).")
    @OptionGroup var options: CommonOptions
    @OptionGroup var model: ModelBenchmarkOptions
    @OptionGroup var vaeOptions: VAEBenchmarkOptions

    func run() throws {
        let backend = try model.makeBackend(options)
        let vae = try AutoencoderKL(config: .sd2Depth, weights: options.binder(seed: 2, backend: backend))
        vae.tiling = try vaeOptions.mode()
        let (h, w) = (model.height / 8, model.width / 8)
        let z = try Tensor(shape: [1, 4, h, w], data: benchmarkData(4 * h * w), on: backend)
        let tiled = vae.usesTiles(height: model.height, width: model.width)
        try reportModelBenchmark(component: "vae-decode", options: options, model: model, batch: 1, backend: backend,
                                 flops: FlopCount.vaeDecode(vae, batch: 1, h: h, w: w), extra: ["tiled": tiled]) {
            _ = try vae.decode(z)
        }
    }
}

/// `depth-bench vae-encode`: image → posterior moments with the full-size VAE and random weights.
struct VAEEncodeBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "vae-encode", abstract: "Times the VAE encoder (batch 1).")
    @OptionGroup var options: CommonOptions
    @OptionGroup var model: ModelBenchmarkOptions
    @OptionGroup var vaeOptions: VAEBenchmarkOptions

    func run() throws {
        let backend = try model.makeBackend(options)
        let vae = try AutoencoderKL(config: .sd2Depth, weights: options.binder(seed: 2, backend: backend))
        vae.tiling = try vaeOptions.mode()
        let image = try Tensor(shape: [1, 3, model.height, model.width], data: benchmarkData(3 * model.height * model.width), on: backend)
        let tiled = vae.usesTiles(height: model.height, width: model.width)
        try reportModelBenchmark(component: "vae-encode", options: options, model: model, batch: 1, backend: backend,
                                 flops: FlopCount.vaeEncode(vae, batch: 1, h: model.height, w: model.width), extra: ["tiled": tiled]) {
            _ = try vae.encodeMoments(image)
        }
    }
}

/// `relative_l2_error` (‖a − e‖ / ‖e‖) and `max_abs_error_over_max_abs` (max |a − e| / max |e|) of `actual` against `expected`.
func relativeErrors(_ actual: [Float], _ expected: [Float]) -> [String: Any] {
    var diff = 0.0, norm = 0.0, maxDiff = 0.0, maxValue = 0.0
    for (a, e) in zip(actual, expected) {
        let d = Double(a) - Double(e)
        diff += d * d; norm += Double(e) * Double(e)
        maxDiff = max(maxDiff, abs(d)); maxValue = max(maxValue, abs(Double(e)))
    }
    return ["relative_l2_error": (diff / max(norm, .leastNormalMagnitude)).squareRoot(),
            "max_abs_error_over_max_abs": maxDiff / max(maxValue, .leastNormalMagnitude)]
}
