import DepthDiffusionImageIO
import Foundation
import XCTest
@testable import DepthDiffusion

/// Bad model folders and bad generation parameters give typed errors that say what to do.
final class PipelineInputTests: TemporaryDirectoryTestCase {
    /// A copy of the demo model (symlinks resolved) that a test may break.
    func modelCopy() throws -> URL {
        let copy = temp.appendingPathComponent("model")
        try FileManager.default.createDirectory(at: copy, withIntermediateDirectories: true)
        let source = PipelineParityTests.modelURL
        for component in try FileManager.default.contentsOfDirectory(atPath: source.path) {
            let from = source.appendingPathComponent(component)
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: from.path, isDirectory: &isDirectory)
            if isDirectory.boolValue {
                let to = copy.appendingPathComponent(component)
                try FileManager.default.createDirectory(at: to, withIntermediateDirectories: true)
                for file in try FileManager.default.contentsOfDirectory(atPath: from.path) {
                    try Data(contentsOf: from.appendingPathComponent(file)).write(to: to.appendingPathComponent(file))
                }
            } else {
                try Data(contentsOf: from).write(to: copy.appendingPathComponent(component))
            }
        }
        return copy
    }

    func assertPipelineError(_ body: () throws -> Void, contains text: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            XCTAssertTrue("\(error)".contains(text), "\(error)", file: file, line: line)
        }
    }

    func testMissingAndWrongFolders() throws {
        let backend = try CPUBackend()
        assertPipelineError({ _ = try DepthToImagePipeline(modelFolder: self.temp, backend: backend) }, contains: "not a diffusers model folder")
        let model = try modelCopy()
        try FileManager.default.removeItem(at: model.appendingPathComponent("depth_estimator"))
        assertPipelineError({ _ = try DepthToImagePipeline(modelFolder: model, backend: backend) }, contains: "missing its 'depth_estimator'")
        let other = try modelCopy()
        let index = other.appendingPathComponent("model_index.json")
        let text = try String(contentsOf: index, encoding: .utf8).replacingOccurrences(of: "StableDiffusionDepth2ImgPipeline", with: "StableDiffusionPipeline")
        try text.write(to: index, atomically: true, encoding: .utf8)
        assertPipelineError({ _ = try DepthToImagePipeline(modelFolder: other, backend: backend) }, contains: "StableDiffusionPipeline model")
    }

    func testBinOnlyAndMismatchedWeights() throws {
        let backend = try CPUBackend()
        let model = try modelCopy()
        let unet = model.appendingPathComponent("unet")
        try FileManager.default.removeItem(at: unet.appendingPathComponent("diffusion_pytorch_model.fp16.safetensors"))
        try Data([1, 2, 3]).write(to: unet.appendingPathComponent("diffusion_pytorch_model.bin"))
        assertPipelineError({ _ = try DepthToImagePipeline(modelFolder: model, backend: backend) }, contains: "only PyTorch pickle (.bin)")
        let other = try modelCopy()
        let config = other.appendingPathComponent("unet/config.json")
        let text = try String(contentsOf: config, encoding: .utf8).replacingOccurrences(of: "\"cross_attention_dim\": 16", with: "\"cross_attention_dim\": 24")
        try text.write(to: config, atomically: true, encoding: .utf8)
        assertPipelineError({ _ = try DepthToImagePipeline(modelFolder: other, backend: backend) }, contains: "wrong shape")
    }

    func testBadParameters() throws {
        let pipeline = try DepthToImagePipeline(modelFolder: PipelineParityTests.modelURL, backend: try CPUBackend())
        let image = try ImageFile.readRGBImage(PipelineParityTests.modelURL.deletingLastPathComponent().appendingPathComponent("input.png"))
        var request = DepthToImageRequest(prompt: "a house", image: image)
        request.steps = 3
        for strength in [0.0, -0.5, 1.01] {
            var r = request; r.strength = strength
            assertPipelineError({ _ = try pipeline.generate(r) }, contains: "strength must be in (0, 1]")
        }
        var r = request; r.steps = 0
        assertPipelineError({ _ = try pipeline.generate(r) }, contains: "steps must be at least 1")
        r = request; r.imagesPerPrompt = 0
        assertPipelineError({ _ = try pipeline.generate(r) }, contains: "images per prompt")
        r = request; r.image = try RGBImage(width: 7, height: 30, pixels: [UInt8](repeating: 9, count: 7 * 30 * 3))
        assertPipelineError({ _ = try pipeline.generate(r) }, contains: "at least 8x8")
        r = request; r.depthMap = try DepthMap(width: 4, height: 4, values: [Float](repeating: 0.5, count: 16))
        assertPipelineError({ _ = try pipeline.generate(r) }, contains: "depth map is constant")
        r = request; r.steps = 2; r.strength = 0.3
        assertPipelineError({ _ = try pipeline.generate(r) }, contains: "runs no denoising step")
        var calls = 0
        XCTAssertThrowsError(try pipeline.generate(request) { _ in calls += 1; return false }) { error in
            XCTAssertEqual(error as? PipelineError, .cancelled)
        }
        XCTAssertEqual(calls, 1)
        // A user depth map replaces the estimator and is returned as the raw depth.
        r = request
        r.depthMap = try DepthMap(width: 5, height: 3, values: (0..<15).map { Float($0) / 14 })
        let result = try pipeline.generate(r)
        XCTAssertEqual(result.rawDepth.values.count, 15)
        XCTAssertEqual(result.depth.values.min(), -1)
        XCTAssertEqual(result.depth.values.max(), 1)
        XCTAssertEqual(result.images.count, 1)
        XCTAssertGreaterThan(result.timings.denoising, 0)
    }

    func testPrecomputedEmbeddingsGiveTheSameImageAsText() throws {
        let pipeline = try DepthToImagePipeline(modelFolder: PipelineParityTests.modelURL, backend: try CPUBackend(), variant: "fp16")
        let image = try ImageFile.readRGBImage(PipelineParityTests.modelURL.deletingLastPathComponent().appendingPathComponent("input.png"))
        var request = DepthToImageRequest(prompt: "a quiet street", image: image)
        request.negativePrompt = "fog"
        request.steps = 4
        request.seed = 11
        let fromText = try pipeline.generate(request)
        var embedded = request
        embedded.prompt = ""
        embedded.negativePrompt = nil
        embedded.promptEmbeddings = try pipeline.prompts.encode(["a quiet street"])
        embedded.negativePromptEmbeddings = try pipeline.prompts.encode(["fog"])
        let fromEmbeddings = try pipeline.generate(embedded)
        XCTAssertEqual(fromText.images, fromEmbeddings.images)
        // The fast random source is deterministic per seed but is not PyTorch's.
        var fast = request
        fast.randomSource = .fast
        XCTAssertEqual(try pipeline.generate(fast).images, try pipeline.generate(fast).images)
        XCTAssertNotEqual(try pipeline.generate(fast).images, fromText.images)
    }
}
