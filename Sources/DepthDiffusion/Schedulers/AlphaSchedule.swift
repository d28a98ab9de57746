/// Shared pieces of the schedulers that work on `alphas_cumprod` directly (PNDM, DDIM).
struct AlphaSchedule {
    let schedule: NoiseSchedule
    /// `final_alpha_cumprod`: 1 with `set_alpha_to_one`, else `alphas_cumprod[0]`.
    let finalAlphaCumprod: Float

    init(schedule: NoiseSchedule, setAlphaToOne: Bool) {
        self.schedule = schedule
        finalAlphaCumprod = setAlphaToOne ? 1 : schedule.alphasCumprod[0]
    }

    /// `alphas_cumprod[t]`, or `final_alpha_cumprod` for negative t.
    func alphaProduct(_ t: Int) -> Float {
        t >= 0 ? schedule.alphasCumprod[min(t, schedule.trainSteps - 1)] : finalAlphaCumprod
    }

    /// The integer inference timesteps of PNDM/DDIM (`leading`, `trailing`, `linspace`), in ascending order.
    func ascendingTimesteps(_ n: Int, spacing: TimestepSpacing, stepsOffset: Int) throws -> [Int] {
        let trainSteps = schedule.trainSteps
        guard n >= 1, n <= trainSteps else { throw SchedulerError.invalidStepCount(n, maximum: trainSteps) }
        switch spacing {
        case .linspace:
            return NumPyCompat.linspace(0, Double(trainSteps - 1), n).map { Int(NumPyCompat.round($0)) }
        case .leading:
            let ratio = trainSteps / n
            return (0..<n).map { $0 * ratio + stepsOffset }
        case .trailing:
            let ratio = Double(trainSteps) / Double(n)
            return NumPyCompat.arangeDown(Double(trainSteps), 0, -ratio).map { Int(NumPyCompat.round($0)) - 1 }.reversed()
        }
    }

    /// `add_noise`: `sqrt(a_t) * x0 + sqrt(1 - a_t) * noise` in float32.
    func addNoise(original: [Float], noise: [Float], timestep: Double) throws -> [Float] {
        try LatentMath.check(original, noise)
        let t = try LatentMath.integerTimestep(timestep)
        guard t >= 0, t < schedule.trainSteps else { throw SchedulerError.unknownTimestep(timestep) }
        let a = schedule.alphasCumprod[t]
        let sa = a.squareRoot(), sb = (1 - a).squareRoot()
        return zip(original, noise).map { sa * $0 + sb * $1 }
    }
}
