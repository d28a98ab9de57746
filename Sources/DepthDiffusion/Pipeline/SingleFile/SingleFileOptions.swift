import Foundation

/// Where the parts of a single-file checkpoint that the file does not hold come from.
///
/// A checkpoint holds weights only. By default the configurations are the built-in
/// stabilityai/stable-diffusion-2-depth ones (``SingleFileConfigurations/stableDiffusion2Depth``); the CLIP
/// vocabulary is looked up in ``tokenizerFolder``, then `configFolder/tokenizer`, then the Hugging Face cache
/// (`stabilityai/stable-diffusion-2-depth`, `-2` or `-2-1`).
public struct SingleFileOptions: Sendable {
    /// A diffusers model folder whose `*/config.json`, `scheduler/scheduler_config.json`,
    /// `feature_extractor/preprocessor_config.json` and `tokenizer/` describe the checkpoint (diffusers'
    /// `from_single_file(config=...)`), for fine-tunes with other shapes; `nil` uses the built-in presets.
    public var configFolder: URL?
    /// A folder with `vocab.json` and `merges.txt` (e.g. a diffusers `tokenizer/` folder).
    public var tokenizerFolder: URL?
    /// The depth model when the file has none: a transformers DPT folder (`config.json` + safetensors, e.g.
    /// Intel/dpt-hybrid-midas), a diffusers stable-diffusion-2-depth folder, or a model id (`org/name`) in
    /// the Hugging Face cache.
    public var depthModel: String?
    /// The Hugging Face hub cache to search; `nil` uses `HF_HUB_CACHE`, `HF_HOME/hub` or `~/.cache/huggingface/hub`.
    public var huggingFaceCache: URL?
    /// How the weights of linear and convolution layers are held (see ``WeightPrecision``).
    public var precision: WeightPrecision

    public init(configFolder: URL? = nil, tokenizerFolder: URL? = nil, depthModel: String? = nil, huggingFaceCache: URL? = nil,
                precision: WeightPrecision = .fp32) {
        self.configFolder = configFolder
        self.tokenizerFolder = tokenizerFolder
        self.depthModel = depthModel
        self.huggingFaceCache = huggingFaceCache
        self.precision = precision
    }
}

/// The configurations of every component of a depth-to-image model.
public struct SingleFileConfigurations: Sendable {
    public var unet: UNet2DConditionConfig
    public var vae: AutoencoderKLConfig
    public var textEncoder: CLIPTextConfig
    public var depthEstimator: DPTConfig
    public var imageProcessor: DPTImageProcessor
    public var scheduler: SchedulerConfig
    /// The default sampler.
    public var schedulerKind: SchedulerKind

    /// stabilityai/stable-diffusion-2-depth: the configurations published with the diffusers version of
    /// `512-depth-ema.ckpt` (text encoder: OpenCLIP ViT-H's first 23 layers; depth: Intel/dpt-hybrid-midas).
    public static var stableDiffusion2Depth: SingleFileConfigurations {
        var processor = DPTImageProcessor()
        processor.size = (384, 384)
        processor.resample = .bilinear
        return SingleFileConfigurations(unet: .sd2Depth, vae: .sd2Depth, textEncoder: .stableDiffusion2,
                                        depthEstimator: .dptHybridMidas, imageProcessor: processor,
                                        scheduler: .stableDiffusion2Depth, schedulerKind: .pndm)
    }

    /// Reads the configurations of a diffusers model folder (the files are required; weights are not).
    public init(folder url: URL) throws {
        func file(_ component: String, _ name: String) throws -> URL {
            let file = url.appendingPathComponent(component).appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: file.path) else {
                throw PipelineError.missingComponent(name: "\(component)/\(name)", path: file.path)
            }
            return file
        }
        unet = try UNet2DConditionConfig(contentsOf: file("unet", "config.json"))
        vae = try AutoencoderKLConfig(contentsOf: file("vae", "config.json"))
        textEncoder = try CLIPTextConfig(url: file("text_encoder", "config.json"))
        depthEstimator = try DPTConfig(contentsOf: file("depth_estimator", "config.json"))
        imageProcessor = try DPTImageProcessor(contentsOf: file("feature_extractor", "preprocessor_config.json"))
        let schedulerFile = try file("scheduler", "scheduler_config.json")
        scheduler = try SchedulerConfig(contentsOf: schedulerFile)
        schedulerKind = try DepthToImagePipeline.schedulerKind(scheduler, file: schedulerFile.path)
    }

    public init(unet: UNet2DConditionConfig, vae: AutoencoderKLConfig, textEncoder: CLIPTextConfig, depthEstimator: DPTConfig,
                imageProcessor: DPTImageProcessor, scheduler: SchedulerConfig, schedulerKind: SchedulerKind) {
        self.unet = unet; self.vae = vae; self.textEncoder = textEncoder; self.depthEstimator = depthEstimator
        self.imageProcessor = imageProcessor; self.scheduler = scheduler; self.schedulerKind = schedulerKind
    }

    /// The folder's configurations when `options` names one, the presets otherwise.
    public init(options: SingleFileOptions) throws {
        if let folder = options.configFolder { try self.init(folder: folder) } else { self = .stableDiffusion2Depth }
    }
}
