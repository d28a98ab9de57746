import DepthDiffusionImageIO
import Foundation
import XCTest
@testable import DepthDiffusion

/// A model folder written by `StableDiffusionDepth2ImgPipeline.save_pretrained` with diffusers 0.42.1 and
/// transformers 5.24 (its tokenizer/ holds only tokenizer.json and tokenizer_config.json) gives diffusers'
/// image on every backend (Scripts/fixtures/make_hub_fixtures.py).
final class SavedModelParityTests: XCTestCase {
    struct Case: Decodable {
        let prompt: String, negative: String
        let steps: Int, strength: Double, guidance: Float, seed: UInt64
        let output_shape: [Int]
    }

    func testSavedByReferenceStackGivesDiffusersImage() throws {
        let folder = fixtureURL("hub/saved_model")
        let tokenizerFiles = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("tokenizer").path).sorted()
        XCTAssertEqual(tokenizerFiles, ["tokenizer.json", "tokenizer_config.json"])
        let dir = fixtureURL("hub/saved_model_case")
        let c = try JSONDecoder().decode(Case.self, from: Data(contentsOf: dir.appendingPathComponent("case.json")))
        let expected = try Data(contentsOf: dir.appendingPathComponent("expected_images.bin")).map { Int($0) }
        for backend in try conformanceBackends() {
            let pipeline = try DepthToImagePipeline(modelFolder: folder, backend: backend)
            var request = DepthToImageRequest(prompt: c.prompt, image: try ImageFile.readRGBImage(dir.appendingPathComponent("image.png")))
            request.negativePrompt = c.negative
            request.steps = c.steps
            request.strength = c.strength
            request.guidanceScale = c.guidance
            request.seed = c.seed
            let image = try pipeline.generate(request).images[0]
            XCTAssertEqual([image.height, image.width], Array(c.output_shape[1...2]))
            let actual = image.pixels.map { Int($0) }
            XCTAssertEqual(actual.count, expected.count)
            let worst = zip(actual, expected).map { abs($0 - $1) }.max() ?? 255
            print("[saved model] \(backend.name): max pixel difference \(worst) levels")
            XCTAssertLessThanOrEqual(worst, 1, backend.name)
        }
    }
}
