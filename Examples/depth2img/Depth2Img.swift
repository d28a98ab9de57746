import ArgumentParser
import DepthDiffusion
import DepthDiffusionBatch
import DepthDiffusionImageIO
import Foundation

/// `depth2img [generate]`: one Stable Diffusion 2 depth-to-image run from the command line.
struct Depth2Img: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generates an image that keeps the depth layout of an input image (Stable Diffusion 2 depth).",
        discussion: """
            With --seed the PyTorch-compatible random source is used, so the result matches diffusers' \
            StableDiffusionDepth2ImgPipeline with torch.Generator().manual_seed(seed). SIGINT (Ctrl-C) or SIGTERM stops \
            after the current denoising step without writing any output; the exit status is then 128 + signal (130 for \
            SIGINT, 143 for SIGTERM). A second signal exits at once.
            """)

    @OptionGroup var source: ModelOptions
    @Option(help: "Input image (PNG or JPEG).") var image: String
    @Option(help: "What to draw.") var prompt: String
    @Option(help: "What to avoid.") var negativePrompt: String?
    @Option(help: "A grayscale depth map (8- or 16-bit PNG, any size) to use instead of the depth estimator.") var depth: String?
    @Option(help: "How much of the input is replaced, in (0, 1].") var strength: Double = 0.8
    @Option(help: "Denoising steps for strength 1.") var steps: Int = 50
    @Option(help: "Classifier-free guidance scale.") var guidance: Float = 7.5
    @Option(help: "Random seed (PyTorch-compatible); random when omitted.") var seed: UInt64?
    @Option(help: "Sampler: \(SchedulerKind.allCases.map(\.rawValue).joined(separator: "|")); default: the model's.")
    var scheduler: String?
    @Option(help: "DDIM eta.") var eta: Double = 0
    @Option(help: "Number of images.") var images: Int = 1
    @Option(help: "Backend: auto, cpu, opencl or opencl:PLATFORM:DEVICE.") var backend: String = "auto"
    @Option(help: "Output PNG (OUT-1.png, OUT-2.png, ... with --images > 1).") var output: String
    @Option(help: "Also write the relative depth (the estimator's output, or the --depth map) as a 16-bit PNG.") var depthOutput: String?

    func validate() throws {
        guard steps >= 1 else { throw ValidationError("--steps must be at least 1") }
        guard strength > 0 && strength <= 1 else { throw ValidationError("--strength must be in (0, 1]") }
        guard images >= 1 else { throw ValidationError("--images must be at least 1") }
        if let scheduler, SchedulerKind(rawValue: scheduler) == nil {
            throw ValidationError("unknown --scheduler \(scheduler); use one of \(SchedulerKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard output.lowercased().hasSuffix(".png") else { throw ValidationError("--output must be a .png file") }
    }

    func run() throws {
        let stop = BatchStopFlag()
        stop.stopOnSignals { signal in
            FileHandle.standardError.write(Data("\nreceived signal \(signal): stopping after the current step (again to exit at once)\n".utf8))
        }
        do {
            try generate(stop: stop)
        } catch let error as ValidationError {
            throw error
        } catch {
            if let signal = stop.signal {
                FileHandle.standardError.write(Data("\nstopped by signal \(signal); no output written\n".utf8))
                throw ExitCode(128 + signal)
            }
            // Typed library errors carry messages meant for users; print them without a stack of types.
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }

    /// Generates and writes the outputs, unless `stop` is requested first (then throws ``PipelineError/cancelled``).
    func generate(stop: BatchStopFlag) throws {
        let compute = try BackendKind(parsing: backend).makeBackend()
        note("backend: \(compute.name) — \(compute.deviceDescription)")
        var request = DepthToImageRequest(prompt: prompt, image: try ImageFile.readRGBImage(URL(fileURLWithPath: image)))
        request.negativePrompt = negativePrompt
        request.depthMap = try depth.map { try ImageFile.readDepthMap(URL(fileURLWithPath: $0)) }
        request.strength = strength
        request.steps = steps
        request.guidanceScale = guidance
        request.scheduler = scheduler.flatMap(SchedulerKind.init(rawValue:))
        request.eta = eta
        request.imagesPerPrompt = images
        let chosenSeed = seed ?? UInt64.random(in: 0...UInt64(UInt32.max))
        request.seed = chosenSeed
        try request.validate()
        let outputs = images == 1 ? [output] : (1...images).map { outputName(output, index: $0) }

        let loadStart = Date()
        let pipeline = try source.loadPipeline(backend: compute, note: note)
        note(String(format: "loaded %@ in %.1f s; seed %llu", source.model, Date().timeIntervalSince(loadStart), chosenSeed))
        if stop.isStopRequested { throw PipelineError.cancelled }
        let result = try pipeline.generate(request) { p in
            let eta = p.step < p.totalSteps ? p.elapsed / Double(p.step) * Double(p.totalSteps - p.step) : 0
            let width = 30, filled = width * p.step / p.totalSteps
            let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
            FileHandle.standardError.write(Data(String(format: "\r%@ %d/%d  %.1fs elapsed  ETA %.1fs ", bar, p.step, p.totalSteps, p.elapsed, eta).utf8))
            if p.step == p.totalSteps { FileHandle.standardError.write(Data("\n".utf8)) }
            return !stop.isStopRequested
        }
        if stop.isStopRequested { throw PipelineError.cancelled }
        for (image, path) in zip(result.images, outputs) { try ImageFile.write(image, to: URL(fileURLWithPath: path)) }
        if let depthOutput { try ImageFile.write(result.rawDepth.grayscale16(), to: URL(fileURLWithPath: depthOutput)) }
        let t = result.timings
        note(String(format: "text %.2f s, depth %.2f s, VAE encode %.2f s, denoising %.2f s, VAE decode %.2f s, total %.2f s",
                    t.textEncoding, t.depth, t.vaeEncode, t.denoising, t.vaeDecode, t.total))
        note("wrote " + (outputs + (depthOutput.map { [$0] } ?? [])).joined(separator: ", "))
    }

    func outputName(_ path: String, index: Int) -> String {
        let url = URL(fileURLWithPath: path)
        let base = url.deletingPathExtension().lastPathComponent
        return url.deletingLastPathComponent().appendingPathComponent("\(base)-\(index).png").path
    }

    func note(_ text: String) { FileHandle.standardError.write(Data((text + "\n").utf8)) }
}
