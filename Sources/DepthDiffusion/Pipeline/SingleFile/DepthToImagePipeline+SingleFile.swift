import Foundation

extension DepthToImagePipeline {
    /// Loads a single-file Stable Diffusion 2 depth checkpoint in the original layout (`512-depth-ema.ckpt`
    /// or a `.safetensors` conversion of it) onto `backend`; see ``SingleFileCheckpoint``.
    ///
    /// The configurations are the built-in stable-diffusion-2-depth ones unless `options.configFolder` names a
    /// diffusers folder; the tokenizer vocabulary and, for files without `depth_model.*`, the depth model come
    /// from the places ``SingleFileOptions`` lists.
    ///
    /// ```swift
    /// let pipeline = try DepthToImagePipeline(checkpoint: URL(fileURLWithPath: "512-depth-ema.safetensors"), backend: backend)
    /// ```
    public convenience init(checkpoint url: URL, backend: ComputeBackend, options: SingleFileOptions = .init()) throws {
        let checkpoint = try SingleFileCheckpoint(url: url)
        let configs = try SingleFileConfigurations(options: options)
        if let shape = checkpoint.weights.shape(of: LDMUNetKeys.prefix + "input_blocks.0.0.weight"), shape.count == 4,
           shape[1] != configs.unet.inChannels {
            throw SingleFileError.notOriginalLayout(file: url.path,
                detail: "its UNet takes \(shape[1]) input channels, but depth-to-image needs \(configs.unet.inChannels) (the latents and the depth); use a depth model such as 512-depth-ema")
        }
        let tokenizer = try options.tokenizer()
        let textEncoder = try checkpoint.bind("text encoder", checkpoint.textEncoderWeights(config: configs.textEncoder), backend: backend,
                                   precision: options.precision) {
            try CLIPTextEncoder(config: configs.textEncoder, binder: $0)
        }
        let unet = try checkpoint.bind("UNet", checkpoint.unetWeights(config: configs.unet), backend: backend,
                                   precision: options.precision) {
            try UNet2DConditionModel(config: configs.unet, weights: $0)
        }
        let vae = try checkpoint.bind("VAE", checkpoint.vaeWeights(config: configs.vae), backend: backend,
                                   precision: options.precision) {
            try AutoencoderKL(config: configs.vae, weights: $0)
        }
        let depth = try DPTDepthEstimator(checkpoint: checkpoint, configurations: configs, options: options, backend: backend)
        try self.init(backend: backend, prompts: PromptEncoder(tokenizer: tokenizer, textEncoder: textEncoder), unet: unet, vae: vae,
                      depthEstimator: depth, schedulerConfig: configs.scheduler, defaultScheduler: configs.schedulerKind)
    }
}

extension DPTDepthEstimator {
    /// The depth estimator of a single-file checkpoint: its `depth_model.*` (MiDaS DPT-Hybrid) when present,
    /// else the DPT model `options.depthModel` names; the preprocessing is that of `configurations`.
    /// - Throws: ``SingleFileError/depthModelNotFound(file:detail:)`` when the file has no depth model and none is named.
    public convenience init(checkpoint: SingleFileCheckpoint, configurations: SingleFileConfigurations,
                            options: SingleFileOptions, backend: ComputeBackend) throws {
        let model: DPTForDepthEstimation
        if let weights = try checkpoint.depthWeights() {
            model = try checkpoint.bind("depth model", weights, backend: backend,
                                   precision: options.precision) {
                try DPTForDepthEstimation(config: configurations.depthEstimator, binder: $0)
            }
        } else if let folder = try options.depthModelFolder(checkpoint: checkpoint.url.path) {
            model = try DPTForDepthEstimation(folder: folder, backend: backend, precision: options.precision)
        } else {
            throw SingleFileError.depthModelNotFound(file: checkpoint.url.path, detail: "no depth model was named")
        }
        self.init(model: model, processor: configurations.imageProcessor)
    }

    /// The depth estimator of the single-file checkpoint at `url` (see ``init(checkpoint:configurations:options:backend:)``).
    public convenience init(checkpoint url: URL, backend: ComputeBackend, options: SingleFileOptions = .init()) throws {
        try self.init(checkpoint: SingleFileCheckpoint(url: url), configurations: SingleFileConfigurations(options: options),
                      options: options, backend: backend)
    }
}
