/// Euler ancestral sampler (k-diffusion "Euler a"); reproduces diffusers
/// `EulerAncestralDiscreteScheduler`. Every step draws `randn(sample.count)` from the generator.
public final class EulerAncestralDiscreteScheduler: Scheduler {
    public let order = 1
    public var timesteps: [Double] { state.timesteps }
    public var initNoiseSigma: Float { state.initNoiseSigma(spacing: settings.spacing) }

    private var state = SigmaSchedule()
    private let settings: SigmaSchedulerSettings

    /// Creates the scheduler from a `scheduler_config.json` configuration (diffusers defaults for absent keys).
    public init(config: SchedulerConfig) throws {
        settings = try SigmaSchedulerSettings(config: config, sigmaOptions: false)
    }

    public func setTimesteps(_ steps: Int) throws {
        let (sigmas, ts) = try settings.discreteSchedule(steps, sigmaBounds: false)
        state.reset(sigmas: sigmas.map { Float($0) } + [0], timesteps: ts)
    }

    public func setBeginIndex(_ index: Int) { state.beginIndex = index }

    public func scaleModelInput(_ sample: [Float], timestep: Double) throws -> [Float] {
        try state.scaleInput(sample, timestep: timestep)
    }

    public func step(modelOutput: [Float], timestep: Double, sample: [Float], generator: RandomSource?) throws -> [Float] {
        try LatentMath.check(sample, modelOutput)
        guard let generator else { throw SchedulerError.missingGenerator }
        let i = try state.current(for: timestep)
        let sigma = state.sigmas[i], sigmaTo = state.sigmas[i + 1]
        let x0 = EulerMath.predictOriginal(settings.prediction, modelOutput, sample, sigma: sigma)
        let sigmaUp = (sigmaTo * sigmaTo * (sigma * sigma - sigmaTo * sigmaTo) / (sigma * sigma)).squareRoot()
        let sigmaDown = (sigmaTo * sigmaTo - sigmaUp * sigmaUp).squareRoot()
        let dt = sigmaDown - sigma
        let noise = generator.normal(count: sample.count)
        state.stepIndex = i + 1
        return (0..<sample.count).map { k in
            let s = sample[k]
            return (s + (s - x0[k]) / sigma * dt) + noise[k] * sigmaUp
        }
    }

    public func addNoise(original: [Float], noise: [Float], timestep: Double) throws -> [Float] {
        try state.addScaledNoise(original: original, noise: noise, timestep: timestep)
    }
}
