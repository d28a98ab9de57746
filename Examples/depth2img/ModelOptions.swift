import ArgumentParser
import DepthDiffusion
import DepthDiffusionHub
import Foundation

/// Where the model comes from, shared by `depth2img` and `depth2img batch`: a diffusers folder, a Hugging Face
/// repository id (cache, then download), or a single-file checkpoint with its optional companions.
struct ModelOptions: ParsableArguments {
    @Option(help: "A diffusers model folder of stable-diffusion-2-depth, or a Hugging Face repository id (org/name), found in the Hugging Face cache or downloaded into it, or a single-file checkpoint in the original layout (512-depth-ema.ckpt or .safetensors).")
    var model: String
    @Option(help: "With a repository id: the branch, tag or commit.") var revision: String = "main"
    @Option(help: "Weights variant to load (and download), e.g. fp16.") var variant: String?
    @Option(help: "Single-file --model: a diffusers folder with the model's configurations (default: built-in stable-diffusion-2-depth).")
    var config: String?
    @Option(help: "Single-file --model: a folder with the CLIP vocab.json and merges.txt (default: --config's tokenizer/, then the Hugging Face cache).")
    var tokenizer: String?
    @Option(help: "Single-file --model without depth_model.*: a DPT folder, a diffusers model folder or a Hugging Face cache id such as Intel/dpt-hybrid-midas.")
    var depthModel: String?
    @Option(help: "How layer weights are held in memory: fp32 (default, exact), fp16 or bf16 (half the memory; bf16 also multiplies in bf16 on CPUs with AVX512-BF16). See DOCS for the error of each.")
    var precision: WeightPrecision = .fp32
    @Flag(help: "Load each model when its stage runs and release it after (much less memory, slower when generating several images).")
    var lowMemory = false

    func validate() throws {
        if isSingleFile && lowMemory {
            throw ValidationError("--low-memory applies to a model folder or repository id; a single-file checkpoint is loaded whole")
        }
        if !isSingleFile && (config != nil || tokenizer != nil || depthModel != nil) {
            throw ValidationError("--config, --tokenizer and --depth-model apply to a single-file --model (.ckpt or .safetensors), not to a model folder")
        }
    }

    /// `--model` names an existing file (a checkpoint) rather than a folder or a repository id.
    var isSingleFile: Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: model, isDirectory: &isDirectory) && !isDirectory.boolValue
    }

    /// Loads the pipeline onto `backend`; hub downloads report progress on stderr and notices through `note`.
    func loadPipeline(backend: ComputeBackend, note: @escaping (String) -> Void) throws -> DepthToImagePipeline {
        if isSingleFile {
            return try DepthToImagePipeline(checkpoint: URL(fileURLWithPath: model), backend: backend,
                                            options: SingleFileOptions(configFolder: config.map { URL(fileURLWithPath: $0) },
                                                                       tokenizerFolder: tokenizer.map { URL(fileURLWithPath: $0) },
                                                                       depthModel: depthModel, precision: precision))
        }
        let hub = HubClient()
        hub.progress = HubProgressBar().report
        hub.notice = note
        let folder = try ModelFolder.locate(model, revision: revision, variant: variant, client: hub)
        return try DepthToImagePipeline(modelFolder: folder, backend: backend,
                                        options: PipelineOptions(precision: precision, lowMemory: lowMemory, variant: variant))
    }
}

extension WeightPrecision: ExpressibleByArgument {}
