import DepthDiffusionImageIO
import Foundation
import XCTest
@testable import DepthDiffusion

/// NaN and infinities (corrupt or fp16-overflowing weights, huge guidance, broken depth maps) end in typed errors,
/// never in a trap when the image is quantised.
final class NonFiniteValueTests: XCTestCase {
    static let model = PipelineParityTests.modelURL

    func demoRequest(steps: Int = 3) throws -> DepthToImageRequest {
        let image = try ImageFile.readRGBImage(Self.model.deletingLastPathComponent().appendingPathComponent("input.png"))
        var request = DepthToImageRequest(prompt: "a red house", image: image)
        request.steps = steps
        request.strength = 1
        request.seed = 5
        return request
    }

    /// The demo pipeline with one tensor of one component poisoned.
    func pipeline(poisoning component: String, tensor: String, with value: Float) throws -> DepthToImagePipeline {
        let backend = try CPUBackend()
        let clean = try DepthToImagePipeline(modelFolder: Self.model, backend: backend)
        let folder = try ModelFolder(url: Self.model)
        let binder = WeightBinder(source: PoisonedWeightSource(try folder.weights(component), poisoning: tensor, with: value), backend: backend)
        var unet = try clean.unet, vae = try clean.vae
        switch component {
        case "unet": unet = try UNet2DConditionModel(config: clean.unetConfig, weights: binder)
        case "vae": vae = try AutoencoderKL(config: clean.vaeConfig, weights: binder)
        default: XCTFail("no such component \(component)")
        }
        try binder.finish()
        return try DepthToImagePipeline(backend: backend, prompts: clean.prompts, unet: unet, vae: vae,
                                        depthEstimator: clean.depthEstimator, schedulerConfig: clean.schedulerConfig)
    }

    func testNaNInUNetWeightsIsReportedWithTheStep() throws {
        let pipeline = try pipeline(poisoning: "unet", tensor: "conv_out.bias", with: .nan)
        var steps = 0
        XCTAssertThrowsError(try pipeline.generate(try demoRequest()) { _ in steps += 1; return true }) { error in
            // PNDM runs steps + 1 model evaluations at strength 1.
            XCTAssertEqual(error as? PipelineError, .nonFiniteLatents(step: 1, totalSteps: 4))
            XCTAssertTrue("\(error)".contains("denoising step 1 of 4"), "\(error)")
            XCTAssertTrue("\(error)".contains("guidance scale"), "\(error)")
        }
        XCTAssertEqual(steps, 0, "the error comes before the progress report of the failing step")
    }

    func testInfinityInUNetWeightsIsAnError() throws {
        let pipeline = try pipeline(poisoning: "unet", tensor: "conv_in.weight", with: .infinity)
        XCTAssertThrowsError(try pipeline.generate(try demoRequest())) { error in
            guard case .nonFiniteLatents = error as? PipelineError else { return XCTFail("\(error)") }
        }
    }

    func testNaNInVAEDecoderAndEncoderWeightsNamesTheComponent() throws {
        let decoder = try pipeline(poisoning: "vae", tensor: "decoder.conv_out.bias", with: .nan)
        XCTAssertThrowsError(try decoder.generate(try demoRequest())) { error in
            XCTAssertEqual(error as? PipelineError, .nonFiniteOutput(component: "VAE decoder"))
        }
        let encoder = try pipeline(poisoning: "vae", tensor: "encoder.conv_in.bias", with: .nan)
        XCTAssertThrowsError(try encoder.generate(try demoRequest())) { error in
            XCTAssertEqual(error as? PipelineError, .nonFiniteOutput(component: "VAE encoder"))
        }
    }

    func testNonFiniteDepthFromTheEstimatorIsAnError() throws {
        let backend = try CPUBackend()
        let folder = Self.model.appendingPathComponent("depth_estimator")
        let weights = try ModelFolder.weights(in: folder, component: "depth_estimator", variant: nil)
        // The head ends in a ReLU, which would turn NaN into 0; an infinite bias passes through it.
        let model = try DPTForDepthEstimation(config: DPTConfig(contentsOf: folder.appendingPathComponent("config.json")),
                                              weights: PoisonedWeightSource(weights, poisoning: "head.head.4.bias", with: .infinity),
                                              backend: backend)
        let estimator = DPTDepthEstimator(model: model, processor: try DPTImageProcessor(
            contentsOf: Self.model.appendingPathComponent("feature_extractor/preprocessor_config.json")))
        let request = try demoRequest()
        XCTAssertThrowsError(try estimator.estimate(request.image)) { error in
            XCTAssertEqual(error as? PipelineError, .nonFiniteOutput(component: "depth estimator"))
        }
        let clean = try DepthToImagePipeline(modelFolder: Self.model, backend: backend)
        let pipeline = try DepthToImagePipeline(backend: backend, prompts: clean.prompts, unet: clean.unet, vae: clean.vae,
                                                depthEstimator: estimator, schedulerConfig: clean.schedulerConfig)
        XCTAssertThrowsError(try pipeline.generate(request)) { error in
            XCTAssertEqual(error as? PipelineError, .nonFiniteOutput(component: "depth estimator"))
        }
    }

    func testHugeGuidanceIsAnErrorNotATrap() throws {
        let pipeline = try DepthToImagePipeline(modelFolder: Self.model, backend: try CPUBackend())
        var request = try demoRequest()
        request.guidanceScale = .greatestFiniteMagnitude
        XCTAssertThrowsError(try pipeline.generate(request)) { error in
            guard case .nonFiniteLatents(let step, 4) = error as? PipelineError else { return XCTFail("\(error)") }
            XCTAssertGreaterThanOrEqual(step, 1)
        }
    }

    func testNonFiniteDepthMaps() throws {
        let pipeline = try DepthToImagePipeline(modelFolder: Self.model, backend: try CPUBackend())
        var request = try demoRequest()
        request.depthMap = try DepthMap(width: 2, height: 2, values: [0, 1, .nan, 0.5])
        XCTAssertThrowsError(try pipeline.generate(request)) { error in
            XCTAssertTrue("\(error)".contains("invalid depth map: it holds NaN or infinite values"), "\(error)")
        }
        request.depthMap = try DepthMap(width: 2, height: 2, values: [-3e38, 3e38, 0, 1])
        XCTAssertThrowsError(try pipeline.generate(request)) { error in
            XCTAssertTrue("\(error)".contains("too wide for float32"), "\(error)")
        }
    }

    func testDepthViewsOfNonFiniteMapsDoNotTrap() throws {
        let map = try DepthMap(width: 5, height: 1, values: [.nan, 0, 1, .infinity, -.infinity])
        XCTAssertEqual(try map.grayscale8().pixels, [0, 0, 255, 255, 0])
        XCTAssertEqual(try map.grayscale16().pixels, [0, 0, 65535, 65535, 0])
        let colours = try DepthColorMap.apply(map)
        XCTAssertEqual(Array(colours.pixels[0..<3]), [0, 0, 4], "NaN is drawn as the far colour")
        XCTAssertEqual(Array(colours.pixels[6..<9]), [252, 255, 164])
        // A finite map renders as before: min-max normalised.
        XCTAssertEqual(try DepthMap(width: 3, height: 1, values: [2, 3, 4]).grayscale8().pixels, [0, 128, 255])
    }
}
