/// A diffusion sampler (a diffusers scheduler) operating on flat float32 latents.
///
/// LatentMath are flat `[Float]` arrays (the caller knows the shape; a batch is simply concatenated).
/// Timesteps are `Double` because some schedulers use fractional training timesteps (e.g. Euler with
/// Karras sigmas); they hold exactly the values diffusers puts in `scheduler.timesteps`, and the UNet
/// takes `Float(timestep)`.
///
/// Typical img2img / depth2img loop (mirrors `StableDiffusionDepth2ImgPipeline`):
/// ```swift
/// let timesteps = try scheduler.prepareTimesteps(steps: 50, strength: 0.8)
/// var latents = try scheduler.addNoise(original: imageLatents, noise: gen.normal(count: n), timestep: timesteps[0])
/// for t in timesteps {
///     let input = try scheduler.scaleModelInput(latents, timestep: t)
///     let eps = unet(input, Float(t))
///     latents = try scheduler.step(modelOutput: eps, timestep: t, sample: latents, generator: gen)
/// }
/// ```
public protocol Scheduler: AnyObject {
    /// Model evaluations per timestep pair (diffusers `order`; 2 for Heun, 1 otherwise).
    var order: Int { get }
    /// The current inference timesteps (empty until ``setTimesteps(_:)``).
    var timesteps: [Double] { get }
    /// Standard deviation of the initial noise for text-to-image (diffusers `init_noise_sigma`).
    var initNoiseSigma: Float { get }
    /// Builds the inference schedule for `steps` denoising steps and resets all solver state.
    func setTimesteps(_ steps: Int) throws
    /// Sets the index of the first timestep that will be used (diffusers `set_begin_index`).
    /// Schedulers without per-step indices ignore it.
    func setBeginIndex(_ index: Int)
    /// Scales the denoising model input for timestep `timestep` (diffusers `scale_model_input`).
    func scaleModelInput(_ sample: [Float], timestep: Double) throws -> [Float]
    /// Advances the sample one step from `timestep` given the model output (diffusers `step(...).prev_sample`).
    ///
    /// - Parameter generator: Noise source for stochastic samplers (Euler ancestral, DDIM with eta > 0);
    ///   deterministic samplers ignore it.
    func step(modelOutput: [Float], timestep: Double, sample: [Float], generator: RandomSource?) throws -> [Float]
    /// Noises clean latents to the level of `timestep` (diffusers `add_noise`).
    func addNoise(original: [Float], noise: [Float], timestep: Double) throws -> [Float]
}

extension Scheduler {
    /// Sets the timesteps for `steps` steps and keeps only the last `strength` fraction, as the
    /// depth2img pipeline's `get_timesteps` does: `init = min(Int(steps * strength), steps)`,
    /// `tStart = max(steps - init, 0)`, timesteps from `tStart * order`, and `setBeginIndex(tStart * order)`.
    /// The first returned timestep is the one to pass to ``addNoise(original:noise:timestep:)``.
    ///
    /// - Throws: ``SchedulerError`` for `steps < 1`, `strength` outside (0, 1], or no step left.
    public func prepareTimesteps(steps: Int, strength: Double) throws -> [Double] {
        guard strength > 0, strength <= 1, strength.isFinite else { throw SchedulerError.invalidStrength(strength) }
        try setTimesteps(steps)
        let initTimestep = min(Int(Double(steps) * strength), steps)
        let tStart = max(steps - initTimestep, 0)
        let remaining = Array(timesteps.dropFirst(tStart * order))
        guard !remaining.isEmpty, initTimestep >= 1 else {
            throw SchedulerError.noStepsForStrength(steps: steps, strength: strength)
        }
        setBeginIndex(tStart * order)
        return remaining
    }
}

/// Element-wise helpers shared by the schedulers (float32, like torch CPU tensors).
enum LatentMath {
    static func check(_ a: [Float], _ b: [Float]) throws {
        guard a.count == b.count else { throw SchedulerError.sizeMismatch(expected: a.count, got: b.count) }
    }

    /// torch.quantile-based dynamic thresholding (diffusers `_threshold_sample`), treating the whole
    /// latent array as one batch item.
    static func threshold(_ x: [Float], ratio: Double, maxValue: Double) -> [Float] {
        guard !x.isEmpty else { return x }
        let sorted = x.map { abs($0) }.sorted()
        let rank = Float(ratio) * Float(sorted.count - 1)
        let below = Int(rank)
        let above = min(below + 1, sorted.count - 1)
        let weight = rank - Float(below)
        let lo = sorted[below], hi = sorted[above]
        var s = weight < 0.5 ? lo + weight * (hi - lo) : hi - (hi - lo) * (1 - weight)
        s = min(max(s, 1), Float(maxValue))
        return x.map { min(max($0, -s), s) / s }
    }
}

extension LatentMath {
    /// The integer training timestep of `timestep`, as diffusers' integer schedulers index `alphas_cumprod`.
    ///
    /// - Throws: ``SchedulerError/unknownTimestep(_:)`` for NaN, infinities and values outside `Int`'s range.
    static func integerTimestep(_ timestep: Double) throws -> Int {
        guard timestep.isFinite, timestep > -1e15, timestep < 1e15 else { throw SchedulerError.unknownTimestep(timestep) }
        return Int(timestep)
    }
}
