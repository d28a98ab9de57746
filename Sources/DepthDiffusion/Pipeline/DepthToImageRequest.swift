/// One depth-to-image generation; the defaults are diffusers' (`StableDiffusionDepth2ImgPipeline.__call__`).
public struct DepthToImageRequest: Sendable {
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
    /// The most memory, in bytes, the generation may need beyond the loaded weights (see
    /// ``GenerationMemoryEstimate``); `nil` uses what the machine has available (`MemAvailable`).
    public var memoryLimit: Int?

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

/// The name ``DepthToImageRequest`` had before: one generation's request.
@available(*, deprecated, renamed: "DepthToImageRequest")
public typealias DepthToImageConfiguration = DepthToImageRequest
