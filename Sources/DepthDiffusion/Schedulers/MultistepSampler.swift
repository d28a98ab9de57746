/// What the multistep samplers (DPM-Solver++ 2M, UniPC) share: the sigma schedule (an unknown timestep maps to
/// the last index, as in diffusers), the settings both read from `scheduler_config.json`, the history of
/// converted model outputs, and the ``Scheduler`` requirements that only depend on them. Each sampler
/// subclasses it and adds its `setTimesteps` and `step`. Not subclassable outside the package.
public class MultistepSampler {
    var state = SigmaSchedule()
    let settings: SigmaSchedulerSettings
    /// `solver_order`.
    let solverOrder: Int
    /// `lower_order_final`: lower orders for the last steps.
    let lowerOrderFinal: Bool
    /// `final_sigmas_type`: whether the schedule ends at sigma 0 (else at the smallest training sigma).
    let finalSigmaIsZero: Bool
    let thresholding: DynamicThresholding
    /// The converted model outputs of the last `solverOrder` steps, oldest first.
    var modelOutputs: [[Float]] = []
    /// Steps taken so far, up to `solverOrder` (diffusers `lower_order_nums`).
    var lowerOrderNums = 0

    /// Reads the shared settings; `solverOrders` are the `solver_order` values the sampler implements.
    init(config: SchedulerConfig, solverOrders: ClosedRange<Int>) throws {
        settings = try SigmaSchedulerSettings(config: config)
        solverOrder = config.solverOrder ?? 2
        guard solverOrders.contains(solverOrder) else {
            throw ConfigError.scheduler("solver_order \(solverOrder) is not supported; use a value in \(solverOrders).")
        }
        lowerOrderFinal = config.lowerOrderFinal ?? true
        finalSigmaIsZero = try !SigmaSchedulerSettings.finalSigmaIsMin(config)
        thresholding = DynamicThresholding(config: config)
        state.unknownTimestepMapsToLast = true
    }

    /// Installs a new schedule and forgets the solver history.
    func reset(sigmas: [Float], timesteps: [Double]) {
        state.reset(sigmas: sigmas, timesteps: timesteps)
        modelOutputs = []
        lowerOrderNums = 0
    }

    /// The schedule of `steps` steps before each solver rounds it: the multistep timesteps with their sigmas
    /// interpolated from the training sigmas or, with Karras sigmas, the Karras sigmas (between the ends of the
    /// training sigmas, or `sigma_min` / `sigma_max` where `sigmaBounds`) and their fractional timesteps.
    func multistepSchedule(_ steps: Int, sigmaBounds: Bool) throws -> (sigmas: [Double], timesteps: [Double]) {
        let timesteps = try settings.multistepTimesteps(steps)
        let train = settings.schedule.trainSigmas
        guard settings.useKarras else { return (timesteps.map { NumPyCompat.interp($0, train) }, timesteps) }
        let low = Double(train[0]), high = Double(train[train.count - 1])
        return settings.karras(steps, low: sigmaBounds ? settings.sigmaMin ?? low : low,
                               high: sigmaBounds ? settings.sigmaMax ?? high : high)
    }

    /// Appends a converted model output to the history, keeping the last `solverOrder`.
    func remember(_ output: [Float]) {
        modelOutputs.append(output)
        if modelOutputs.count > solverOrder { modelOutputs.removeFirst() }
    }

    /// The current inference timesteps (empty until `setTimesteps`).
    public var timesteps: [Double] { state.timesteps }
    /// Standard deviation of the initial noise: 1 for these samplers.
    public var initNoiseSigma: Float { 1 }

    /// Sets the index of the first timestep that will be used (diffusers `set_begin_index`).
    public func setBeginIndex(_ index: Int) { state.beginIndex = index }

    /// These samplers do not scale the model input.
    public func scaleModelInput(_ sample: [Float], timestep: Double) throws -> [Float] { sample }

    /// `alpha · original + sigma · noise` at the sigma of `timestep` (diffusers `add_noise`).
    public func addNoise(original: [Float], noise: [Float], timestep: Double) throws -> [Float] {
        try LatentMath.check(original, noise)
        let (alpha, sigma) = alphaSigma(state.sigmas[try state.noiseIndex(for: timestep)])
        return zip(original, noise).map { alpha * $0 + sigma * $1 }
    }
}
