/// Errors thrown while running a scheduler. Configuration values it does not support or that contradict
/// each other are ``ConfigError``s.
public enum SchedulerError: Error, CustomStringConvertible, Equatable {
    /// The number of inference steps was below 1 or above the number of training timesteps.
    case invalidStepCount(Int, maximum: Int)
    /// `strength` was outside (0, 1].
    case invalidStrength(Double)
    /// `strength` is so small that no denoising step is left.
    case noStepsForStrength(steps: Int, strength: Double)
    /// `step`, `scaleModelInput` or `addNoise` was called before `setTimesteps`.
    case timestepsNotSet
    /// A timestep is not part of the current schedule.
    case unknownTimestep(Double)
    /// Two arrays that must have the same length do not.
    case sizeMismatch(expected: Int, got: Int)
    /// The scheduler needs random noise for this step but no generator was passed.
    case missingGenerator
    /// More `step` calls were made than the schedule has timesteps.
    case scheduleExhausted

    /// A message that says what went wrong and what to do about it.
    public var description: String {
        switch self {
        case let .invalidStepCount(n, maximum):
            return "Invalid number of inference steps \(n): use a value between 1 and \(maximum)."
        case let .invalidStrength(s):
            return "Invalid strength \(s): use a value greater than 0 and at most 1 (1 = ignore the input image's content)."
        case let .noStepsForStrength(steps, strength):
            return "strength \(strength) with \(steps) steps leaves no denoising step: raise the strength or the number of steps."
        case .timestepsNotSet:
            return "The scheduler has no timesteps yet: call setTimesteps(_:) (or prepareTimesteps(steps:strength:)) first."
        case let .unknownTimestep(t):
            return "Timestep \(t) is not in the scheduler's current schedule: pass one of scheduler.timesteps."
        case let .sizeMismatch(expected, got):
            return "Latent size mismatch: expected \(expected) values, got \(got)."
        case .missingGenerator:
            return "This scheduler adds random noise at every step: pass a RandomSource (e.g. TorchGenerator(seed:))."
        case .scheduleExhausted:
            return "step() was called more times than there are timesteps: call setTimesteps(_:) again to start a new run."
        }
    }
}
