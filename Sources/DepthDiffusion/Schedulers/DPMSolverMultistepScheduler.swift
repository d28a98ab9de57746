import Foundation

/// DPM-Solver++ multistep sampler (order 1 or 2, midpoint or heun); reproduces diffusers
/// `DPMSolverMultistepScheduler` with `algorithm_type="dpmsolver++"`, optionally with Karras sigmas
/// (`dpm++2m` / `dpm++2m-karras`).
public final class DPMSolverMultistepScheduler: MultistepSampler, Scheduler {
    public let order = 1
    private let heunSolver: Bool
    private let eulerAtFinal: Bool

    /// Creates the scheduler from a `scheduler_config.json` configuration (diffusers defaults for absent keys).
    public init(config: SchedulerConfig) throws {
        let algorithm = config.algorithmType ?? "dpmsolver++"
        guard algorithm == "dpmsolver++" || algorithm == "deis" else {
            throw ConfigError.schedulerOption(key: "algorithm_type", value: algorithm, supported: ["dpmsolver++"])
        }
        switch config.solverType ?? "midpoint" {
        case "midpoint", "logrho", "bh1", "bh2": heunSolver = false
        case "heun": heunSolver = true
        case let other: throw ConfigError.schedulerOption(key: "solver_type", value: other, supported: ["midpoint", "heun"])
        }
        eulerAtFinal = config.eulerAtFinal ?? false
        try super.init(config: config, solverOrders: 1...2)
    }

    public func setTimesteps(_ steps: Int) throws {
        let schedule = try multistepSchedule(steps, sigmaBounds: false)
        var ts = schedule.timesteps
        if settings.useKarras {
            // diffusers rounds Karras timesteps (except for squaredcos_cap_v2), then casts to int64 (truncation).
            ts = ts.map { (settings.schedule.isCosine ? $0 : NumPyCompat.round($0)).rounded(.towardZero) }
        }
        let last: Double = finalSigmaIsZero ? 0 : Double(settings.schedule.trainSigmas[0])
        reset(sigmas: (schedule.sigmas + [last]).map { Float($0) }, timesteps: ts)
    }

    public func step(modelOutput: [Float], timestep: Double, sample: [Float], generator: RandomSource?) throws -> [Float] {
        try LatentMath.check(sample, modelOutput)
        let i = try state.current(for: timestep)
        let count = state.timesteps.count
        let finalStep = i == count - 1 && (eulerAtFinal || (lowerOrderFinal && count < 15) || finalSigmaIsZero)

        let (alphaS0, sigmaS0) = alphaSigma(state.sigmas[i])
        var x0: [Float]
        switch settings.prediction {
        case .epsilon: x0 = zip(sample, modelOutput).map { ($0 - sigmaS0 * $1) / alphaS0 }
        case .vPrediction: x0 = zip(sample, modelOutput).map { alphaS0 * $0 - sigmaS0 * $1 }
        }
        x0 = thresholding.apply(x0)
        remember(x0)

        let target = alphaSigma(state.sigmas[i + 1])
        let h = logSNRHalf(target) - logSNRHalf((alphaS0, sigmaS0))
        let c1 = target.sigma / sigmaS0
        let phi = target.alpha * (Foundation.exp(-h) - 1)
        var prev: [Float]
        if solverOrder == 1 || lowerOrderNums < 1 || finalStep {
            prev = zip(sample, x0).map { c1 * $0 - phi * $1 }
        } else {
            let lambdaS1 = logSNRHalf(alphaSigma(state.sigmas[i - 1]))
            let h0 = logSNRHalf((alphaS0, sigmaS0)) - lambdaS1
            let r0 = h0 / h
            let m0 = modelOutputs[modelOutputs.count - 1], m1 = modelOutputs[modelOutputs.count - 2]
            let inverseR0 = 1 / r0
            let d1 = zip(m0, m1).map { inverseR0 * ($0 - $1) }
            if heunSolver {
                let c3 = target.alpha * ((Foundation.exp(-h) - 1) / h + 1)
                prev = (0..<sample.count).map { c1 * sample[$0] - phi * m0[$0] + c3 * d1[$0] }
            } else {
                let c3 = 0.5 * phi
                prev = (0..<sample.count).map { c1 * sample[$0] - phi * m0[$0] - c3 * d1[$0] }
            }
        }
        if lowerOrderNums < solverOrder { lowerOrderNums += 1 }
        state.stepIndex = i + 1
        return prev
    }
}
