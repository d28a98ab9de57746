import Foundation
import XCTest
@testable import DepthDiffusion

/// Configuration parsing, the scheduler factory and parameter errors.
final class SchedulerConfigTests: XCTestCase {
    let sd2DepthJSON = """
    {
      "_class_name": "PNDMScheduler",
      "_diffusers_version": "0.8.0",
      "beta_end": 0.012,
      "beta_schedule": "scaled_linear",
      "beta_start": 0.00085,
      "clip_sample": false,
      "num_train_timesteps": 1000,
      "prediction_type": "epsilon",
      "set_alpha_to_one": false,
      "skip_prk_steps": true,
      "steps_offset": 1,
      "trained_betas": null,
      "some_future_key": [1, 2, {"nested": true}]
    }
    """

    func testParsesDiffusersConfigAndIgnoresUnknownKeys() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("scheduler_config_\(UUID().uuidString).json")
        try Data(sd2DepthJSON.utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let config = try SchedulerConfig(contentsOf: url)
        XCTAssertEqual(config, SchedulerConfig.stableDiffusion2Depth)
        XCTAssertNil(config.timestepSpacing)
        XCTAssertNil(config.trainedBetas)
    }

    func testOverrides() {
        let config = SchedulerConfig.stableDiffusion2Depth.overriding(predictionType: "v_prediction", timestepSpacing: "trailing", useKarrasSigmas: true)
        XCTAssertEqual(config.predictionType, "v_prediction")
        XCTAssertEqual(config.timestepSpacing, "trailing")
        XCTAssertEqual(config.useKarrasSigmas, true)
        XCTAssertEqual(config.betaSchedule, "scaled_linear")
    }

    func testUnreadableConfigThrows() {
        XCTAssertThrowsError(try SchedulerConfig(data: Data("{not json".utf8))) { error in
            XCTAssertTrue("\(error)".contains("scheduler_config.json"))
        }
        XCTAssertThrowsError(try SchedulerConfig(contentsOf: URL(fileURLWithPath: "/nonexistent/scheduler_config.json")))
    }

    func testKindNamesAndClasses() {
        XCTAssertEqual(SchedulerKind.allCases.map(\.rawValue),
                       ["pndm", "ddim", "euler", "euler-a", "dpm++2m", "dpm++2m-karras", "lms", "heun", "unipc"])
        XCTAssertEqual(SchedulerKind(rawValue: "dpm++2m-karras"), .dpmSolverPP2MKarras)
        XCTAssertEqual(SchedulerKind.heun.diffusersClassName, "HeunDiscreteScheduler")
    }

    func testEveryKindRunsAFullDepth2ImgLoop() throws {
        for kind in SchedulerKind.allCases {
            let scheduler = try makeScheduler(kind: kind, config: .stableDiffusion2Depth)
            let generator = FastRandomSource(seed: 1)
            let timesteps = try scheduler.prepareTimesteps(steps: 20, strength: 0.8)
            // 16 of 20 steps; PNDM (skip_prk_steps) repeats one timestep and Heun evaluates twice per step,
            // exactly like diffusers.
            let expected = kind == .pndm ? 17 : kind == .heun ? 31 : 16
            XCTAssertEqual(timesteps.count, expected, kind.rawValue)
            var latents = try scheduler.addNoise(original: [Float](repeating: 0.5, count: 32),
                                                 noise: generator.normal(count: 32), timestep: timesteps[0])
            for t in timesteps {
                let input = try scheduler.scaleModelInput(latents, timestep: t)
                let output = input.map { $0 * 0.1 }
                latents = try scheduler.step(modelOutput: output, timestep: t, sample: latents, generator: generator)
            }
            XCTAssertTrue(latents.allSatisfy { $0.isFinite }, kind.rawValue)
        }
    }

    func testParameterErrors() throws {
        let scheduler = try makeScheduler(kind: .pndm, config: .stableDiffusion2Depth)
        XCTAssertThrowsError(try scheduler.prepareTimesteps(steps: 0, strength: 1)) { error in
            guard case SchedulerError.invalidStepCount = error else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try scheduler.prepareTimesteps(steps: 10, strength: 0)) { error in
            XCTAssertEqual(error as? SchedulerError, .invalidStrength(0))
        }
        XCTAssertThrowsError(try scheduler.prepareTimesteps(steps: 10, strength: 1.5))
        XCTAssertThrowsError(try scheduler.prepareTimesteps(steps: 10, strength: 0.05)) { error in
            XCTAssertEqual(error as? SchedulerError, .noStepsForStrength(steps: 10, strength: 0.05))
        }
        XCTAssertThrowsError(try scheduler.setTimesteps(1001))

        var config = SchedulerConfig.stableDiffusion2Depth
        config.predictionType = "sample"
        XCTAssertThrowsError(try makeScheduler(kind: .euler, config: config)) { error in
            XCTAssertTrue("\(error)".contains("v_prediction"), "\(error)")
        }
        config = .stableDiffusion2Depth
        config.betaSchedule = "cubic"
        XCTAssertThrowsError(try makeScheduler(kind: .ddim, config: config)) { error in
            XCTAssertTrue("\(error)".contains("squaredcos_cap_v2"), "\(error)")
        }
        config = .stableDiffusion2Depth
        config.timestepSpacing = "middle"
        XCTAssertThrowsError(try makeScheduler(kind: .unipc, config: config))

        let ancestral = try makeScheduler(kind: .eulerAncestral, config: .stableDiffusion2Depth)
        let timesteps = try ancestral.prepareTimesteps(steps: 5, strength: 1)
        XCTAssertThrowsError(try ancestral.step(modelOutput: [0, 0], timestep: timesteps[0], sample: [1, 1], generator: nil)) { error in
            XCTAssertEqual(error as? SchedulerError, .missingGenerator)
        }
        XCTAssertThrowsError(try ancestral.step(modelOutput: [0], timestep: timesteps[0], sample: [1, 1], generator: nil)) { error in
            XCTAssertEqual(error as? SchedulerError, .sizeMismatch(expected: 2, got: 1))
        }
        let fresh = try makeScheduler(kind: .euler, config: .stableDiffusion2Depth)
        XCTAssertThrowsError(try fresh.step(modelOutput: [0], timestep: 1, sample: [0], generator: nil)) { error in
            XCTAssertEqual(error as? SchedulerError, .timestepsNotSet)
        }
        for error: SchedulerError in [.timestepsNotSet, .missingGenerator, .scheduleExhausted, .invalidStrength(2)] {
            XCTAssertFalse(error.description.isEmpty)
        }
    }
}
