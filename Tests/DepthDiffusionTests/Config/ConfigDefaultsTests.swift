import Foundation
import XCTest
@testable import DepthDiffusion

/// The one path that reads model configurations: the plain fields over the defaults (``ConfigFile/decode(data:over:file:)``),
/// then each type's own conversions and checks.
final class ConfigDefaultsTests: XCTestCase {
    func testAbsentAndNullKeysKeepTheDefaults() throws {
        XCTAssertEqual(try AutoencoderKLConfig(jsonData: Data("{}".utf8)), AutoencoderKLConfig())
        XCTAssertEqual(try AutoencoderKLConfig(jsonData: Data(#"{"in_channels": null, "scaling_factor": null}"#.utf8)),
                       AutoencoderKLConfig())
        XCTAssertEqual(try UNet2DConditionConfig(jsonData: Data(#"{"norm_eps": null, "_class_name": "UNet2DConditionModel"}"#.utf8)),
                       UNet2DConditionConfig())
        XCTAssertEqual(try DPTConfig(json: Data(#"{"hidden_size": null}"#.utf8)), DPTConfig())
    }

    func testGivenValuesReplaceTheDefaults() throws {
        let vae = try AutoencoderKLConfig(jsonData: Data(#"""
            {"block_out_channels": [32, 64], "layers_per_block": 3, "latent_channels": 8, "norm_num_groups": 16,
             "sample_size": [96, 96], "scaling_factor": 0.18215, "use_quant_conv": false, "down_block_types": null}
            """#.utf8))
        XCTAssertEqual(vae.blockOutChannels, [32, 64])
        XCTAssertEqual(vae.layersPerBlock, 3)
        XCTAssertEqual(vae.latentChannels, 8)
        XCTAssertEqual(vae.normNumGroups, 16)
        XCTAssertEqual(vae.sampleSize, 96)
        XCTAssertFalse(vae.useQuantConv)
        XCTAssertTrue(vae.usePostQuantConv)
        // Read as the text says: the Float nearest to the decimal, as Swift's own parser gives it.
        XCTAssertEqual(vae.scalingFactor, Float("0.18215"))

        let unet = try UNet2DConditionConfig(jsonData: Data(#"""
            {"in_channels": 5, "norm_eps": 1e-6, "attention_head_dim": [5, 10, 20, 20], "cross_attention_dim": 1024,
             "use_linear_projection": true, "downsample_padding": 0}
            """#.utf8))
        XCTAssertEqual(unet.inChannels, 5)
        XCTAssertEqual(unet.normEps, Float("1e-6"))
        XCTAssertEqual(unet.attentionHeads, [5, 10, 20, 20])
        XCTAssertEqual(unet.crossAttentionDim, 1024)
        XCTAssertTrue(unet.useLinearProjection)
        XCTAssertEqual(unet.downsamplePadding, 0)
        XCTAssertEqual(unet.outChannels, UNet2DConditionConfig().outChannels)
    }

    func testWrongTypesAreRefused() {
        // JSONDecoder reports a number a field cannot take (2.5 for an integer) without naming the field.
        XCTAssertThrowsError(try AutoencoderKLConfig(jsonData: Data(#"{"layers_per_block": 2.5}"#.utf8))) { error in
            guard case ConfigError.unreadable = error else { return XCTFail("unexpected \(error)") }
        }
        for (json, field) in [(#"{"in_channels": "3"}"#, "in_channels"), (#"{"use_quant_conv": 1}"#, "use_quant_conv"),
                              (#"{"block_out_channels": [64, "x"]}"#, "block_out_channels")] {
            XCTAssertThrowsError(try AutoencoderKLConfig(jsonData: Data(json.utf8)), json) { error in
                guard case ConfigError.unreadable(_, let reason) = error else { return XCTFail("unexpected \(error)") }
                XCTAssertTrue(reason.contains(field), reason)
            }
        }
        XCTAssertThrowsError(try AutoencoderKLConfig(jsonData: Data("[1, 2]".utf8))) { error in
            guard case ConfigError.unreadable(_, let reason) = error else { return XCTFail("unexpected \(error)") }
            XCTAssertTrue(reason.contains("not a valid JSON object"), reason)
        }
    }

    func testHybridBackboneFieldsKeepTheirOwnMeaning() throws {
        let absent = try DPTConfig(json: Data(#"{"is_hybrid": true, "backbone_config": {"layer_type": "bottleneck"}}"#.utf8))
        XCTAssertEqual(absent.backbone?.globalPadding, "SAME")
        XCTAssertEqual(absent.backbone?.depths, BitConfig.dptHybridDefault.depths)
        // `null` is symmetric padding, not the default.
        let null = try DPTConfig(json: Data(#"""
            {"is_hybrid": true, "backbone_config": {"layer_type": "bottleneck", "global_padding": null, "depths": [3, 4, 6],
             "out_indices": [1, 2, 3]}}
            """#.utf8))
        XCTAssertNil(null.backbone?.globalPadding)
        XCTAssertEqual(null.backbone?.depths, [3, 4, 6])
        XCTAssertEqual(null.backbone?.outFeatures, ["stage1", "stage2", "stage3"])
        XCTAssertThrowsError(try DPTConfig(json: Data(#"{"is_hybrid": true, "backbone_config": {"num_groups": "x"}}"#.utf8))) { error in
            guard case ConfigError.unreadable(let file, let reason) = error else { return XCTFail("unexpected \(error)") }
            XCTAssertTrue(file.contains("backbone_config") && reason.contains("num_groups"), "\(file): \(reason)")
        }
    }

    func testPlainDPTDropsTheHybridFields() throws {
        let plain = try DPTConfig(json: Data(#"{"is_hybrid": false, "neck_ignore_stages": [0], "layer_norm_eps": 1e-6}"#.utf8))
        XCTAssertNil(plain.backboneFeatmapShape)
        XCTAssertEqual(plain.neckIgnoreStages, [])
        XCTAssertEqual(plain.layerNormEps, Float(Double("1e-6")!))
    }
}
