/// Which random numbers the pipeline draws.
public enum RandomSourceKind: String, Sendable, CaseIterable {
    /// PyTorch's CPU generator (`torch.Generator().manual_seed(seed)`): the same seed gives diffusers' image.
    case torch
    /// A fast generator for users who do not need parity with PyTorch.
    case fast

    func make(seed: UInt64) -> RandomSource {
        switch self {
        case .torch: return TorchGenerator(seed: seed)
        case .fast: return FastRandomSource(seed: seed)
        }
    }
}

/// One depth-to-image generation; the defaults are diffusers' (`StableDiffusionDepth2ImgPipeline.__call__`).
public struct DepthToImageConfiguration {
    /// What to draw.
    public var prompt: String
    /// What to steer away from; `nil` is the empty prompt.
    public var negativePrompt: String?
    /// Precomputed prompt embeddings `[1, 77, hidden]` used instead of `prompt` (diffusers' `prompt_embeds`).
    public var promptEmbeddings: Tensor?
    /// Precomputed negative prompt embeddings of the same shape (diffusers' `negative_prompt_embeds`).
    public var negativePromptEmbeddings: Tensor?
    /// The input picture. Its sides are floored to multiples of 8 (Lanczos resize when that changes them).
    public var image: RGBImage
    /// A relative depth map of any resolution that replaces the depth estimator (larger is nearer).
    public var depthMap: DepthMap?
    /// How much of the input is replaced, in (0, 1]: `Int(steps · strength)` steps are run.
    public var strength: Double = 0.8
    /// Denoising steps for a full (strength 1) run.
    public var steps: Int = 50
    /// Classifier-free guidance scale; guidance is on above 1.
    public var guidanceScale: Float = 7.5
    /// The sampler; `nil` uses the model folder's scheduler.
    public var scheduler: SchedulerKind?
    /// DDIM's η (0 is deterministic); other samplers ignore it.
    public var eta: Double = 0
    /// Seed of the random source.
    public var seed: UInt64 = 0
    /// Which random numbers to draw.
    public var randomSource: RandomSourceKind = .torch
    /// Images generated for the prompt.
    public var imagesPerPrompt: Int = 1

    public init(prompt: String, image: RGBImage) {
        self.prompt = prompt
        self.image = image
    }

    /// Checks every parameter; throws ``PipelineError/invalidParameter(_:)`` or ``PipelineError/invalidImage(_:)``.
    public func validate() throws {
        guard steps >= 1 else { throw PipelineError.invalidParameter("steps must be at least 1, got \(steps)") }
        guard strength > 0 && strength <= 1 else {
            throw PipelineError.invalidParameter("strength must be in (0, 1], got \(strength)")
        }
        guard Int(Double(steps) * strength) >= 1 else {
            throw PipelineError.invalidParameter("steps × strength = \(Double(steps) * strength) runs no denoising step; raise --steps or --strength")
        }
        guard guidanceScale.isFinite, guidanceScale >= 0 else {
            throw PipelineError.invalidParameter("guidance scale must be a finite number ≥ 0, got \(guidanceScale)")
        }
        guard eta >= 0, eta.isFinite else { throw PipelineError.invalidParameter("eta must be ≥ 0, got \(eta)") }
        guard imagesPerPrompt >= 1, imagesPerPrompt <= 64 else {
            throw PipelineError.invalidParameter("images per prompt must be in 1...64, got \(imagesPerPrompt)")
        }
        guard image.width >= 8, image.height >= 8 else {
            throw PipelineError.invalidImage("the image is \(image.width)x\(image.height) pixels; it must be at least 8x8 (one latent pixel)")
        }
    }
}

/// What one generation produced.
public struct DepthToImageResult {
    /// The generated images, `imagesPerPrompt` of them, at the input size floored to multiples of 8.
    public var images: [RGBImage]
    /// The depth the UNet was conditioned on: normalised to [-1, 1] at latent resolution (diffusers' `prepare_depth_map`).
    public var depth: DepthMap
    /// The relative depth before resizing and normalisation (the estimator's output or the user's map).
    public var rawDepth: DepthMap
    /// Seconds spent in each stage.
    public var timings: StageTimings
}

/// Wall-clock seconds per pipeline stage.
public struct StageTimings: Sendable {
    public var textEncoding = 0.0
    public var depth = 0.0
    public var vaeEncode = 0.0
    public var denoising = 0.0
    public var vaeDecode = 0.0
    /// Sum of the stages.
    public var total: Double { textEncoding + depth + vaeEncode + denoising + vaeDecode }
}

/// Progress of the denoising loop, passed to the progress handler after each step.
public struct DepthToImageProgress: Sendable {
    /// Steps done (1-based).
    public var step: Int
    /// Steps in this run.
    public var totalSteps: Int
    /// The timestep just computed.
    public var timestep: Double
    /// Seconds since the denoising loop began.
    public var elapsed: Double
}
