import Foundation

/// UniPC predictor–corrector sampler; reproduces diffusers `UniPCMultistepScheduler` with
/// `solver_type="bh2"` (or `bh1`), `predict_x0`, `lower_order_final`, `disable_corrector` and
/// optional Karras sigmas. `solver_p` is not supported.
public final class UniPCMultistepScheduler: MultistepSampler, Scheduler {
    public let order = 1
    private let bh2: Bool
    private let predictX0: Bool
    private let disableCorrector: Set<Int>
    private var lastSample: [Float]?
    private var thisOrder = 1

    /// Creates the scheduler from a `scheduler_config.json` configuration (diffusers defaults for absent keys).
    public init(config: SchedulerConfig) throws {
        switch config.solverType ?? "bh2" {
        case "bh2", "midpoint", "heun", "logrho": bh2 = true
        case "bh1": bh2 = false
        case let other: throw ConfigError.schedulerOption(key: "solver_type", value: other, supported: ["bh1", "bh2"])
        }
        predictX0 = config.predictX0 ?? true
        disableCorrector = Set(config.disableCorrector ?? [])
        try super.init(config: config, solverOrders: 1...3)
    }

    public func setTimesteps(_ steps: Int) throws {
        let schedule = try multistepSchedule(steps, sigmaBounds: true)
        // With Karras sigmas the schedule ends at the smallest Karras sigma, else at the smallest training sigma.
        let smallest = settings.useKarras ? schedule.sigmas[schedule.sigmas.count - 1] : Double(settings.schedule.trainSigmas[0])
        let ts = settings.useKarras ? schedule.timesteps.map(NumPyCompat.round) : schedule.timesteps
        reset(sigmas: (schedule.sigmas + [finalSigmaIsZero ? 0 : smallest]).map { Float($0) }, timesteps: ts)
        lastSample = nil
    }

    public func step(modelOutput: [Float], timestep: Double, sample: [Float], generator: RandomSource?) throws -> [Float] {
        try LatentMath.check(sample, modelOutput)
        let i = try state.current(for: timestep)
        let converted = convert(modelOutput, sample: sample, sigma: state.sigmas[i])
        var x = sample
        if i > 0, !disableCorrector.contains(i - 1), let last = lastSample {
            x = try update(order: thisOrder, target: i, source: i - 1, history: modelOutputs, x: last,
                           correction: converted)
        }
        remember(converted)
        var order = lowerOrderFinal ? min(solverOrder, state.timesteps.count - i) : solverOrder
        order = min(order, lowerOrderNums + 1)
        thisOrder = order
        lastSample = x
        let prev = try update(order: order, target: i + 1, source: i, history: modelOutputs, x: x, correction: nil)
        if lowerOrderNums < solverOrder { lowerOrderNums += 1 }
        state.stepIndex = i + 1
        return prev
    }

    /// diffusers `convert_model_output`: x0 (predict_x0) or epsilon, in float32.
    private func convert(_ output: [Float], sample: [Float], sigma: Float) -> [Float] {
        let (alpha, sigmaT) = alphaSigma(sigma)
        switch (predictX0, settings.prediction) {
        case (true, .epsilon):
            let x0 = zip(sample, output).map { ($0 - sigmaT * $1) / alpha }
            return thresholding.apply(x0)
        case (true, .vPrediction):
            let x0 = zip(sample, output).map { alpha * $0 - sigmaT * $1 }
            return thresholding.apply(x0)
        case (false, .epsilon):
            return output
        case (false, .vPrediction):
            return zip(output, sample).map { alpha * $0 + sigmaT * $1 }
        }
    }

    /// The UniP predictor (`correction == nil`, diffusers `multistep_uni_p_bh_update`) or the UniC
    /// corrector (`multistep_uni_c_bh_update`, `correction` = the new converted model output), stepping
    /// from sigma index `source` to `target`. `history.last` is the model output at `source`.
    private func update(order: Int, target: Int, source: Int, history: [[Float]], x: [Float],
                        correction: [Float]?) throws -> [Float] {
        let m0 = history[history.count - 1]
        let t = alphaSigma(state.sigmas[target]), s0 = alphaSigma(state.sigmas[source])
        let lambdaS0 = logSNRHalf(s0)
        let h = logSNRHalf(t) - lambdaS0
        var rks: [Float] = []
        var d1s: [[Float]] = []
        if order > 1 {
            for k in 1..<order {
                let mi = history[history.count - 1 - k]
                let rk = (logSNRHalf(alphaSigma(state.sigmas[source - k])) - lambdaS0) / h
                rks.append(rk)
                d1s.append(zip(mi, m0).map { ($0 - $1) / rk })
            }
        }
        rks.append(1)
        let hh = predictX0 ? -h : h
        let hPhi1 = Foundation.expm1(hh)
        var hPhiK = hPhi1 / hh - 1
        var factorial: Float = 1
        let bH = bh2 ? Foundation.expm1(hh) : hh
        var matrix: [[Float]] = []
        var rhs: [Float] = []
        for k in 1...order {
            matrix.append(rks.map { Foundation.pow($0, Float(k - 1)) })
            rhs.append(hPhiK * factorial / bH)
            factorial *= Float(k + 1)
            hPhiK = hPhiK / hh - 1 / factorial
        }
        let c1 = predictX0 ? t.sigma / s0.sigma : t.alpha / s0.alpha
        let c2 = (predictX0 ? t.alpha : t.sigma) * hPhi1
        let c3 = (predictX0 ? t.alpha : t.sigma) * bH
        let base = zip(x, m0).map { c1 * $0 - c2 * $1 }
        if let modelT = correction {
            let rhos: [Float] = order == 1 ? [0.5] : try solve(matrix, rhs)
            var residual = [Float](repeating: 0, count: x.count)
            for (rho, d) in zip(rhos.dropLast(), d1s) {
                for k in residual.indices { residual[k] += rho * d[k] }
            }
            let rhoLast = rhos[rhos.count - 1]
            return (0..<x.count).map { k in
                let correctionTerm = d1s.isEmpty ? rhoLast * (modelT[k] - m0[k]) : residual[k] + rhoLast * (modelT[k] - m0[k])
                return base[k] - c3 * correctionTerm
            }
        }
        guard !d1s.isEmpty else { return base }
        let rhos: [Float] = order == 2 ? [0.5]
            : try solve(Array(matrix.dropLast().map { Array($0.dropLast()) }), Array(rhs.dropLast()))
        var residual = [Float](repeating: 0, count: x.count)
        for (rho, d) in zip(rhos, d1s) {
            for k in residual.indices { residual[k] += rho * d[k] }
        }
        return zip(base, residual).map { $0 - c3 * $1 }
    }

    /// Solves a small dense system by Gaussian elimination with partial pivoting (float32, like LAPACK sgesv).
    private func solve(_ a: [[Float]], _ b: [Float]) throws -> [Float] {
        var m = a, v = b
        let n = v.count
        for col in 0..<n {
            guard let pivot = (col..<n).max(by: { abs(m[$0][col]) < abs(m[$1][col]) }), m[pivot][col] != 0 else {
                throw ConfigError.scheduler("UniPC coefficient system is singular; try fewer steps or solver_order 2.")
            }
            m.swapAt(col, pivot); v.swapAt(col, pivot)
            for row in (col + 1)..<n {
                let factor = m[row][col] / m[col][col]
                for k in col..<n { m[row][k] -= factor * m[col][k] }
                v[row] -= factor * v[col]
            }
        }
        var x = [Float](repeating: 0, count: n)
        for row in (0..<n).reversed() {
            var sum = v[row]
            for k in (row + 1)..<n { sum -= m[row][k] * x[k] }
            x[row] = sum / m[row][row]
        }
        return x
    }
}
