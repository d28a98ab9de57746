/// Range checks on the numbers of a scheduler configuration, run when a scheduler is built from it: values
/// that diffusers would turn into NaN, index errors or overflow are refused with a ``ConfigError``.
extension SchedulerConfig {
    /// The most training timesteps a schedule may have (released models use 1000).
    static let maximumTrainTimesteps = 100_000

    /// Throws ``ConfigError/inconsistent(component:detail:)`` for an out-of-range value.
    func validateRanges() throws {
        let trainSteps = numTrainTimesteps ?? 1000
        guard (2...Self.maximumTrainTimesteps).contains(trainSteps) else {
            throw ConfigError.scheduler("num_train_timesteps is \(trainSteps); it must be between 2 and \(Self.maximumTrainTimesteps)")
        }
        if let offset = stepsOffset, !(0..<trainSteps).contains(offset) {
            throw ConfigError.scheduler("steps_offset is \(offset); it must be between 0 and num_train_timesteps - 1 = \(trainSteps - 1) (Stable Diffusion uses 1)")
        }
        for (name, beta) in [("beta_start", betaStart), ("beta_end", betaEnd)] {
            if let beta, !(beta >= 0 && beta < 1) {
                throw ConfigError.scheduler("\(name) is \(beta); it must be in [0, 1)")
            }
        }
        if let betas = trainedBetas, let bad = betas.first(where: { !($0 >= 0 && $0 < 1) }) {
            throw ConfigError.scheduler("trained_betas holds \(bad); every beta must be in [0, 1)")
        }
        if let ratio = dynamicThresholdingRatio, !(ratio >= 0 && ratio <= 1) {
            throw ConfigError.scheduler("dynamic_thresholding_ratio is \(ratio); it is a quantile and must be in [0, 1] (diffusers uses 0.995)")
        }
        for (name, value) in [("sample_max_value", sampleMaxValue), ("clip_sample_range", clipSampleRange),
                              ("sigma_min", sigmaMin), ("sigma_max", sigmaMax)] {
            if let value, !(value.isFinite && value > 0) {
                throw ConfigError.scheduler("\(name) is \(value); it must be a positive number")
            }
        }
        if let eta, !(eta.isFinite && eta >= 0) {
            throw ConfigError.scheduler("eta is \(eta); it must be a number ≥ 0")
        }
    }
}
