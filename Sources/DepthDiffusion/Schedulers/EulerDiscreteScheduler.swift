/// Euler sampler (k-diffusion "Euler"); reproduces diffusers `EulerDiscreteScheduler` with
/// `s_churn = 0`, optional Karras sigmas and `final_sigmas_type`.
public final class EulerDiscreteScheduler: SigmaSampler, Scheduler {
    public let order = 1

    private let finalSigmaIsMin: Bool

    /// Creates the scheduler from a `scheduler_config.json` configuration (diffusers defaults for absent keys).
    public init(config: SchedulerConfig) throws {
        let settings = try SigmaSchedulerSettings(config: config)
        if let interpolation = config.interpolationType, interpolation != "linear" {
            throw ConfigError.schedulerOption(key: "interpolation_type", value: interpolation, supported: ["linear"])
        }
        finalSigmaIsMin = try SigmaSchedulerSettings.finalSigmaIsMin(config)
        super.init(settings: settings)
    }

    public func setTimesteps(_ steps: Int) throws {
        let (sigmas, ts) = try settings.discreteSchedule(steps, sigmaBounds: true)
        let last: Double = finalSigmaIsMin ? Double(settings.schedule.trainSigmas[0]) : 0
        state.reset(sigmas: (sigmas + [last]).map { Float($0) }, timesteps: ts)
    }

    public func step(modelOutput: [Float], timestep: Double, sample: [Float], generator: RandomSource?) throws -> [Float] {
        try LatentMath.check(sample, modelOutput)
        let i = try state.current(for: timestep)
        let sigma = state.sigmas[i]
        let x0 = EulerMath.predictOriginal(settings.prediction, modelOutput, sample, sigma: sigma)
        let dt = state.sigmas[i + 1] - sigma
        state.stepIndex = i + 1
        return zip(sample, x0).map { s, x in s + (s - x) / sigma * dt }
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
