import Dispatch
import Foundation
import Synchronization

/// Stable Diffusion 2 depth-to-image, in the order of operations and random draws of diffusers'
/// `StableDiffusionDepth2ImgPipeline`: with the same weights, inputs and a ``RandomSourceKind/torch``
/// seed it produces diffusers' image (`torch.Generator("cpu").manual_seed(seed)`).
///
/// ```swift
/// let backend = try BackendKind.auto.makeBackend()
/// let pipeline = try DepthToImagePipeline(modelFolder: URL(fileURLWithPath: "stable-diffusion-2-depth"), backend: backend)
/// var request = DepthToImageRequest(prompt: "a castle at dusk", image: photo)
/// request.seed = 42
/// let result = try pipeline.generate(request) { progress in
///     print("step \(progress.step)/\(progress.totalSteps)")
///     return true  // false cancels
/// }
/// ```
public final class DepthToImagePipeline: Sendable {
    public let backend: ComputeBackend
    /// The model folder the pipeline was loaded from; `nil` when it was assembled from components.
    public let folder: ModelFolder?
    /// How the pipeline holds its models (precision, low-memory mode, variant).
    public let options: PipelineOptions
    /// The UNet's configuration (known without loading the UNet).
    public let unetConfig: UNet2DConditionConfig
    /// The VAE's configuration (known without loading the VAE).
    public let vaeConfig: AutoencoderKLConfig
    /// The model's scheduler configuration (`scheduler_config.json`).
    public let schedulerConfig: SchedulerConfig
    /// The model's scheduler class, as a ``SchedulerKind``.
    public let defaultScheduler: SchedulerKind
    private let promptComponent: PipelineComponent<PromptEncoder>
    private let unetComponent: PipelineComponent<UNet2DConditionModel>
    private let vaeComponent: PipelineComponent<AutoencoderKL>
    private let depthComponent: PipelineComponent<DPTDepthEstimator>
    /// Held for the whole of a ``generate(_:schedulerConfig:progress:)`` call.
    private let running = Mutex(())

    /// The tokenizer and text encoder. In low-memory mode (``PipelineOptions/lowMemory``) every access loads
    /// the text encoder from its files; the others below likewise.
    public var prompts: PromptEncoder { get throws { try promptComponent.get() } }
    /// The denoising UNet.
    public var unet: UNet2DConditionModel { get throws { try unetComponent.get() } }
    /// The VAE. Its tiling settings persist only while the pipeline keeps it loaded (the default).
    public var vae: AutoencoderKL { get throws { try vaeComponent.get() } }
    /// The depth estimator (DPT-Hybrid and its preprocessing).
    public var depthEstimator: DPTDepthEstimator { get throws { try depthComponent.get() } }

    /// In low-memory mode the VAE works in tiles on images of more pixels than this (512x512) that are larger
    /// than one tile (768 pixels for stable-diffusion-2-depth), instead of above 1024x1024.
    public static let lowMemoryTilingPixels = 512 * 512
    /// In low-memory mode the backend keeps at most this much memory of freed buffers for reuse (64 MiB).
    public static let lowMemoryCacheBytes = 64 << 20

    /// Loads every component of a diffusers `stable-diffusion-2-depth` folder onto `backend` in float32.
    public convenience init(modelFolder url: URL, backend: ComputeBackend, variant: String? = nil) throws {
        try self.init(modelFolder: url, backend: backend, options: PipelineOptions(variant: variant))
    }

    /// Loads a diffusers `stable-diffusion-2-depth` folder onto `backend` as `options` says: every model now
    /// (the default), or, in low-memory mode, only the configurations and safetensors headers now (so that a
    /// broken folder is reported at once) and each model when its stage runs.
    public convenience init(modelFolder url: URL, backend: ComputeBackend, options: PipelineOptions) throws {
        let folder = try ModelFolder(url: url, variant: options.variant)
        let (keep, precision) = (!options.lowMemory, options.precision)
        let unetConfig = try UNet2DConditionConfig(contentsOf: folder.file("unet", "config.json"))
        let vaeConfig = try AutoencoderKLConfig(contentsOf: folder.file("vae", "config.json"))
        let tokenizer = try CLIPTokenizer(folder: folder.folder("tokenizer"))
        _ = try folder.file("text_encoder", "config.json")
        if options.lowMemory {
            for component in ["unet", "vae", "text_encoder", "depth_estimator"] { _ = try folder.weights(component) }
        }
        let prompts = try PipelineComponent(keep: keep) {
            PromptEncoder(tokenizer: tokenizer, textEncoder: try CLIPTextEncoder(folder: folder.folder("text_encoder"), backend: backend,
                                                                                variant: options.variant, precision: precision))
        }
        let unet = try PipelineComponent(keep: keep) {
            try Self.bind(folder.weights("unet"), backend, precision) { try UNet2DConditionModel(config: unetConfig, weights: $0) }
        }
        let vae = try PipelineComponent(keep: keep) {
            let vae = try Self.bind(folder.weights("vae"), backend, precision) { try AutoencoderKL(config: vaeConfig, weights: $0) }
            if options.lowMemory { vae.automaticTilingPixels = Self.lowMemoryTilingPixels }
            return vae
        }
        let depth = try PipelineComponent(keep: keep) {
            try DPTDepthEstimator(pipelineFolder: url, backend: backend, variant: options.variant, precision: precision)
        }
        let schedulerFile = try folder.file("scheduler", "scheduler_config.json")
        let schedulerConfig = try SchedulerConfig(contentsOf: schedulerFile)
        try self.init(backend: backend, options: options, unetConfig: unetConfig, vaeConfig: vaeConfig, prompts: prompts,
                      unet: unet, vae: vae, depthEstimator: depth, schedulerConfig: schedulerConfig,
                      defaultScheduler: Self.schedulerKind(schedulerConfig, file: schedulerFile.path), folder: folder)
    }

    /// Assembles a pipeline from loaded components (all on `backend`), e.g. models built from presets with
    /// weights from another source. They stay loaded.
    ///
    /// - Throws: ``ConfigError/inconsistent(component:detail:)`` when the UNet does not take the VAE's latent
    ///   channels plus the depth channel.
    public convenience init(backend: ComputeBackend, prompts: PromptEncoder, unet: UNet2DConditionModel, vae: AutoencoderKL,
                            depthEstimator: DPTDepthEstimator, schedulerConfig: SchedulerConfig = .stableDiffusion2Depth,
                            defaultScheduler: SchedulerKind = .pndm) throws {
        try self.init(backend: backend, options: PipelineOptions(), unetConfig: unet.config, vaeConfig: vae.config,
                      prompts: PipelineComponent(resident: prompts), unet: PipelineComponent(resident: unet),
                      vae: PipelineComponent(resident: vae), depthEstimator: PipelineComponent(resident: depthEstimator),
                      schedulerConfig: schedulerConfig, defaultScheduler: defaultScheduler, folder: nil)
    }

    /// Assembles a pipeline from functions that build its components on `backend`: called once now, or, with
    /// `lowMemory`, each time a stage needs the component (which is released after the stage). The functions
    /// choose the weight precision; `unetConfig` and `vaeConfig` must be those of the models they build.
    ///
    /// - Throws: ``ConfigError/inconsistent(component:detail:)`` when the UNet does not take the VAE's latent
    ///   channels plus the depth channel; whatever the functions throw when the models are built now.
    public convenience init(backend: ComputeBackend, lowMemory: Bool, unetConfig: UNet2DConditionConfig,
                            vaeConfig: AutoencoderKLConfig, schedulerConfig: SchedulerConfig = .stableDiffusion2Depth,
                            defaultScheduler: SchedulerKind = .pndm,
                            prompts: @escaping @Sendable () throws -> PromptEncoder,
                            unet: @escaping @Sendable () throws -> UNet2DConditionModel,
                            vae: @escaping @Sendable () throws -> AutoencoderKL,
                            depthEstimator: @escaping @Sendable () throws -> DPTDepthEstimator) throws {
        let keep = !lowMemory
        try self.init(backend: backend, options: PipelineOptions(lowMemory: lowMemory), unetConfig: unetConfig,
                      vaeConfig: vaeConfig, prompts: PipelineComponent(keep: keep, load: prompts),
                      unet: PipelineComponent(keep: keep, load: unet),
                      vae: PipelineComponent(keep: keep) {
                          let model = try vae()
                          if lowMemory { model.automaticTilingPixels = Self.lowMemoryTilingPixels }
                          return model
                      },
                      depthEstimator: PipelineComponent(keep: keep, load: depthEstimator),
                      schedulerConfig: schedulerConfig, defaultScheduler: defaultScheduler, folder: nil)
    }

    private init(backend: ComputeBackend, options: PipelineOptions, unetConfig: UNet2DConditionConfig,
                 vaeConfig: AutoencoderKLConfig, prompts: PipelineComponent<PromptEncoder>,
                 unet: PipelineComponent<UNet2DConditionModel>, vae: PipelineComponent<AutoencoderKL>,
                 depthEstimator: PipelineComponent<DPTDepthEstimator>, schedulerConfig: SchedulerConfig,
                 defaultScheduler: SchedulerKind, folder: ModelFolder?) throws {
        guard unetConfig.inChannels == vaeConfig.latentChannels + 1 else {
            throw ConfigError.inconsistent(component: "unet",
                detail: "the UNet takes \(unetConfig.inChannels) channels but depth-to-image needs latent channels + 1 = \(vaeConfig.latentChannels + 1); is this a depth model?")
        }
        self.backend = backend
        self.folder = folder
        self.options = options
        if options.lowMemory { backend.limitCachedMemory(toBytes: Self.lowMemoryCacheBytes) }
        self.unetConfig = unetConfig
        self.vaeConfig = vaeConfig
        promptComponent = prompts
        unetComponent = unet
        vaeComponent = vae
        depthComponent = depthEstimator
        self.schedulerConfig = schedulerConfig
        self.defaultScheduler = defaultScheduler
    }

    /// Builds a model from `source` and checks that every weight was used.
    private static func bind<Model>(_ source: WeightSource, _ backend: ComputeBackend, _ precision: WeightPrecision,
                                    _ build: (WeightBinder) throws -> Model) throws -> Model {
        let binder = WeightBinder(source: source, backend: backend, precision: precision)
        let model = try build(binder)
        try binder.finish()
        return model
    }

    /// Maps `_class_name` of `scheduler_config.json` to a scheduler kind (PNDM when absent).
    static func schedulerKind(_ config: SchedulerConfig, file: String) throws -> SchedulerKind {
        let name = config.className ?? "PNDMScheduler"
        if name == "DPMSolverMultistepScheduler" { return config.useKarrasSigmas == true ? .dpmSolverPP2MKarras : .dpmSolverPP2M }
        guard let kind = SchedulerKind.allCases.first(where: { $0.diffusersClassName == name && $0 != .dpmSolverPP2MKarras }) else {
            throw ConfigError.unsupported(component: "scheduler (\(file))", field: "_class_name", value: name,
                                          supported: SchedulerKind.allCases.map(\.diffusersClassName).joined(separator: ", "))
        }
        return kind
    }

    /// Runs one generation. The progress handler is called after every denoising step; returning
    /// `false` stops the run with ``PipelineError/cancelled``, after which the pipeline is ready for the next call.
    /// `schedulerConfig` replaces the folder's `scheduler_config.json` (e.g. to switch the prediction type).
    ///
    /// A pipeline may be shared between threads: it runs one request at a time, and a call made while
    /// another runs waits for it (so memory holds one request's activations). For requests that really run
    /// side by side, use two pipelines (each has its own weights). Do not call `generate` on the same pipeline
    /// from inside its own progress handler.
    ///
    /// - Throws: ``PipelineError/insufficientMemory(neededBytes:availableBytes:advice:)`` before any work when
    ///   ``memoryEstimate(for:)`` exceeds the request's ``DepthToImageRequest/memoryLimit`` (default: the memory
    ///   available); ``PipelineError/nonFiniteLatents(step:totalSteps:)`` or
    ///   ``PipelineError/nonFiniteOutput(component:)`` when the computation produces NaN or infinities.
    public func generate(_ request: DepthToImageRequest, schedulerConfig: SchedulerConfig? = nil,
                         progress: ((DepthToImageProgress) -> Bool)? = nil) throws -> DepthToImageResult {
        try running.withLock { _ in
            try generateAlone(request, schedulerConfig: schedulerConfig, progress: progress)
        }
    }

    private func generateAlone(_ request: DepthToImageRequest, schedulerConfig: SchedulerConfig?,
                               progress: ((DepthToImageProgress) -> Bool)?) throws -> DepthToImageResult {
        try request.validate()
        try checkMemory(request)
        var timings = StageTimings()
        let generator = request.randomSource.make(seed: request.seed)
        let guidance = request.guidanceScale > 1
        let n = request.imagesPerPrompt
        let scale = vaeConfig.scaleFactor

        // 1. Prompt embeddings: cat([negative, positive]) with guidance.
        let context = try stage(&timings.textEncoding) {
            try prompts.guidanceBatch(prompt: request.promptEmbeddings.map { .embeddings($0) } ?? .text(request.prompt),
                                      negativePrompt: request.negativePromptEmbeddings.map { .embeddings($0) }
                                        ?? request.negativePrompt.map { .text($0) },
                                      imagesPerPrompt: n, classifierFreeGuidance: guidance)
        }
        guard try context.toArray().allSatisfy(\.isFinite) else { throw PipelineError.nonFiniteOutput(component: "text encoder") }

        // 2. Depth from the original image (or the user's map), resized to latent size and normalised.
        let (latentH, latentW) = (request.image.height / scale, request.image.width / scale)
        let (raw, depth) = try stage(&timings.depth) { try prepareDepth(request, latentH: latentH, latentW: latentW) }

        // 3. The image, floored to multiples of the VAE scale factor, in [-1, 1].
        let (width, height) = (request.image.width - request.image.width % scale, request.image.height - request.image.height % scale)
        let image = (width, height) == (request.image.width, request.image.height)
            ? request.image : try request.image.resized(width: width, height: height, filter: .lanczos)
        let pixels = try imageTensor(image)

        // 4. Timesteps for the strength.
        let scheduler = try makeScheduler(kind: request.scheduler ?? defaultScheduler, config: schedulerConfig ?? self.schedulerConfig)
        if let ddim = scheduler as? DDIMScheduler { ddim.eta = request.eta }
        let timesteps = try scheduler.prepareTimesteps(steps: request.steps, strength: request.strength)
        guard let first = timesteps.first else {
            throw PipelineError.invalidParameter("no denoising step for \(request.steps) steps at strength \(request.strength)")
        }

        // 5. Latents: posterior sample (first draw), scaled, repeated, noised (second draw).
        var latents = try stage(&timings.vaeEncode) { () -> [Float] in
            let vae = try self.vae
            let posterior = try vae.encode(pixels)
            let noise = try Tensor(shape: posterior.mean.shape, data: generator.normal(count: posterior.mean.count), on: backend)
            let sample = try backend.affine(posterior.sample(noise: noise), scale: vae.scalingFactor)
            let one = try sample.toArray()
            guard one.allSatisfy(\.isFinite) else { throw PipelineError.nonFiniteOutput(component: "VAE encoder") }
            return Array([[Float]](repeating: one, count: n).joined())
        }
        let latentShape = [n, vaeConfig.latentChannels, height / scale, width / scale]
        latents = try scheduler.addNoise(original: latents, noise: generator.normal(count: latents.count), timestep: first)

        // 6. Denoising loop.
        let depthBatch = try backend.concat([Tensor](repeating: depth, count: (guidance ? 2 : 1) * n), axis: 0)
        let start = DispatchTime.now().uptimeNanoseconds
        try stage(&timings.denoising) {
            let unet = try self.unet
            for (i, t) in timesteps.enumerated() {
                let scaled = try scheduler.scaleModelInput(latents, timestep: t)
                let x = try Tensor(shape: latentShape, data: scaled, on: backend)
                let input = try backend.concat([guidance ? backend.concat([x, x], axis: 0) : x, depthBatch], axis: 1)
                let prediction = try unet(input, timestep: Float(t), context: context)
                var eps = prediction
                if guidance {
                    let halves = try backend.chunk(prediction, 2, axis: 0)
                    eps = try backend.add(halves[0], backend.affine(backend.sub(halves[1], halves[0]), scale: request.guidanceScale))
                }
                latents = try scheduler.step(modelOutput: eps.toArray(), timestep: t, sample: latents, generator: generator)
                if options.lowMemory { backend.releaseCachedMemory() }
                guard latents.allSatisfy(\.isFinite) else { throw PipelineError.nonFiniteLatents(step: i + 1, totalSteps: timesteps.count) }
                let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                if let progress, !progress(DepthToImageProgress(step: i + 1, totalSteps: timesteps.count, timestep: t, elapsed: elapsed)) {
                    throw PipelineError.cancelled
                }
            }
        }

        // 7. Decode and quantise as diffusers does: (x/2 + 0.5).clamp(0, 1), round(x·255) half to even.
        let images = try stage(&timings.vaeDecode) { () -> [RGBImage] in
            let vae = try self.vae
            let z = try Tensor(shape: latentShape, data: latents.map { $0 / vae.scalingFactor }, on: backend)
            let decoded = try vae.decode(z).toArray()
            guard decoded.allSatisfy(\.isFinite) else { throw PipelineError.nonFiniteOutput(component: "VAE decoder") }
            let plane = height * width
            return try (0..<n).map { b in
                var rgb = [UInt8](repeating: 0, count: plane * 3)
                for c in 0..<3 {
                    let base = (b * 3 + c) * plane
                    for p in 0..<plane {
                        let v = min(max(decoded[base + p] / 2 + 0.5, 0), 1)
                        rgb[p * 3 + c] = UInt8((v * 255).rounded(.toNearestOrEven))
                    }
                }
                return try RGBImage(width: width, height: height, pixels: rgb)
            }
        }
        let depthValues = try depth.toArray()
        return DepthToImageResult(images: images,
                                  depth: try DepthMap(width: latentW, height: latentH, values: Array(depthValues.prefix(latentH * latentW))),
                                  rawDepth: raw, timings: timings)
    }

    /// diffusers' `prepare_depth_map` for one image: `[1, 1, h, w]` in [-1, 1], and the raw map.
    func prepareDepth(_ request: DepthToImageRequest, latentH: Int, latentW: Int) throws -> (DepthMap, Tensor) {
        let predicted: Tensor
        if let user = request.depthMap {
            guard user.width >= 1, user.height >= 1, user.values.count == user.width * user.height else {
                throw PipelineError.invalidDepthMap("\(user.values.count) values for \(user.width)x\(user.height)")
            }
            guard user.isFinite else { throw PipelineError.invalidDepthMap("it holds NaN or infinite values") }
            predicted = try Tensor(shape: [1, user.height, user.width], data: user.values, on: backend)
        } else {
            predicted = try depthEstimator.predictedDepth([request.image])
        }
        let (h, w) = (predicted.shape[1], predicted.shape[2])
        let raw = try DepthMap(width: w, height: h, values: predicted.toArray())
        guard raw.isFinite else { throw PipelineError.nonFiniteOutput(component: "depth estimator") }
        let resized = try backend.resize(predicted.reshaped([1, 1, h, w]), height: latentH, width: latentW,
                                         mode: .bicubic(alignCorners: false))
        let (lo, hi) = try backend.minMax(resized)
        let (rawLo, rawHi) = raw.range
        guard rawHi > rawLo, hi[0] > lo[0] else {
            throw PipelineError.invalidDepthMap("the depth map is constant (every value is \(lo[0])); it carries no depth to condition on")
        }
        guard (hi[0] - lo[0]).isFinite else {
            throw PipelineError.invalidDepthMap("its range \(lo[0])...\(hi[0]) is too wide for float32; rescale the depth values")
        }
        // 2 · (d − min) / (max − min) − 1, in diffusers' order of float32 operations.
        let minT = try Tensor(shape: [1], data: [lo[0]], on: backend)
        let rangeT = try Tensor(shape: [1], data: [hi[0] - lo[0]], on: backend)
        let doubled = try backend.affine(backend.sub(resized, minT), scale: 2)
        let normalised = try backend.affine(backend.binary(.div, doubled, rangeT), scale: 1, shift: -1)
        return (raw, normalised)
    }

    /// The memory ``generate(_:schedulerConfig:progress:)`` estimates for `request` (see ``GenerationMemoryEstimate``).
    public func memoryEstimate(for request: DepthToImageRequest) -> GenerationMemoryEstimate {
        let scale = vaeConfig.scaleFactor
        let (width, height) = (request.image.width - request.image.width % scale, request.image.height - request.image.height % scale)
        // In low-memory mode the VAE is not loaded; it will tile as `lowMemoryTilingPixels` says.
        let tiled = options.lowMemory
            ? VAETileSizes(config: vaeConfig).usesTiles(height: height, width: width, mode: .automatic,
                                                        automaticPixels: Self.lowMemoryTilingPixels)
            : (try? vae.usesTiles(height: height, width: width)) ?? false
        let workers = max(ProcessInfo.processInfo.activeProcessorCount, (backend as? CPUBackend)?.threads ?? 1)
        return GenerationMemoryEstimate(unet: unetConfig, vae: vaeConfig, width: width, height: height,
                                        images: request.imagesPerPrompt, guidance: request.guidanceScale > 1, vaeTiled: tiled,
                                        workers: workers)
    }

    /// Refuses a request whose estimate exceeds its memory limit (or the memory available), before allocating.
    func checkMemory(_ request: DepthToImageRequest) throws {
        let estimate = memoryEstimate(for: request)
        let available = request.memoryLimit ?? GenerationMemoryEstimate.availableBytes()
        guard estimate.peakBytes > available else { return }
        let advice = estimate.vaeBytes > estimate.unetBytes && !estimate.vaeTiled
            ? "enable VAE tiling (pipeline.vae.tiling = .enabled), or use a smaller image"
            : "use a smaller image" + (request.imagesPerPrompt > 1 ? " or fewer images per prompt" : "")
        throw PipelineError.insufficientMemory(neededBytes: estimate.peakBytes, availableBytes: available,
                                               advice: advice + " (the image is \(request.image.width)x\(request.image.height))")
    }

    /// `[1, 3, H, W]` in [-1, 1] (diffusers' `VaeImageProcessor.preprocess`).
    func imageTensor(_ image: RGBImage) throws -> Tensor {
        let plane = image.width * image.height
        var values = [Float](repeating: 0, count: 3 * plane)
        for p in 0..<plane {
            for c in 0..<3 { values[c * plane + p] = 2 * (Float(image.pixels[p * 3 + c]) / 255) - 1 }
        }
        return try Tensor(shape: [1, 3, image.height, image.width], data: values, on: backend)
    }

    /// Runs one stage and adds its seconds to `seconds`. When it returns, the backend's buffer caches are emptied
    /// (the next stage needs buffers of other sizes), and in low-memory mode the models it loaded are released.
    private func stage<T>(_ seconds: inout Double, _ body: () throws -> T) rethrows -> T {
        let start = DispatchTime.now().uptimeNanoseconds
        defer {
            seconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            backend.releaseCachedMemory()
        }
        return try body()
    }
}
