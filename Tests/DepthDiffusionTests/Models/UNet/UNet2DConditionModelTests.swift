import Foundation
import XCTest
@testable import DepthDiffusion

/// The UNet against diffusers' `UNet2DConditionModel` on tiny random-weight fixtures, on every backend.
final class UNet2DConditionModelTests: XCTestCase {
    /// Limit on the error relative to the output scale (max |reference|). The measured errors (printed as
    /// `[measured]`, listed in DOCS.md, "Models and their measured accuracy") are below 1e-6 on both backends.
    static let relTol = 1e-4

    func runFixture(_ name: String) throws {
        let fixture = try ModelFixture("unet/\(name)")
        let config = try UNet2DConditionConfig(contentsOf: fixture.folder)
        let expected = try fixture.tensor("output")
        let timestep = try XCTUnwrap(fixture.meta["timestep"] as? Double)
        for backend in try conformanceBackends() {
            let binder = WeightBinder(source: try SafeTensorsCollection(url: fixture.folder), backend: backend)
            let unet = try UNet2DConditionModel(config: config, weights: binder)
            try binder.finish()
            let out = try unet(fixture.tensor("sample", on: backend), timestep: Float(timestep),
                               context: fixture.tensor("context", on: backend))
            try checkAgainstFixture(out, expected, relTol: Self.relTol, "unet/\(name) on \(backend.name)")
        }
    }

    /// 5 input channels, linear projections, per-block head counts, 3 levels, 8x12 latents, batch 2.
    func testDepthLinearThreeLevels() throws { try runFixture("depth_linear_3level") }

    /// 4 channels, 1x1-conv projections, two transformer layers, freq_shift 1, 7x5 latents (odd: upsample_size).
    func testConvTwoLevelsOddSize() throws { try runFixture("conv_2level_odd") }

    func testConfigParsing() throws {
        let config = try UNet2DConditionConfig(contentsOf: fixtureURL("unet/depth_linear_3level/config.json"))
        XCTAssertEqual(config.inChannels, 5)
        XCTAssertEqual(config.attentionHeads, [2, 4, 2])
        XCTAssertTrue(config.useLinearProjection)
        let odd = try UNet2DConditionConfig(contentsOf: fixtureURL("unet/conv_2level_odd"))
        XCTAssertEqual(odd.attentionHeads, [2, 2])
        XCTAssertEqual(odd.transformerLayersPerBlock, [2, 2])
        XCTAssertTrue(odd.upcastAttention)
    }

    func testBadConfigsGiveTypedErrors() throws {
        let cases: [(String, String)] = [
            (#"{"act_fn": "gelu"}"#, "act_fn"),
            (#"{"block_out_channels": [32, 64], "attention_head_dim": [1, 2, 3]}"#, "attention_head_dim"),
            (#"{"down_block_types": ["SimpleCrossAttnDownBlock2D"], "up_block_types": ["UpBlock2D"], "block_out_channels": [32]}"#, "SimpleCrossAttnDownBlock2D"),
            (#"{"class_embed_type": "timestep"}"#, "class_embed_type"),
            (#"{"block_out_channels": 5}"#, "block_out_channels"),
            (#"{"block_out_channels": [30], "down_block_types": ["DownBlock2D"], "up_block_types": ["UpBlock2D"]}"#, "norm_num_groups"),
        ]
        for (json, word) in cases {
            XCTAssertThrowsError(try UNet2DConditionConfig(jsonData: Data(json.utf8))) { error in
                XCTAssertTrue(error is ConfigError, "\(error)")
                XCTAssertTrue("\(error)".contains(word), "\(error) should mention \(word)")
            }
        }
        XCTAssertThrowsError(try UNet2DConditionConfig(contentsOf: URL(fileURLWithPath: "/nonexistent/unet"))) {
            XCTAssertTrue($0 is ConfigError)
        }
    }

    func testMismatchedWeightsAreListed() throws {
        let fixture = try ModelFixture("unet/depth_linear_3level")
        var config = try UNet2DConditionConfig(contentsOf: fixture.folder)
        config.inChannels = 4
        let binder = WeightBinder(source: try SafeTensorsCollection(url: fixture.folder), backend: try CPUBackend())
        _ = try UNet2DConditionModel(config: config, weights: binder)
        XCTAssertThrowsError(try binder.finish()) { error in
            XCTAssertTrue("\(error)".contains("conv_in.weight"), "\(error)")
        }
    }

    /// The full SD2-depth configuration builds from random weights (no files); one step at a tiny latent size.
    func testSD2DepthPresetInstantiatesWithRandomWeights() throws {
        let backend = try CPUBackend()
        let binder = WeightBinder(source: RandomWeightSource(seed: 1), backend: backend)
        let unet = try UNet2DConditionModel(config: .sd2Depth, weights: binder)
        try binder.finish()
        XCTAssertEqual(unet.downBlocks.count, 4)
        XCTAssertEqual(unet.upBlocks[1].attentions.first?.transformerBlocks.first?.attn1.heads, 20)
        let sample = try Tensor(shape: [1, 5, 8, 8], repeating: 0.1, on: backend)
        let context = try Tensor(shape: [1, 77, 1024], repeating: 0.01, on: backend)
        let out = try unet(sample, timestep: 500, context: context)
        XCTAssertEqual(out.shape, [1, 4, 8, 8])
        XCTAssertTrue(try out.toArray().allSatisfy { $0.isFinite })
    }
}
