import Foundation

/// Heun's second-order sampler (k-diffusion "Heun"); reproduces diffusers `HeunDiscreteScheduler`.
/// It has `order == 2`: every timestep except the first appears twice in ``timesteps`` and the model
/// is evaluated at each of them.
public final class HeunDiscreteScheduler: SigmaSampler, Scheduler {
    public let order = 2

    private let clipSample: Bool
    private let clipRange: Float
    private var firstOrder: (derivative: [Float], dt: Float, sample: [Float])?

    /// Creates the scheduler from a `scheduler_config.json` configuration (diffusers defaults for absent
    /// keys; note Heun's own defaults `beta_start=0.00085`, `beta_end=0.012`).
    public init(config: SchedulerConfig) throws {
        clipSample = config.clipSample ?? false
        clipRange = Float(config.clipSampleRange ?? 1)
        super.init(settings: try SigmaSchedulerSettings(config: config, defaultBetaStart: 0.00085, defaultBetaEnd: 0.012))
    }

    public func setTimesteps(_ steps: Int) throws {
        let (sigmas, ts) = try settings.discreteSchedule(steps, sigmaBounds: false)
        let s = (sigmas + [0]).map { Float($0) }
        let doubledSigmas = [s[0]] + s.dropFirst().dropLast().flatMap { [$0, $0] } + [s[s.count - 1]]
        let doubledTimesteps = [ts[0]] + ts.dropFirst().flatMap { [$0, $0] }
        state.reset(sigmas: doubledSigmas, timesteps: doubledTimesteps)
        firstOrder = nil
    }

    public func step(modelOutput: [Float], timestep: Double, sample: [Float], generator: RandomSource?) throws -> [Float] {
        try LatentMath.check(sample, modelOutput)
        let i = try state.current(for: timestep)
        state.stepIndex = i + 1
        if let previous = firstOrder {
            // Second (corrector) evaluation at sigma_next, averaged with the first derivative.
            let sigmaNext = state.sigmas[i]
            let x0 = clip(EulerMath.predictOriginal(settings.prediction, modelOutput, sample, sigma: sigmaNext))
            firstOrder = nil
            return (0..<sample.count).map { k in
                let derivative = (previous.derivative[k] + (sample[k] - x0[k]) / sigmaNext) / 2
                return previous.sample[k] + derivative * previous.dt
            }
        }
        let sigma = state.sigmas[i], sigmaNext = state.sigmas[i + 1]
        let x0 = clip(EulerMath.predictOriginal(settings.prediction, modelOutput, sample, sigma: sigma))
        let derivative = zip(sample, x0).map { ($0 - $1) / sigma }
        let dt = sigmaNext - sigma
        firstOrder = (derivative, dt, sample)
        return zip(sample, derivative).map { $0 + $1 * dt }
    }

    private func clip(_ x: [Float]) -> [Float] {
        clipSample ? x.map { min(max($0, -clipRange), clipRange) } : x
    }
}
