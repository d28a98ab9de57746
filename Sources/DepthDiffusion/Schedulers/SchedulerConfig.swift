import Foundation

/// The subset of a diffusers `scheduler_config.json` that the schedulers understand.
///
/// Every field is optional: `nil` means "absent from the file", and each scheduler then uses its own
/// diffusers default, exactly like `SchedulerClass.from_config(config_dict)`. Unknown keys are ignored.
/// Fields are `var`, so `from_config(..., key=value)`-style overrides are plain assignments
/// (see also ``overriding(predictionType:timestepSpacing:useKarrasSigmas:)``).
public struct SchedulerConfig: Codable, Equatable, Sendable {
    /// `num_train_timesteps` (default 1000).
    public var numTrainTimesteps: Int?
    /// `beta_start` (class default, usually 0.0001).
    public var betaStart: Double?
    /// `beta_end` (class default, usually 0.02).
    public var betaEnd: Double?
    /// `linear`, `scaled_linear` or `squaredcos_cap_v2`.
    public var betaSchedule: String?
    /// `trained_betas`: explicit betas that replace `beta_schedule`.
    public var trainedBetas: [Double]?
    /// `epsilon` or `v_prediction`.
    public var predictionType: String?
    /// `leading`, `trailing` or `linspace`.
    public var timestepSpacing: String?
    /// `steps_offset`, added to `leading` timesteps (SD configs use 1).
    public var stepsOffset: Int?
    /// `skip_prk_steps` (PNDM): skip the Runge–Kutta warm-up.
    public var skipPrkSteps: Bool?
    /// `set_alpha_to_one` (PNDM, DDIM): alpha product used after the last step.
    public var setAlphaToOne: Bool?
    /// `clip_sample` (DDIM, Heun): clamp the predicted x0.
    public var clipSample: Bool?
    /// `clip_sample_range` (default 1).
    public var clipSampleRange: Double?
    /// `thresholding` (DDIM, DPM-Solver, UniPC): dynamic thresholding of x0.
    public var thresholding: Bool?
    /// `dynamic_thresholding_ratio` (default 0.995).
    public var dynamicThresholdingRatio: Double?
    /// `sample_max_value` (default 1).
    public var sampleMaxValue: Double?
    /// `use_karras_sigmas` (Euler, LMS, Heun, DPM-Solver, UniPC).
    public var useKarrasSigmas: Bool?
    /// `use_exponential_sigmas` (not supported; must be absent or false).
    public var useExponentialSigmas: Bool?
    /// `use_beta_sigmas` (not supported; must be absent or false).
    public var useBetaSigmas: Bool?
    /// `rescale_betas_zero_snr` (not supported; must be absent or false).
    public var rescaleBetasZeroSnr: Bool?
    /// `solver_order` (DPM-Solver: 1–2, UniPC: 1–3; default 2).
    public var solverOrder: Int?
    /// `algorithm_type` (DPM-Solver: only `dpmsolver++`).
    public var algorithmType: String?
    /// `solver_type` (DPM-Solver: `midpoint`/`heun`; UniPC: `bh1`/`bh2`).
    public var solverType: String?
    /// `lower_order_final` (DPM-Solver, UniPC; default true).
    public var lowerOrderFinal: Bool?
    /// `euler_at_final` (DPM-Solver; default false).
    public var eulerAtFinal: Bool?
    /// `final_sigmas_type`: `zero` (default) or `sigma_min`.
    public var finalSigmasType: String?
    /// `interpolation_type` (Euler): only `linear`.
    public var interpolationType: String?
    /// `timestep_type` (Euler): only `discrete`.
    public var timestepType: String?
    /// `predict_x0` (UniPC; default true).
    public var predictX0: Bool?
    /// `disable_corrector` (UniPC): step indices without the corrector.
    public var disableCorrector: [Int]?
    /// `sigma_min` (Euler, UniPC with Karras sigmas): overrides the smallest sigma.
    public var sigmaMin: Double?
    /// `sigma_max` (Euler, UniPC with Karras sigmas): overrides the largest sigma.
    public var sigmaMax: Double?
    /// Not a diffusers config key: the DDIM `eta` passed to `step` (0 = deterministic DDIM).
    public var eta: Double?
    /// `_class_name`: the diffusers scheduler class the file was written for (e.g. `PNDMScheduler`).
    public var className: String?

    enum CodingKeys: String, CodingKey {
        case numTrainTimesteps = "num_train_timesteps", betaStart = "beta_start", betaEnd = "beta_end"
        case betaSchedule = "beta_schedule", trainedBetas = "trained_betas", predictionType = "prediction_type"
        case timestepSpacing = "timestep_spacing", stepsOffset = "steps_offset", skipPrkSteps = "skip_prk_steps"
        case setAlphaToOne = "set_alpha_to_one", clipSample = "clip_sample", clipSampleRange = "clip_sample_range"
        case thresholding, dynamicThresholdingRatio = "dynamic_thresholding_ratio", sampleMaxValue = "sample_max_value"
        case useKarrasSigmas = "use_karras_sigmas", useExponentialSigmas = "use_exponential_sigmas"
        case useBetaSigmas = "use_beta_sigmas", rescaleBetasZeroSnr = "rescale_betas_zero_snr"
        case solverOrder = "solver_order", algorithmType = "algorithm_type", solverType = "solver_type"
        case lowerOrderFinal = "lower_order_final", eulerAtFinal = "euler_at_final"
        case finalSigmasType = "final_sigmas_type", interpolationType = "interpolation_type"
        case timestepType = "timestep_type", predictX0 = "predict_x0", disableCorrector = "disable_corrector"
        case sigmaMin = "sigma_min", sigmaMax = "sigma_max", eta, className = "_class_name"
    }

    /// An empty configuration: every scheduler uses its diffusers defaults.
    public init() {}

    /// The `scheduler_config.json` of `stabilityai/stable-diffusion-2-depth` (a `PNDMScheduler`).
    public static let stableDiffusion2Depth: SchedulerConfig = {
        var c = SchedulerConfig()
        c.numTrainTimesteps = 1000
        c.betaStart = 0.00085
        c.betaEnd = 0.012
        c.betaSchedule = "scaled_linear"
        c.predictionType = "epsilon"
        c.skipPrkSteps = true
        c.stepsOffset = 1
        c.setAlphaToOne = false
        c.clipSample = false
        c.className = "PNDMScheduler"
        return c
    }()

    /// Parses JSON data in the `scheduler_config.json` format.
    public init(data: Data) throws {
        self = try ConfigFile.decode(SchedulerConfig.self, data: data, file: "scheduler_config.json", keys: .declared)
    }

    /// Reads a `scheduler_config.json` file (or the `scheduler` folder that holds it).
    public init(contentsOf url: URL) throws {
        self = try ConfigFile.decode(SchedulerConfig.self, from: url, defaultName: "scheduler_config.json", keys: .declared)
    }

    /// Returns a copy with the given `from_config`-style overrides applied (nil keeps the current value).
    public func overriding(predictionType: String? = nil, timestepSpacing: String? = nil,
                           useKarrasSigmas: Bool? = nil) -> SchedulerConfig {
        var copy = self
        if let predictionType { copy.predictionType = predictionType }
        if let timestepSpacing { copy.timestepSpacing = timestepSpacing }
        if let useKarrasSigmas { copy.useKarrasSigmas = useKarrasSigmas }
        return copy
    }
}
