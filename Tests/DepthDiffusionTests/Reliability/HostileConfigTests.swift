import DepthDiffusionImageIO
import Foundation
import XCTest
@testable import DepthDiffusion

/// Configurations with absurd sizes, factors and scheduler values give a `ConfigError` (or another typed error)
/// before anything is allocated, never an overflow trap or a huge allocation.
final class HostileConfigTests: TemporaryDirectoryTestCase {
    /// A copy of the demo model with `edit` applied to the text of one JSON file.
    func editedModel(_ file: String, _ edit: (String) -> String) throws -> URL {
        let copy = temp.appendingPathComponent("model-\(UUID().uuidString)")
        let source = PipelineParityTests.modelURL
        for component in try FileManager.default.contentsOfDirectory(atPath: source.path) {
            let from = source.appendingPathComponent(component).resolvingSymlinksInPath()
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: from.path, isDirectory: &isDirectory)
            guard isDirectory.boolValue else {
                try Data(contentsOf: from).write(to: copy.appendingPathComponent(component)); continue
            }
            let to = copy.appendingPathComponent(component)
            try FileManager.default.createDirectory(at: to, withIntermediateDirectories: true)
            for name in try FileManager.default.contentsOfDirectory(atPath: from.path) {
                try Data(contentsOf: from.appendingPathComponent(name).resolvingSymlinksInPath()).write(to: to.appendingPathComponent(name))
            }
        }
        let url = copy.appendingPathComponent(file)
        let text = try String(contentsOf: url, encoding: .utf8)
        let edited = edit(text)
        XCTAssertNotEqual(edited, text, "the edit of \(file) changed nothing")
        try edited.write(to: url, atomically: true, encoding: .utf8)
        return copy
    }

    func unetConfig(_ replacing: String, _ with: String) throws -> UNet2DConditionConfig {
        let text = try String(contentsOf: PipelineParityTests.modelURL.appendingPathComponent("unet/config.json"), encoding: .utf8)
        let edited = text.replacingOccurrences(of: replacing, with: with)
        XCTAssertNotEqual(edited, text)
        return try UNet2DConditionConfig(jsonData: Data(edited.utf8))
    }

    func assertConfigError(_ body: @autoclosure () throws -> Any, _ text: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            XCTAssertTrue(error is ConfigError, "\(type(of: error)): \(error)", file: file, line: line)
            XCTAssertTrue("\(error)".contains(text), "\(error)", file: file, line: line)
        }
    }

    func testAbsurdBlockOutChannelsAreAConfigErrorWhenLoading() throws {
        let model = try editedModel("unet/config.json") {
            $0.replacingOccurrences(of: "\"block_out_channels\": [\n    32,", with: "\"block_out_channels\": [\n    1000000000000,")
        }
        assertConfigError(try DepthToImagePipeline(modelFolder: model, backend: try CPUBackend()),
                          "block_out_channels[0] is 1000000000000; it must be between 1 and 65536")
    }

    func testUNetSizesOutOfRange() throws {
        let blocks = "\"block_out_channels\": [\n    32,\n    64\n  ]"
        assertConfigError(try unetConfig(blocks, "\"block_out_channels\": [-32, 64]"), "block_out_channels[0] is -32; it must be between 1 and 65536")
        assertConfigError(try unetConfig(blocks, "\"block_out_channels\": [36, 64]"), "not a multiple of norm_num_groups 8")
        assertConfigError(try unetConfig("\"attention_head_dim\": [\n    2,", "\"attention_head_dim\": [\n    0,"), "cannot be split into 0 heads")
        assertConfigError(try unetConfig("\"attention_head_dim\": [\n    2,", "\"attention_head_dim\": [\n    3,"), "cannot be split into 3 heads")
        assertConfigError(try unetConfig("\"layers_per_block\": 1", "\"layers_per_block\": 100000"), "layers_per_block is 100000")
        assertConfigError(try unetConfig("\"cross_attention_dim\": 16", "\"cross_attention_dim\": 9223372036854775807"),
                          "cross_attention_dim is 9223372036854775807")
        var config = UNet2DConditionConfig.sd2Depth
        config.blockOutChannels[3] = 1 << 40
        assertConfigError(try config.validate(), "block_out_channels[3]")
    }

    func testOtherComponentSizesOutOfRange() throws {
        var vae = AutoencoderKLConfig.sd2Depth
        vae.blockOutChannels[0] = 1 << 40
        assertConfigError(try vae.validate(), "block_out_channels[0] is 1099511627776")
        vae = .sd2Depth
        vae.blockOutChannels = [Int](repeating: 32, count: 70)
        assertConfigError(try vae.validate(), "the number of blocks is 70")
        var clip = CLIPTextConfig.stableDiffusion2
        clip.intermediateSize = 1 << 50
        assertConfigError(try clip.validate(), "intermediate_size is 1125899906842624")
        clip = .stableDiffusion2
        clip.numHiddenLayers = 1_000_000
        assertConfigError(try clip.validate(), "num_hidden_layers is 1000000")
    }

    func testReassembleFactorsMustBeSmallPowersOrReciprocals() throws {
        for factor in ["1e300", "1e-300", "128", "0.001953125"] {
            let json = "{\"is_hybrid\": false, \"reassemble_factors\": [4, 2, 1, \(factor)]}"
            assertConfigError(try DPTConfig(json: Data(json.utf8)), "reassemble factor")
        }
        XCTAssertEqual(try DPTConfig(json: Data("{\"reassemble_factors\": [64, 2, 1, 0.015625]}".utf8)).reassembleFactors,
                       [64, 2, 1, 0.015625])
    }

    func testSchedulerValuesOutOfRange() throws {
        func config(_ json: String) throws -> SchedulerConfig { try SchedulerConfig(data: Data(json.utf8)) }
        let thresholding = try config("{\"thresholding\": true, \"dynamic_thresholding_ratio\": 5}")
        for kind in [SchedulerKind.ddim, .dpmSolverPP2M, .unipc] {
            assertConfigError(try makeScheduler(kind: kind, config: thresholding), "dynamic_thresholding_ratio is 5.0")
        }
        assertConfigError(try DDIMScheduler(config: config("{\"dynamic_thresholding_ratio\": -0.1}")), "dynamic_thresholding_ratio")
        assertConfigError(try PNDMScheduler(config: config("{\"steps_offset\": 9223372036854775806}")), "steps_offset is 9223372036854775806")
        assertConfigError(try DDIMScheduler(config: config("{\"steps_offset\": -5}")), "steps_offset is -5")
        assertConfigError(try EulerDiscreteScheduler(config: config("{\"steps_offset\": 1000}")), "steps_offset is 1000")
        assertConfigError(try DDIMScheduler(config: config("{\"thresholding\": true, \"sample_max_value\": 0}")), "sample_max_value is 0.0")
        assertConfigError(try PNDMScheduler(config: config("{\"num_train_timesteps\": 1000000000000}")), "num_train_timesteps is 1000000000000")
        assertConfigError(try PNDMScheduler(config: config("{\"beta_start\": -1}")), "beta_start is -1.0")
        assertConfigError(try EulerDiscreteScheduler(config: config("{\"use_karras_sigmas\": true, \"sigma_min\": -1}")), "sigma_min is -1.0")
        // The values diffusers ships still work, thresholding included.
        let ddim = try DDIMScheduler(config: config("{\"thresholding\": true, \"dynamic_thresholding_ratio\": 0.995, \"sample_max_value\": 1.5}"))
        let steps = try ddim.prepareTimesteps(steps: 4, strength: 1)
        XCTAssertEqual(try ddim.step(modelOutput: [0.5, -2, 3, 0], timestep: steps[0], sample: [1, 2, -3, 0.5], generator: nil).count, 4)
    }

    func testNonFiniteTimestepsAreErrors() throws {
        let pndm = try PNDMScheduler(config: .stableDiffusion2Depth)
        try pndm.setTimesteps(5)
        for t in [Double.nan, .infinity, 1e300] {
            XCTAssertThrowsError(try pndm.addNoise(original: [1], noise: [1], timestep: t)) { error in
                guard case .unknownTimestep = error as? SchedulerError else { return XCTFail("\(error)") }
            }
            XCTAssertThrowsError(try pndm.step(modelOutput: [1], timestep: t, sample: [1], generator: nil))
        }
        let ddim = try DDIMScheduler(config: SchedulerConfig())
        try ddim.setTimesteps(5)
        XCTAssertThrowsError(try ddim.step(modelOutput: [1], timestep: .nan, sample: [1], generator: nil))
    }
}
