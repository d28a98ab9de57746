/// What the alpha-based schedulers (DDIM, PNDM) share: the settings both read from `scheduler_config.json` the
/// same way, their integer timesteps, and the ``Scheduler`` requirements that only depend on them. Each scheduler
/// subclasses it and adds its `setTimesteps` and `step`. Not subclassable outside the package.
public class AlphaSampler {
    let alphas: AlphaSchedule
    let prediction: PredictionType
    let spacing: TimestepSpacing
    let stepsOffset: Int
    /// The step count of the last schedule (0 before `setTimesteps`).
    var stepsCount = 0
    /// Model evaluations per timestep: 1 for these schedulers.
    public var order: Int { 1 }
    /// The current inference timesteps (empty until `setTimesteps`).
    public internal(set) var timesteps: [Double] = []
    /// Standard deviation of the initial noise: 1 for these schedulers.
    public var initNoiseSigma: Float { 1 }

    /// Reads the shared settings; `setAlphaToOne` is the scheduler's default for `set_alpha_to_one`
    /// (diffusers: DDIM `true`, PNDM `false`).
    init(config: SchedulerConfig, setAlphaToOne: Bool) throws {
        alphas = AlphaSchedule(schedule: try NoiseSchedule(config: config), setAlphaToOne: config.setAlphaToOne ?? setAlphaToOne)
        prediction = try PredictionType.parse(config.predictionType)
        spacing = try TimestepSpacing.parse(config.timestepSpacing, default: .leading)
        stepsOffset = config.stepsOffset ?? 0
    }

    /// The integer inference timesteps for `steps` steps in ascending order; records `steps` as ``stepsCount``.
    func startSchedule(_ steps: Int) throws -> [Int] {
        let ascending = try alphas.ascendingTimesteps(steps, spacing: spacing, stepsOffset: stepsOffset)
        stepsCount = steps
        return ascending
    }

    /// These schedulers have no per-step index.
    public func setBeginIndex(_ index: Int) {}

    /// These schedulers do not scale the model input.
    public func scaleModelInput(_ sample: [Float], timestep: Double) throws -> [Float] { sample }

    /// `sqrt(ᾱ) · original + sqrt(1 - ᾱ) · noise` at `timestep` (diffusers `add_noise`).
    public func addNoise(original: [Float], noise: [Float], timestep: Double) throws -> [Float] {
        try alphas.addNoise(original: original, noise: noise, timestep: timestep)
    }
}
