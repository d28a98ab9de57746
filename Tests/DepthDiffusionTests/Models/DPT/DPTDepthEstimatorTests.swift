import XCTest
@testable import DepthDiffusion

final class DPTDepthEstimatorTests: XCTestCase {
    /// Image in, depth out, with the tiny hybrid model and a 64x64 processor: shapes, the model-resolution
    /// map equals the model applied to the processor's pixels, and the grayscale views span the range.
    func testEstimateEndToEnd() throws {
        for backend in try conformanceBackends() {
            let model = try DPTForDepthEstimation(folder: fixtureURL("dpt/hybrid_a"), backend: backend)
            var processor = DPTImageProcessor()
            processor.size = (64, 64); processor.resample = .bilinear
            let estimator = DPTDepthEstimator(model: model, processor: processor)
            let image = try makeTestImage(width: 50, height: 37)
            let result = try estimator.estimate(image)
            XCTAssertEqual(result.atModelResolution.width, 64)
            XCTAssertEqual(result.resized.width, 50); XCTAssertEqual(result.resized.height, 37)
            let direct = try model(processor.pixelValues([image], on: backend)).toArray()
            XCTAssertEqual(direct, result.atModelResolution.values)
            let g8 = try result.resized.grayscale8(), g16 = try result.resized.grayscale16()
            XCTAssertEqual(g8.pixels.min(), 0); XCTAssertEqual(g8.pixels.max(), 255)
            XCTAssertEqual(g16.pixels.max(), 65535)
        }
    }

    /// A pipeline folder with only `depth_estimator/` and `feature_extractor/` (what `estimate-depth` downloads)
    /// is enough for the estimator, with the `fp16` variant named or found; the full pipeline still wants everything.
    func testPipelineFolderWithOnlyTheDepthComponents() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("dpt-only-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for component in ["depth_estimator", "feature_extractor"] {
            try FileManager.default.copyItem(at: PipelineParityTests.modelURL.appendingPathComponent(component),
                                             to: dir.appendingPathComponent(component))
        }
        let backend = try CPUBackend()
        let image = try makeTestImage(width: 40, height: 30)
        let named = try DPTDepthEstimator(pipelineFolder: dir, backend: backend, variant: "fp16").estimate(image)
        let found = try DPTDepthEstimator(pipelineFolder: dir, backend: backend).estimate(image)
        XCTAssertEqual(named.resized.values, found.resized.values)
        XCTAssertThrowsError(try DepthToImagePipeline(modelFolder: dir, backend: backend))
    }

    func testConstantDepthMapIsBlack() throws {
        let map = try DepthMap(width: 2, height: 1, values: [3, 3])
        XCTAssertEqual(try map.grayscale8().pixels, [0, 0])
    }
}
