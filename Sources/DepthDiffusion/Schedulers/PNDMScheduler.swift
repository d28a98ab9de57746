/// Pseudo numerical methods for diffusion models; reproduces diffusers `PNDMScheduler`, including
/// the Runge–Kutta warm-up (`skip_prk_steps=False`) and the linear multistep (PLMS) state machine.
public final class PNDMScheduler: AlphaSampler, Scheduler {
    private let skipPrkSteps: Bool
    private var prkTimesteps: [Int] = []
    private var counter = 0
    private var ets: [[Float]] = []
    private var curModelOutput: [Float]?
    private var curSample: [Float]?

    /// Creates the scheduler from a `scheduler_config.json` configuration (diffusers defaults for absent keys).
    public init(config: SchedulerConfig) throws {
        skipPrkSteps = config.skipPrkSteps ?? false
        try super.init(config: config, setAlphaToOne: false)
    }

    public func setTimesteps(_ steps: Int) throws {
        let base = try startSchedule(steps)
        var all: [Int]
        if skipPrkSteps {
            prkTimesteps = []
            all = Array((Array(base.dropLast()) + Array(base.dropLast().suffix(1)) + Array(base.suffix(1))).reversed())
        } else {
            let half = alphas.schedule.trainSteps / steps / 2
            let pairs = base.suffix(4).flatMap { [$0, $0 + half] }
            let doubled = pairs.dropLast().flatMap { [$0, $0] }
            prkTimesteps = Array(doubled.dropFirst().dropLast().reversed())
            all = prkTimesteps + base.dropLast(3).reversed()
        }
        timesteps = all.map(Double.init)
        ets = []
        counter = 0
        curModelOutput = nil
        curSample = nil
    }

    public func step(modelOutput: [Float], timestep: Double, sample: [Float], generator: RandomSource?) throws -> [Float] {
        guard stepsCount > 0 else { throw SchedulerError.timestepsNotSet }
        try LatentMath.check(sample, modelOutput)
        if counter < prkTimesteps.count && !skipPrkSteps {
            return try stepPRK(modelOutput, LatentMath.integerTimestep(timestep), sample)
        }
        return try stepPLMS(modelOutput, LatentMath.integerTimestep(timestep), sample)
    }

    private func stepPRK(_ modelOutput: [Float], _ timestep: Int, _ sample: [Float]) throws -> [Float] {
        let diffToPrev = counter % 2 == 1 ? 0 : alphas.schedule.trainSteps / stepsCount / 2
        let prevTimestep = timestep - diffToPrev
        let t = prkTimesteps[counter / 4 * 4]
        var output = modelOutput
        let sixth = Float(1.0 / 6.0), third = Float(1.0 / 3.0)
        switch counter % 4 {
        case 0:
            curModelOutput = add(curModelOutput, modelOutput.map { sixth * $0 })
            ets.append(modelOutput)
            curSample = sample
        case 1, 2:
            curModelOutput = add(curModelOutput, modelOutput.map { third * $0 })
        default:
            output = add(curModelOutput, modelOutput.map { sixth * $0 })
            curModelOutput = nil
        }
        let prev = previousSample(curSample ?? sample, t, prevTimestep, output)
        counter += 1
        return prev
    }

    private func stepPLMS(_ modelOutput: [Float], _ timestep: Int, _ sample: [Float]) throws -> [Float] {
        if !skipPrkSteps && ets.count < 3 {
            throw ConfigError.scheduler("PNDM without skip_prk_steps must run its 12 Runge-Kutta steps first; use the scheduler's own timesteps from the start.")
        }
        let stride = alphas.schedule.trainSteps / stepsCount
        var t = timestep
        var prevTimestep = timestep - stride
        if counter != 1 {
            ets = Array(ets.suffix(3))
            ets.append(modelOutput)
        } else {
            prevTimestep = timestep
            t = timestep + stride
        }
        var x = sample
        let e = ets.reversed().map { $0 }  // e[0] = ets[-1]
        let n = modelOutput.count
        var output: [Float]
        if ets.count == 1 && counter == 0 {
            output = modelOutput
            curSample = sample
        } else if ets.count == 1 && counter == 1 {
            output = (0..<n).map { (modelOutput[$0] + e[0][$0]) / 2 }
            x = curSample ?? sample
            curSample = nil
        } else if ets.count == 2 {
            output = (0..<n).map { (3 * e[0][$0] - e[1][$0]) / 2 }
        } else if ets.count == 3 {
            output = (0..<n).map { (23 * e[0][$0] - 16 * e[1][$0] + 5 * e[2][$0]) / 12 }
        } else {
            let c = Float(1.0 / 24.0)
            output = (0..<n).map { c * (55 * e[0][$0] - 59 * e[1][$0] + 37 * e[2][$0] - 9 * e[3][$0]) }
        }
        let prev = previousSample(x, t, prevTimestep, output)
        counter += 1
        return prev
    }

    /// diffusers `_get_prev_sample` (formula (9) of the PNDM paper) in float32.
    private func previousSample(_ sample: [Float], _ t: Int, _ prevT: Int, _ modelOutput: [Float]) -> [Float] {
        let at = alphas.alphaProduct(t), aPrev = alphas.alphaProduct(prevT)
        let bt = 1 - at, bPrev = 1 - aPrev
        var eps = modelOutput
        if prediction == .vPrediction {
            let sa = at.squareRoot(), sb = bt.squareRoot()
            eps = zip(modelOutput, sample).map { sa * $0 + sb * $1 }
        }
        let sampleCoeff = (aPrev / at).squareRoot()
        let denom = at * bPrev.squareRoot() + (at * bt * aPrev).squareRoot()
        let diff = aPrev - at
        return zip(sample, eps).map { sampleCoeff * $0 - diff * $1 / denom }
    }

    private func add(_ a: [Float]?, _ b: [Float]) -> [Float] {
        guard let a else { return b }
        return zip(a, b).map { $0 + $1 }
    }
}
