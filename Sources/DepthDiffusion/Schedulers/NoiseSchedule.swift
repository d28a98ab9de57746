import Foundation

/// The training noise schedule shared by all schedulers: betas and cumulative alpha products,
/// computed with the same float32/float64 precision as diffusers (torch float32 tensors).
struct NoiseSchedule {
    let trainSteps: Int
    /// `alphas_cumprod` (float32, index = training timestep).
    let alphasCumprod: [Float]
    /// Whether the betas come from `squaredcos_cap_v2` (some schedulers then keep fractional timesteps).
    let isCosine: Bool

    /// Builds the schedule from a config, using `defaultBetaStart`/`defaultBetaEnd` and `linear`
    /// when the config omits them (each diffusers class has its own defaults).
    init(config: SchedulerConfig, defaultBetaStart: Double = 0.0001, defaultBetaEnd: Double = 0.02) throws {
        try config.validateRanges()
        let n = config.numTrainTimesteps ?? 1000
        guard n >= 2 else { throw ConfigError.scheduler("num_train_timesteps must be at least 2 (got \(n)).") }
        if config.rescaleBetasZeroSnr == true {
            throw ConfigError.scheduler("rescale_betas_zero_snr is not supported; remove it or set it to false.")
        }
        let start = config.betaStart ?? defaultBetaStart
        let end = config.betaEnd ?? defaultBetaEnd
        let betas: [Float]
        if let trained = config.trainedBetas {
            guard trained.count == n else {
                throw ConfigError.scheduler("trained_betas has \(trained.count) values but num_train_timesteps is \(n).")
            }
            betas = trained.map { Float($0) }
        } else {
            switch config.betaSchedule ?? "linear" {
            case "linear":
                betas = Self.torchLinspace(Float(start), Float(end), n)
            case "scaled_linear":
                betas = Self.torchLinspace(Float(start.squareRoot()), Float(end.squareRoot()), n).map { $0 * $0 }
            case "squaredcos_cap_v2":
                betas = Self.cosineBetas(n)
            case let other:
                throw ConfigError.schedulerOption(key: "beta_schedule", value: other,
                                                      supported: ["linear", "scaled_linear", "squaredcos_cap_v2"])
            }
        }
        // torch.cumprod on float32 accumulates in double on the CPU.
        var product = 1.0
        alphasCumprod = betas.map { beta in
            product *= Double(1 - beta)
            return Float(product)
        }
        trainSteps = n
        isCosine = config.trainedBetas == nil && config.betaSchedule == "squaredcos_cap_v2"
    }

    /// `((1 - alphas_cumprod) / alphas_cumprod) ** 0.5` in float32 (ascending with the training timestep).
    var trainSigmas: [Float] { alphasCumprod.map { ((1 - $0) / $0).squareRoot() } }

    /// `torch.linspace(start, end, n, dtype=float32)` on the CPU (two-sided, with fused multiply-add).
    static func torchLinspace(_ start: Float, _ end: Float, _ n: Int) -> [Float] {
        guard n > 1 else { return [start] }
        let step = (end - start) / Float(n - 1)
        let halfway = n / 2
        return (0..<n).map { i in
            i < halfway ? start.addingProduct(step, Float(i)) : end.addingProduct(-step, Float(n - i - 1))
        }
    }

    /// diffusers `betas_for_alpha_bar` with the cosine transform (`squaredcos_cap_v2`).
    static func cosineBetas(_ n: Int, maxBeta: Double = 0.999) -> [Float] {
        func alphaBar(_ t: Double) -> Double {
            let c = cos((t + 0.008) / 1.008 * Double.pi / 2)
            return c * c
        }
        return (0..<n).map { i in
            let t1 = Double(i) / Double(n), t2 = Double(i + 1) / Double(n)
            return Float(min(1 - alphaBar(t2) / alphaBar(t1), maxBeta))
        }
    }
}

/// numpy-compatible helpers used to build inference schedules in float64.
enum NumPyCompat {
    /// `np.linspace(start, stop, num)` (float64, endpoint included).
    static func linspace(_ start: Double, _ stop: Double, _ num: Int) -> [Double] {
        guard num > 1 else { return num == 1 ? [start] : [] }
        let step = (stop - start) / Double(num - 1)
        var values = (0..<num).map { Double($0) * step + start }
        values[num - 1] = stop
        return values
    }

    /// `np.arange(start, stop, step)` for a negative step (float64).
    static func arangeDown(_ start: Double, _ stop: Double, _ step: Double) -> [Double] {
        let count = max(Int(((stop - start) / step).rounded(.up)), 0)
        return (0..<count).map { start + Double($0) * step }
    }

    /// `np.round` (round half to even).
    static func round(_ x: Double) -> Double { x.rounded(.toNearestOrEven) }

    /// `np.interp(x, arange(len(fp)), fp)` with float32 table values.
    static func interp(_ x: Double, _ fp: [Float]) -> Double {
        let last = fp.count - 1
        if x <= 0 { return Double(fp[0]) }
        if x >= Double(last) { return Double(fp[last]) }
        let j = Int(x.rounded(.down))
        if Double(j) == x { return Double(fp[j]) }
        let slope = Double(fp[j + 1]) - Double(fp[j])
        return slope * (x - Double(j)) + Double(fp[j])
    }

    /// diffusers `_sigma_to_t`: the fractional training timestep whose log-sigma matches `sigma`.
    static func sigmaToT(_ sigma: Double, logSigmas: [Float]) -> Double {
        let logSigma = Foundation.log(max(sigma, 1e-10))
        var low = 0
        for (i, value) in logSigmas.enumerated() where logSigma - Double(value) >= 0 { low = i }
        low = min(low, logSigmas.count - 2)
        let lowValue = logSigmas[low], highValue = logSigmas[low + 1]
        var w = (Double(lowValue) - logSigma) / Double(lowValue - highValue)
        w = min(max(w, 0), 1)
        return (1 - w) * Double(low) + w * Double(low + 1)
    }

    /// diffusers `_convert_to_karras` (rho = 7) in float64.
    static func karras(sigmaMin: Double, sigmaMax: Double, count: Int) -> [Double] {
        let rho = 7.0
        let minInv = Foundation.pow(sigmaMin, 1 / rho), maxInv = Foundation.pow(sigmaMax, 1 / rho)
        return linspace(0, 1, count).map { Foundation.pow(maxInv + $0 * (minInv - maxInv), rho) }
    }
}
