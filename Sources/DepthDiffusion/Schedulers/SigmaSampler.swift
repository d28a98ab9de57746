/// What the k-diffusion samplers (Euler, Euler ancestral, Heun, LMS) share: the sigma schedule with its
/// step bookkeeping, the settings read from `scheduler_config.json`, and the ``Scheduler`` requirements that
/// only depend on them (timesteps, initial noise sigma, begin index, input scaling, adding noise). Each
/// sampler subclasses it and adds its `setTimesteps` and `step`. Not subclassable outside the package.
public class SigmaSampler {
    var state = SigmaSchedule()
    let settings: SigmaSchedulerSettings

    init(settings: SigmaSchedulerSettings) { self.settings = settings }

    /// The current inference timesteps (empty until `setTimesteps`).
    public var timesteps: [Double] { state.timesteps }
    /// Standard deviation of the initial noise (diffusers `init_noise_sigma`).
    public var initNoiseSigma: Float { state.initNoiseSigma(spacing: settings.spacing) }

    /// Sets the index of the first timestep that will be used (diffusers `set_begin_index`).
    public func setBeginIndex(_ index: Int) { state.beginIndex = index }

    /// Divides the sample by `sqrt(sigma² + 1)` (diffusers `scale_model_input`).
    public func scaleModelInput(_ sample: [Float], timestep: Double) throws -> [Float] {
        try state.scaleInput(sample, timestep: timestep)
    }

    /// `original + sigma · noise` at the sigma of `timestep` (diffusers `add_noise`).
    public func addNoise(original: [Float], noise: [Float], timestep: Double) throws -> [Float] {
        try state.addScaledNoise(original: original, noise: noise, timestep: timestep)
    }
}
