/// What the denoising model predicts (diffusers `prediction_type`).
public enum PredictionType: String, CaseIterable, Sendable {
    /// The model predicts the added noise.
    case epsilon
    /// The model predicts the velocity `v = alpha_t * noise - sigma_t * x0` (Stable Diffusion 2 768-v models).
    case vPrediction = "v_prediction"

    /// Parses `prediction_type`, defaulting to `epsilon` when absent.
    static func parse(_ value: String?) throws -> PredictionType {
        guard let value else { return .epsilon }
        guard let parsed = PredictionType(rawValue: value) else {
            throw ConfigError.schedulerOption(key: "prediction_type", value: value,
                                                  supported: PredictionType.allCases.map(\.rawValue))
        }
        return parsed
    }
}

/// How inference timesteps are spread over the training timesteps (diffusers `timestep_spacing`).
public enum TimestepSpacing: String, CaseIterable, Sendable {
    /// `arange(0, N) * (T // N) + steps_offset` (Stable Diffusion 1/2 default).
    case leading
    /// Evenly spaced, ending exactly at the last training timestep `T - 1`.
    case trailing
    /// `linspace(0, T - 1, N)` (rounded where the scheduler uses integer timesteps).
    case linspace

    /// Parses `timestep_spacing`, using the scheduler's diffusers default when absent.
    static func parse(_ value: String?, default defaultValue: TimestepSpacing) throws -> TimestepSpacing {
        guard let value else { return defaultValue }
        guard let parsed = TimestepSpacing(rawValue: value) else {
            throw ConfigError.schedulerOption(key: "timestep_spacing", value: value,
                                                  supported: TimestepSpacing.allCases.map(\.rawValue))
        }
        return parsed
    }
}
