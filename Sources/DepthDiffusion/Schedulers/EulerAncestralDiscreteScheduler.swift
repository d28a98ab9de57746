/// Euler ancestral sampler (k-diffusion "Euler a"); reproduces diffusers
/// `EulerAncestralDiscreteScheduler`. Every step draws `randn(sample.count)` from the generator.
public final class EulerAncestralDiscreteScheduler: Scheduler {
    public let order = 1
    public var timesteps: [Double] { state.timesteps }
    public var initNoiseSigma: Float { state.initNoiseSigma(spacing: spacing) }

    private var state = SigmaSchedule()
    private let schedule: NoiseSchedule
    private let prediction: PredictionType
    private let spacing: TimestepSpacing
    private let stepsOffset: Int

    /// Creates the scheduler from a `scheduler_config.json` configuration (diffusers defaults for absent keys).
    public init(config: SchedulerConfig) throws {
        schedule = try NoiseSchedule(config: config)
        prediction = try PredictionType.parse(config.predictionType)
        spacing = try TimestepSpacing.parse(config.timestepSpacing, default: .linspace)
        stepsOffset = config.stepsOffset ?? 0
    }

    public func setTimesteps(_ steps: Int) throws {
        let ts = try SigmaSchedule.discreteTimesteps(steps, trainSteps: schedule.trainSteps, spacing: spacing, stepsOffset: stepsOffset)
        let train = schedule.trainSigmas
        let sigmas = ts.map { Float(NumPyCompat.interp($0, train)) } + [0]
        state.reset(sigmas: sigmas, timesteps: ts)
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
        let x0 = EulerMath.predictOriginal(prediction, modelOutput, sample, sigma: sigma)
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
        try LatentMath.check(original, noise)
        let sigma = state.sigmas[try state.noiseIndex(for: timestep)]
        return zip(original, noise).map { $0 + $1 * sigma }
    }
}
