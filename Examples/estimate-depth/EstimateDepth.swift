import ArgumentParser
import DepthDiffusion
import DepthDiffusionBatch
import DepthDiffusionHub
import DepthDiffusionImageIO
import Foundation

/// `estimate-depth`: relative depth of an image with the model folder's DPT depth estimator.
@main
struct EstimateDepth: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "estimate-depth",
        abstract: "Writes the relative depth of an image as a 16-bit PNG (and an 8-bit colour preview).",
        discussion: "SIGINT (Ctrl-C) or SIGTERM stops once the running network pass ends, without writing any output; the exit status is then 128 + signal (130 for SIGINT, 143 for SIGTERM). A second signal exits at once.")

    @Option(help: "A diffusers stable-diffusion-2-depth folder (uses depth_estimator/ and feature_extractor/), or a Hugging Face repository id (org/name), found in the Hugging Face cache or downloaded into it, or a single-file checkpoint in the original layout (uses depth_model.*).")
    var model: String
    @Option(help: "With a repository id: the branch, tag or commit.") var revision: String = "main"
    @Option(help: "The weights variant to load (and, with a repository id, download), e.g. fp16.") var variant: String?
    @Option(help: "How layer weights are held in memory: fp32 (default, exact), fp16 or bf16.") var precision: WeightPrecision = .fp32
    @Option(help: "Single-file --model: a diffusers folder with the model's configurations (default: built-in stable-diffusion-2-depth).")
    var config: String?
    @Option(help: "Single-file --model without depth_model.*: a DPT folder, a diffusers model folder or a Hugging Face cache id.")
    var depthModel: String?
    @Option(help: "Input image (PNG or JPEG).") var image: String
    @Option(help: "Output 16-bit grayscale PNG (nearer is brighter), at the input size.") var output: String
    @Option(help: "Optional 8-bit colour-mapped preview PNG.") var preview: String?
    @Option(help: "Backend: auto, cpu, opencl or opencl:PLATFORM:DEVICE.") var backend: String = "auto"

    func run() throws {
        let stop = BatchStopFlag()
        stop.stopOnSignals { signal in
            FileHandle.standardError.write(Data("received signal \(signal): stopping (again to exit at once)\n".utf8))
        }
        do {
            let compute = try BackendKind(parsing: backend).makeBackend()
            let picture = try ImageFile.readRGBImage(URL(fileURLWithPath: image))
            var isDirectory: ObjCBool = false
            let isSingleFile = FileManager.default.fileExists(atPath: model, isDirectory: &isDirectory) && !isDirectory.boolValue
            let estimator: DPTDepthEstimator
            if isSingleFile {
                estimator = try DPTDepthEstimator(checkpoint: URL(fileURLWithPath: model), backend: compute,
                                                  options: SingleFileOptions(configFolder: config.map { URL(fileURLWithPath: $0) },
                                                                             depthModel: depthModel, precision: precision))
            } else {
                let hub = HubClient()
                hub.progress = HubProgressBar().report
                hub.notice = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
                let folder = try ModelFolder.locate(model, revision: revision, variant: variant,
                                                    components: PipelineFiles.depthComponents, client: hub)
                estimator = try DPTDepthEstimator(pipelineFolder: folder, backend: compute, variant: variant, precision: precision)
            }
            let start = Date()
            if stop.isStopRequested { throw PipelineError.cancelled }
            let depth = try estimator.estimate(picture).resized
            if stop.isStopRequested { throw PipelineError.cancelled }
            try ImageFile.write(depth.grayscale16(), to: URL(fileURLWithPath: output))
            if let preview { try ImageFile.write(DepthColorMap.apply(depth), to: URL(fileURLWithPath: preview)) }
            FileHandle.standardError.write(Data(String(format: "depth in %.2f s on %@; wrote %@\n", Date().timeIntervalSince(start),
                                                       compute.name, ([output] + (preview.map { [$0] } ?? [])).joined(separator: ", ")).utf8))
        } catch {
            if let signal = stop.signal {
                FileHandle.standardError.write(Data("stopped by signal \(signal); no output written\n".utf8))
                throw ExitCode(128 + signal)
            }
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}

extension WeightPrecision: ExpressibleByArgument {}
