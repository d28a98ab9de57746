/// Euler sampler (k-diffusion "Euler"); reproduces diffusers `EulerDiscreteScheduler` with
/// `s_churn = 0`, optional Karras sigmas and `final_sigmas_type`.
public final class EulerDiscreteScheduler: Scheduler {
    public let order = 1
    public var timesteps: [Double] { state.timesteps }
    public var initNoiseSigma: Float { state.initNoiseSigma(spacing: spacing) }

    private var state = SigmaSchedule()
    private let schedule: NoiseSchedule
    private let prediction: PredictionType
    private let spacing: TimestepSpacing
    private let stepsOffset: Int
    private let useKarras: Bool
    private let finalSigmaIsMin: Bool
    private let sigmaMin: Double?
    private let sigmaMax: Double?

    /// Creates the scheduler from a `scheduler_config.json` configuration (diffusers defaults for absent keys).
    public init(config: SchedulerConfig) throws {
        try rejectUnsupportedSigmaOptions(config)
        schedule = try NoiseSchedule(config: config)
        prediction = try PredictionType.parse(config.predictionType)
        spacing = try TimestepSpacing.parse(config.timestepSpacing, default: .linspace)
        stepsOffset = config.stepsOffset ?? 0
        useKarras = config.useKarrasSigmas ?? false
        sigmaMin = config.sigmaMin
        sigmaMax = config.sigmaMax
        if let interpolation = config.interpolationType, interpolation != "linear" {
            throw ConfigError.schedulerOption(key: "interpolation_type", value: interpolation, supported: ["linear"])
        }
        switch config.finalSigmasType ?? "zero" {
        case "zero": finalSigmaIsMin = false
        case "sigma_min": finalSigmaIsMin = true
        case let other: throw ConfigError.schedulerOption(key: "final_sigmas_type", value: other, supported: ["zero", "sigma_min"])
        }
    }

    public func setTimesteps(_ steps: Int) throws {
        var ts = try SigmaSchedule.discreteTimesteps(steps, trainSteps: schedule.trainSteps, spacing: spacing, stepsOffset: stepsOffset)
        let train = schedule.trainSigmas
        var sigmas = ts.map { NumPyCompat.interp($0, train) }
        if useKarras {
            sigmas = NumPyCompat.karras(sigmaMin: sigmaMin ?? sigmas[sigmas.count - 1], sigmaMax: sigmaMax ?? sigmas[0], count: steps)
            let logSigmas = train.map { Foundation.log($0) }
            ts = sigmas.map { Double(Float(NumPyCompat.sigmaToT($0, logSigmas: logSigmas))) }
        }
        let last: Double = finalSigmaIsMin ? Double(train[0]) : 0
        state.reset(sigmas: (sigmas + [last]).map { Float($0) }, timesteps: ts)
    }

    public func setBeginIndex(_ index: Int) { state.beginIndex = index }

    public func scaleModelInput(_ sample: [Float], timestep: Double) throws -> [Float] {
        try state.scaleInput(sample, timestep: timestep)
    }

    public func step(modelOutput: [Float], timestep: Double, sample: [Float], generator: RandomSource?) throws -> [Float] {
        try LatentMath.check(sample, modelOutput)
        let i = try state.current(for: timestep)
        let sigma = state.sigmas[i]
        let x0 = EulerMath.predictOriginal(prediction, modelOutput, sample, sigma: sigma)
        let dt = state.sigmas[i + 1] - sigma
        state.stepIndex = i + 1
        return zip(sample, x0).map { s, x in s + (s - x) / sigma * dt }
    }

    public func addNoise(original: [Float], noise: [Float], timestep: Double) throws -> [Float] {
        try LatentMath.check(original, noise)
        let sigma = state.sigmas[try state.noiseIndex(for: timestep)]
        return zip(original, noise).map { $0 + $1 * sigma }
    }
}

import Foundation

/// Float32 formulas shared by the k-diffusion schedulers.
enum EulerMath {
    /// The denoised estimate `x0` for a model output at noise level `sigma` (`epsilon` / `v_prediction`).
    static func predictOriginal(_ prediction: PredictionType, _ modelOutput: [Float], _ sample: [Float], sigma: Float) -> [Float] {
        switch prediction {
        case .epsilon:
            return zip(sample, modelOutput).map { $0 - sigma * $1 }
        case .vPrediction:
            let s2 = sigma * sigma + 1
            let c = -sigma / s2.squareRoot()
            return zip(modelOutput, sample).map { $0 * c + $1 / s2 }
        }
    }
}
