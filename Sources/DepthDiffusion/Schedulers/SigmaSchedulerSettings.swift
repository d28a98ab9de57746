import Foundation

/// What the sigma-based schedulers (Euler, Euler a, Heun, LMS, DPM-Solver++ 2M, UniPC) read from
/// `scheduler_config.json` the same way, and the k-diffusion sigma schedule they share.
struct SigmaSchedulerSettings {
    let schedule: NoiseSchedule
    let prediction: PredictionType
    let spacing: TimestepSpacing
    let stepsOffset: Int
    /// `use_karras_sigmas`.
    let useKarras: Bool
    /// `sigma_min` / `sigma_max`: bounds of the Karras schedule where the scheduler honours them.
    let sigmaMin: Double?, sigmaMax: Double?

    /// - Parameters:
    ///   - sigmaOptions: whether the scheduler reads the sigma options (`use_karras_sigmas` and the ones this
    ///     package rejects); diffusers' Euler a ignores them.
    init(config: SchedulerConfig, defaultBetaStart: Double = 0.0001, defaultBetaEnd: Double = 0.02,
         sigmaOptions: Bool = true) throws {
        if sigmaOptions { try rejectUnsupportedSigmaOptions(config) }
        schedule = try NoiseSchedule(config: config, defaultBetaStart: defaultBetaStart, defaultBetaEnd: defaultBetaEnd)
        prediction = try PredictionType.parse(config.predictionType)
        spacing = try TimestepSpacing.parse(config.timestepSpacing, default: .linspace)
        stepsOffset = config.stepsOffset ?? 0
        useKarras = sigmaOptions && (config.useKarrasSigmas ?? false)
        sigmaMin = config.sigmaMin
        sigmaMax = config.sigmaMax
    }

    /// `final_sigmas_type`: `false` for `zero` (the default), `true` for `sigma_min`.
    static func finalSigmaIsMin(_ config: SchedulerConfig) throws -> Bool {
        switch config.finalSigmasType ?? "zero" {
        case "zero": return false
        case "sigma_min": return true
        case let other: throw ConfigError.schedulerOption(key: "final_sigmas_type", value: other, supported: ["zero", "sigma_min"])
        }
    }

    /// The discrete samplers' schedule: `steps` timesteps, their sigmas interpolated from the training sigmas,
    /// and with Karras sigmas the resampled sigmas and their timesteps. `sigmaBounds` applies `sigma_min` /
    /// `sigma_max` to the Karras range (Euler does, LMS and Heun do not).
    func discreteSchedule(_ steps: Int, sigmaBounds: Bool) throws -> (sigmas: [Double], timesteps: [Double]) {
        var timesteps = try SigmaSchedule.discreteTimesteps(steps, trainSteps: schedule.trainSteps, spacing: spacing,
                                                            stepsOffset: stepsOffset)
        let train = schedule.trainSigmas
        var sigmas = timesteps.map { NumPyCompat.interp($0, train) }
        if useKarras {
            let low = sigmaBounds ? sigmaMin ?? sigmas[sigmas.count - 1] : sigmas[sigmas.count - 1]
            let high = sigmaBounds ? sigmaMax ?? sigmas[0] : sigmas[0]
            let karras = karras(steps, low: low, high: high)
            sigmas = karras.sigmas
            timesteps = karras.timesteps.map { Double(Float($0)) }
        }
        return (sigmas, timesteps)
    }

    /// `steps` Karras sigmas from `low` to `high` (diffusers' `_convert_to_karras`, rho 7) and the fractional
    /// training timesteps they fall on (`_sigma_to_t`), before each scheduler rounds them its own way.
    func karras(_ steps: Int, low: Double, high: Double) -> (sigmas: [Double], timesteps: [Double]) {
        let sigmas = NumPyCompat.karras(sigmaMin: low, sigmaMax: high, count: steps)
        let logSigmas = schedule.trainSigmas.map { Foundation.log($0) }
        return (sigmas, sigmas.map { NumPyCompat.sigmaToT($0, logSigmas: logSigmas) })
    }

    /// The multistep solvers' (DPM-Solver++, UniPC) timesteps before any Karras resampling.
    func multistepTimesteps(_ steps: Int) throws -> [Double] {
        try SigmaSchedule.multistepTimesteps(steps, trainSteps: schedule.trainSteps, spacing: spacing, stepsOffset: stepsOffset)
    }
}

extension SigmaSchedule {
    /// `original + noise · σ` at the timestep's sigma: the k-diffusion samplers' `add_noise`.
    func addScaledNoise(original: [Float], noise: [Float], timestep: Double) throws -> [Float] {
        try LatentMath.check(original, noise)
        let sigma = sigmas[try noiseIndex(for: timestep)]
        return zip(original, noise).map { $0 + $1 * sigma }
    }
}
