import Foundation
import XCTest
@testable import DepthDiffusion

/// Compares every scheduler with diffusers fixtures written by
/// `Scripts/fixtures/make_scheduler_fixtures.py`: timesteps for several (steps, strength) pairs,
/// spacings and beta schedules, and multi-step trajectories (add_noise, scale_model_input, step)
/// driven by fixed fake model outputs, for `epsilon` and `v_prediction`.
final class SchedulerParityTests: XCTestCase {
    struct Trajectory: Decodable {
        let noised: [Float]
        let scaled: [[Float]]
        let prev: [[Float]]
    }
    struct Case: Decodable {
        let config: SchedulerConfig
        let steps: Int
        let strength: Double
        let timesteps: [Double]
        let slicedCount: Int
        let beginIndex: Int
        let initNoiseSigma: Double
        let eta: Double?
        let trajectory: Trajectory?
    }
    struct File: Decodable {
        let kind: String
        let diffusersClass: String
        let cases: [Case]
    }

    /// Relative tolerance for trajectories, per element against max(|reference|, 1): latents are O(1),
    /// so this is rtol = atol = 1e-5 and keeps float32 cancellation near zero from failing the test.
    static let relativeTolerance: Float = 1e-5
    static let sampleCount = 16

    func check(_ kind: SchedulerKind) throws {
        let data = try Data(contentsOf: fixtureURL("schedulers/\(kind.rawValue).json"))
        let file = try JSONDecoder().decode(File.self, from: data)
        XCTAssertEqual(file.diffusersClass, kind.diffusersClassName)
        var worstError: Float = 0
        var trajectories = 0
        for (index, testCase) in file.cases.enumerated() {
            let label = "\(kind.rawValue) case \(index) (\(testCase.config.predictionType ?? "-"), \(testCase.config.timestepSpacing ?? "default") spacing, \(testCase.config.betaSchedule ?? "-"), N=\(testCase.steps), strength=\(testCase.strength))"
            var config = testCase.config
            config.eta = testCase.eta
            let scheduler = try makeScheduler(kind: kind, config: config)
            try scheduler.setTimesteps(testCase.steps)
            XCTAssertEqual(scheduler.timesteps.count, testCase.timesteps.count, label)
            XCTAssertTrue(Self.sameTimesteps(scheduler.timesteps, testCase.timesteps), "\(label): timesteps \(scheduler.timesteps) vs \(testCase.timesteps)")
            XCTAssertEqual(Double(scheduler.initNoiseSigma), testCase.initNoiseSigma, accuracy: 1e-6 * max(1, testCase.initNoiseSigma), label)

            let timesteps = try scheduler.prepareTimesteps(steps: testCase.steps, strength: testCase.strength)
            XCTAssertEqual(timesteps.count, testCase.slicedCount, label)
            XCTAssertTrue(Self.sameTimesteps(timesteps, Array(testCase.timesteps.suffix(testCase.slicedCount))), label)

            guard let trajectory = testCase.trajectory else { continue }
            trajectories += 1
            let generator = TorchGenerator(seed: 42)
            let clean = TorchGenerator(seed: 7).normal(count: Self.sampleCount)
            let noise = generator.normal(count: Self.sampleCount)
            var latents = try scheduler.addNoise(original: clean, noise: noise, timestep: timesteps[0])
            worstError = max(worstError, try compare(latents, trajectory.noised, "\(label) add_noise"))
            latents = trajectory.noised
            XCTAssertEqual(timesteps.count, trajectory.prev.count, label)
            for (k, t) in timesteps.enumerated() where k < trajectory.prev.count {
                let input = try scheduler.scaleModelInput(latents, timestep: t)
                worstError = max(worstError, try compare(input, trajectory.scaled[k], "\(label) scale_model_input step \(k)"))
                let modelOutput = TorchGenerator(seed: UInt64(1000 + k)).normal(count: Self.sampleCount)
                let next = try scheduler.step(modelOutput: modelOutput, timestep: t, sample: latents, generator: generator)
                worstError = max(worstError, try compare(next, trajectory.prev[k], "\(label) step \(k) (t=\(t))"))
                // Continue from our own output so that errors would accumulate as in a real run.
                latents = next
            }
        }
        XCTAssertGreaterThan(trajectories, 0)
        print("\(kind.rawValue) (\(kind.diffusersClassName)): \(file.cases.count) cases, \(trajectories) trajectories, max relative error \(worstError)")
    }

    /// Integer timesteps must match exactly. Fractional ones (Karras sigmas mapped back to timesteps)
    /// may differ by float32 rounding: diffusers takes the log of the float32 sigma table with numpy's
    /// SIMD `log`, which is not always correctly rounded.
    static func sameTimesteps(_ ours: [Double], _ reference: [Double]) -> Bool {
        guard ours.count == reference.count else { return false }
        return zip(ours, reference).allSatisfy { a, b in
            b.rounded() == b ? a == b : abs(a - b) <= 1e-5 * max(1, abs(b))
        }
    }

    /// Returns the largest relative error and fails when it exceeds the tolerance.
    func compare(_ ours: [Float], _ reference: [Float], _ label: String) throws -> Float {
        XCTAssertEqual(ours.count, reference.count, label)
        var worst: Float = 0
        for (a, b) in zip(ours, reference) {
            let error = abs(a - b) / max(abs(b), 1)
            worst = max(worst, error.isNaN ? .infinity : error)
        }
        XCTAssertLessThanOrEqual(worst, Self.relativeTolerance, "\(label): \(ours) vs \(reference)")
        return worst
    }

    func testPNDM() throws { try check(.pndm) }
    func testDDIM() throws { try check(.ddim) }
    func testEuler() throws { try check(.euler) }
    func testEulerAncestral() throws { try check(.eulerAncestral) }
    func testDPMSolverPP2M() throws { try check(.dpmSolverPP2M) }
    func testDPMSolverPP2MKarras() throws { try check(.dpmSolverPP2MKarras) }
    func testLMS() throws { try check(.lms) }
    func testHeun() throws { try check(.heun) }
    func testUniPC() throws { try check(.unipc) }
}
