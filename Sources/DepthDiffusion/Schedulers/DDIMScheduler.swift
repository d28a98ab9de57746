/// Denoising diffusion implicit models; reproduces diffusers `DDIMScheduler` (eta, `clip_sample`,
/// dynamic `thresholding`). With eta > 0 each step draws `randn(sample.count)` from the generator,
/// as diffusers does.
public final class DDIMScheduler: AlphaSampler, Scheduler {
    /// Weight of the added noise (0 = deterministic DDIM, 1 = DDPM-like); diffusers' `step(eta=...)`.
    public var eta: Double

    private let clipSample: Bool
    private let clipRange: Float
    private let thresholding: DynamicThresholding

    /// Creates the scheduler from a `scheduler_config.json` configuration (diffusers defaults for absent
    /// keys; `eta` is read from the non-diffusers key `eta`, default 0).
    public init(config: SchedulerConfig) throws {
        clipSample = config.clipSample ?? true
        clipRange = Float(config.clipSampleRange ?? 1)
        thresholding = DynamicThresholding(config: config)
        eta = config.eta ?? 0
        try super.init(config: config, setAlphaToOne: true)
        guard eta >= 0, eta.isFinite else { throw ConfigError.scheduler("eta must be >= 0 (got \(eta)).") }
    }

    public func setTimesteps(_ steps: Int) throws {
        timesteps = try startSchedule(steps).reversed().map(Double.init)
    }

    public func step(modelOutput: [Float], timestep: Double, sample: [Float], generator: RandomSource?) throws -> [Float] {
        guard stepsCount > 0 else { throw SchedulerError.timestepsNotSet }
        try LatentMath.check(sample, modelOutput)
        let t = try LatentMath.integerTimestep(timestep)
        let prevT = t - alphas.schedule.trainSteps / stepsCount
        let at = alphas.alphaProduct(t), aPrev = alphas.alphaProduct(prevT)
        let bt = 1 - at
        let sa = at.squareRoot(), sb = bt.squareRoot()
        var x0: [Float]
        var eps: [Float]
        switch prediction {
        case .epsilon:
            x0 = zip(sample, modelOutput).map { ($0 - sb * $1) / sa }
            eps = modelOutput
        case .vPrediction:
            x0 = zip(sample, modelOutput).map { sa * $0 - sb * $1 }
            eps = zip(modelOutput, sample).map { sa * $0 + sb * $1 }
        }
        if thresholding.enabled {
            x0 = thresholding.apply(x0)
        } else if clipSample {
            x0 = x0.map { min(max($0, -clipRange), clipRange) }
        }
        let bPrev = 1 - aPrev
        let variance = bPrev / bt * (1 - at / aPrev)
        let stdDev = Float(eta) * variance.squareRoot()
        let direction = (1 - aPrev - stdDev * stdDev).squareRoot()
        let sPrev = aPrev.squareRoot()
        var prev = zip(x0, eps).map { sPrev * $0 + direction * $1 }
        if eta > 0 {
            guard let generator else { throw SchedulerError.missingGenerator }
            let noise = generator.normal(count: sample.count)
            prev = zip(prev, noise).map { $0 + stdDev * $1 }
        }
        return prev
    }
}
