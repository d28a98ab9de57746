/// Linear multistep sampler (k-diffusion "LMS", order 4); reproduces diffusers `LMSDiscreteScheduler`,
/// with optional Karras sigmas. The integrals diffusers takes with `scipy.integrate.quad` are of
/// polynomials of degree <= 3, computed here exactly with Gauss–Legendre quadrature.
public final class LMSDiscreteScheduler: SigmaSampler, Scheduler {
    public let order = 1
    /// Maximum number of past derivatives combined (diffusers `step(order=4)`).
    public var lmsOrder = 4

    private var derivatives: [[Float]] = []

    /// Creates the scheduler from a `scheduler_config.json` configuration (diffusers defaults for absent keys).
    public init(config: SchedulerConfig) throws {
        super.init(settings: try SigmaSchedulerSettings(config: config))
    }

    public func setTimesteps(_ steps: Int) throws {
        let (sigmas, ts) = try settings.discreteSchedule(steps, sigmaBounds: false)
        state.reset(sigmas: (sigmas + [0]).map { Float($0) }, timesteps: ts)
        derivatives = []
    }

    public func step(modelOutput: [Float], timestep: Double, sample: [Float], generator: RandomSource?) throws -> [Float] {
        try LatentMath.check(sample, modelOutput)
        let i = try state.current(for: timestep)
        let sigma = state.sigmas[i]
        let x0 = EulerMath.predictOriginal(settings.prediction, modelOutput, sample, sigma: sigma)
        derivatives.append(zip(sample, x0).map { ($0 - $1) / sigma })
        if derivatives.count > lmsOrder { derivatives.removeFirst() }
        let currentOrder = min(i + 1, lmsOrder)
        let coefficients = (0..<currentOrder).map { Float(coefficient(order: currentOrder, t: i, current: $0)) }
        var update = [Float](repeating: 0, count: sample.count)
        for (coefficient, derivative) in zip(coefficients, derivatives.reversed()) {
            for k in update.indices { update[k] += coefficient * derivative[k] }
        }
        state.stepIndex = i + 1
        return zip(sample, update).map { $0 + $1 }
    }

    /// diffusers `get_lms_coefficient`: the integral over [sigma_t, sigma_{t+1}] of the Lagrange basis
    /// polynomial of `current` on the nodes sigma_t, ..., sigma_{t-order+1}.
    private func coefficient(order: Int, t: Int, current: Int) -> Double {
        let s = state.sigmas.map(Double.init)
        func basis(_ tau: Double) -> Double {
            var product = 1.0
            for k in 0..<order where k != current {
                product *= (tau - s[t - k]) / (s[t - current] - s[t - k])
            }
            return product
        }
        // 3-point Gauss–Legendre is exact for polynomials up to degree 5.
        let nodes = [-0.7745966692414834, 0.0, 0.7745966692414834]
        let weights = [5.0 / 9.0, 8.0 / 9.0, 5.0 / 9.0]
        let a = s[t], b = s[t + 1]
        let half = (b - a) / 2, mid = (a + b) / 2
        var total = 0.0
        for (node, weight) in zip(nodes, weights) { total += weight * basis(mid + half * node) }
        return total * half
    }
}

import Foundation
