/// Euler ancestral sampler (k-diffusion "Euler a"); reproduces diffusers
/// `EulerAncestralDiscreteScheduler`. Every step draws `randn(sample.count)` from the generator.
public final class EulerAncestralDiscreteScheduler: SigmaSampler, Scheduler {
    public let order = 1


    /// Creates the scheduler from a `scheduler_config.json` configuration (diffusers defaults for absent keys).
    public init(config: SchedulerConfig) throws {
        super.init(settings: try SigmaSchedulerSettings(config: config, sigmaOptions: false))
    }

    public func setTimesteps(_ steps: Int) throws {
        let (sigmas, ts) = try settings.discreteSchedule(steps, sigmaBounds: false)
        state.reset(sigmas: sigmas.map { Float($0) } + [0], timesteps: ts)
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
}
