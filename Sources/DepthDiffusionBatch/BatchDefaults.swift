import DepthDiffusion

/// The values a manifest line gets for the optional fields it leaves out (the command line's options).
public struct BatchDefaults: Sendable {
    /// What to avoid; `nil` is the empty prompt.
    public var negativePrompt: String?
    /// The seed for every job without its own; `nil` derives a seed from the job id (see ``BatchJob/seed(forID:)``).
    public var seed: UInt64?
    /// Denoising steps for strength 1.
    public var steps = 50
    /// How much of the input is replaced, in (0, 1].
    public var strength = 0.8
    /// Classifier-free guidance scale.
    public var guidance: Float = 7.5
    /// The sampler; `nil` uses the model folder's.
    public var scheduler: SchedulerKind?
    /// DDIM's η.
    public var eta = 0.0
    /// Images per job.
    public var images = 1

    public init() {}
}
