import DepthDiffusionImageIO
import Foundation
import XCTest
@testable import DepthDiffusion

/// End-to-end parity with diffusers' StableDiffusionDepth2ImgPipeline on the bundled tiny model
/// (Examples/demo/model), for the cases written by Scripts/fixtures/make_pipeline_fixtures.py.
final class PipelineParityTests: XCTestCase {
    struct Case: Decodable {
        let name: String, prompt: String, negative: String?
        let steps: Int, strength: Double, guidance: Float, seed: UInt64
        let scheduler: String?, prediction: String?, images: Int?
        let output_shape: [Int], depth_shape: [Int]
    }

    static let modelURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Examples/demo/model")

    func readFloats(_ url: URL) throws -> [Float] {
        let data = try Data(contentsOf: url)
        return data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    }

    func testMatchesDiffusersOnEveryCaseAndBackend() throws {
        let root = fixtureURL("pipeline")
        let names = try FileManager.default.contentsOfDirectory(atPath: root.path).sorted()
        XCTAssertGreaterThanOrEqual(names.count, 7)
        for backend in try conformanceBackends() {
            let pipeline = try DepthToImagePipeline(modelFolder: Self.modelURL, backend: backend)
            for name in names {
                let dir = root.appendingPathComponent(name)
                let c = try JSONDecoder().decode(Case.self, from: Data(contentsOf: dir.appendingPathComponent("case.json")))
                var request = DepthToImageRequest(prompt: c.prompt,
                                                        image: try ImageFile.readRGBImage(dir.appendingPathComponent("image.png")))
                request.negativePrompt = c.negative
                request.steps = c.steps
                request.strength = c.strength
                request.guidanceScale = c.guidance
                request.seed = c.seed
                request.imagesPerPrompt = c.images ?? 1
                if let s = c.scheduler { request.scheduler = try XCTUnwrap(SchedulerKind(rawValue: s)) }
                let depthFile = dir.appendingPathComponent("depth.png")
                if FileManager.default.fileExists(atPath: depthFile.path) { request.depthMap = try ImageFile.readDepthMap(depthFile) }
                // The v-prediction case overrides the folder's scheduler config, as the fixture script does.
                var schedulerConfig = pipeline.schedulerConfig
                if let prediction = c.prediction { schedulerConfig.predictionType = prediction }
                try check(try pipeline.generate(request, schedulerConfig: schedulerConfig), c, dir, backend)
            }
        }
    }

    func check(_ result: DepthToImageResult, _ c: Case, _ dir: URL, _ backend: ComputeBackend) throws {
        let label = "\(c.name) [\(backend.name)]"
        let expected = try Data(contentsOf: dir.appendingPathComponent("expected_images.bin")).map { Int($0) }
        let actual = result.images.flatMap { $0.pixels.map { Int($0) } }
        XCTAssertEqual(result.images.count, c.output_shape[0], label)
        XCTAssertEqual([result.images[0].height, result.images[0].width], Array(c.output_shape[1...2]), label)
        XCTAssertEqual(actual.count, expected.count, label)
        let worst = zip(actual, expected).map { abs($0 - $1) }.max() ?? 255
        let off = zip(actual, expected).filter { $0 != $1 }.count
        print("[pipeline] \(label): max pixel difference \(worst) levels, \(off) of \(expected.count) values differ")
        XCTAssertLessThanOrEqual(worst, 1, label)
        let depth = try readFloats(dir.appendingPathComponent("expected_depth.bin"))
        let plane = c.depth_shape[2] * c.depth_shape[3]
        assertClose(result.depth.values, Array(depth.prefix(plane)).map(Double.init), atol: 1e-4, rtol: 0, "depth \(label)")
    }
}
