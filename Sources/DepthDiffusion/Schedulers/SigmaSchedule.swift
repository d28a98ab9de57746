import Foundation

/// Inference sigmas and timesteps plus the `step_index` / `begin_index` bookkeeping shared by the
/// sigma-based diffusers schedulers (Euler, Euler ancestral, LMS, Heun, DPM-Solver++, UniPC).
struct SigmaSchedule {
    /// Sigmas for each timestep followed by the final sigma (float32, as diffusers stores them).
    var sigmas: [Float] = []
    var timesteps: [Double] = []
    var stepIndex: Int?
    var beginIndex: Int?
    /// DPM-Solver and UniPC map an unknown timestep to the last index instead of failing.
    var unknownTimestepMapsToLast = false

    /// Installs a new schedule and clears the step/begin indices.
    mutating func reset(sigmas: [Float], timesteps: [Double]) {
        self.sigmas = sigmas
        self.timesteps = timesteps
        stepIndex = nil
        beginIndex = nil
    }

    /// diffusers `index_for_timestep`: the second match when the timestep occurs twice (Heun), else the first.
    func index(for timestep: Double) throws -> Int {
        let matches = timesteps.indices.filter { timesteps[$0] == timestep }
        if matches.isEmpty {
            if unknownTimestepMapsToLast && !timesteps.isEmpty { return timesteps.count - 1 }
            throw SchedulerError.unknownTimestep(timestep)
        }
        return matches.count > 1 ? matches[1] : matches[0]
    }

    /// diffusers `_init_step_index` (when needed), returning the current step index.
    mutating func current(for timestep: Double) throws -> Int {
        guard !timesteps.isEmpty else { throw SchedulerError.timestepsNotSet }
        if stepIndex == nil { stepIndex = try beginIndex ?? index(for: timestep) }
        guard let index = stepIndex, index + 1 < sigmas.count else { throw SchedulerError.scheduleExhausted }
        return index
    }

    /// The sigma index `add_noise` uses: begin index (or current step index) when set, else a lookup.
    func noiseIndex(for timestep: Double) throws -> Int {
        guard !timesteps.isEmpty else { throw SchedulerError.timestepsNotSet }
        if beginIndex == nil { return try index(for: timestep) }
        return stepIndex ?? beginIndex ?? 0
    }

    /// `sample / (sigma**2 + 1) ** 0.5` for the current step (k-diffusion input scaling).
    mutating func scaleInput(_ sample: [Float], timestep: Double) throws -> [Float] {
        let sigma = sigmas[try current(for: timestep)]
        let scale = (sigma * sigma + 1).squareRoot()
        return sample.map { $0 / scale }
    }

    /// `init_noise_sigma` of the k-diffusion schedulers.
    func initNoiseSigma(spacing: TimestepSpacing) -> Float {
        let maxSigma = sigmas.max() ?? 1
        return spacing == .leading ? (maxSigma * maxSigma + 1).squareRoot() : maxSigma
    }

    /// Float32 timesteps of the k-diffusion schedulers (Euler, Euler ancestral, LMS, Heun), descending.
    static func discreteTimesteps(_ n: Int, trainSteps: Int, spacing: TimestepSpacing, stepsOffset: Int) throws -> [Double] {
        guard n >= 1, n <= trainSteps else { throw SchedulerError.invalidStepCount(n, maximum: trainSteps) }
        let values: [Double]
        switch spacing {
        case .linspace:
            values = NumPyCompat.linspace(0, Double(trainSteps - 1), n).reversed()
        case .leading:
            let ratio = trainSteps / n
            values = (0..<n).reversed().map { Double($0 * ratio + stepsOffset) }
        case .trailing:
            values = NumPyCompat.arangeDown(Double(trainSteps), 0, -Double(trainSteps) / Double(n)).map { NumPyCompat.round($0) - 1 }
        }
        return values.map { Double(Float($0)) }
    }

    /// Integer timesteps of DPM-Solver / UniPC (`num_inference_steps + 1` grid, last point dropped), descending.
    static func multistepTimesteps(_ n: Int, trainSteps: Int, spacing: TimestepSpacing, stepsOffset: Int) throws -> [Double] {
        guard n >= 1, n <= trainSteps else { throw SchedulerError.invalidStepCount(n, maximum: trainSteps) }
        switch spacing {
        case .linspace:
            return NumPyCompat.linspace(0, Double(trainSteps - 1), n + 1).reversed().dropLast().map { NumPyCompat.round($0) }
        case .leading:
            let ratio = trainSteps / (n + 1)
            return (1...n).reversed().map { Double($0 * ratio + stepsOffset) }
        case .trailing:
            let ratio = Double(trainSteps) / Double(n)
            return NumPyCompat.arangeDown(Double(trainSteps), 0, -ratio).map { NumPyCompat.round($0) - 1 }
        }
    }
}

/// The `sigma -> (alpha_t, sigma_t)` conversion of the multistep solvers, in float32.
func alphaSigma(_ sigma: Float) -> (alpha: Float, sigma: Float) {
    let alpha = 1 / (sigma * sigma + 1).squareRoot()
    return (alpha, sigma * alpha)
}

/// `log(alpha_t) - log(sigma_t)` in float32.
func logSNRHalf(_ pair: (alpha: Float, sigma: Float)) -> Float {
    Foundation.log(pair.alpha) - Foundation.log(pair.sigma)
}

/// Rejects sigma options this package does not implement.
func rejectUnsupportedSigmaOptions(_ config: SchedulerConfig) throws {
    if config.useExponentialSigmas == true || config.useBetaSigmas == true {
        throw ConfigError.scheduler("use_exponential_sigmas / use_beta_sigmas are not supported; use use_karras_sigmas or neither.")
    }
    if let type = config.timestepType, type != "discrete" {
        throw ConfigError.schedulerOption(key: "timestep_type", value: type, supported: ["discrete"])
    }
}
