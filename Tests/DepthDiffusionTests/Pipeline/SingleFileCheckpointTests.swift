import DepthDiffusionImageIO
import Foundation
import XCTest
@testable import DepthDiffusion

/// Single-file checkpoints in the original layout (Scripts/fixtures/make_single_file_fixtures.py): the tiny
/// model as `.safetensors` and as a `torch.save` `.ckpt` must give the image diffusers gives when its
/// single-file loaders read the same file.
final class SingleFileCheckpointTests: XCTestCase {
    struct Case: Decodable {
        let prompt: String, negative: String, steps: Int, strength: Double, guidance: Float, seed: UInt64
        let output_shape: [Int]
    }

    let folder = fixtureURL("single_file")
    var options: SingleFileOptions { SingleFileOptions(configFolder: folder.appendingPathComponent("config")) }
    var tempDirectory: URL!

    override func setUpWithError() throws {
        tempDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("single-file-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tempDirectory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: tempDirectory) }

    func request() throws -> (DepthToImageRequest, Case) {
        let c = try JSONDecoder().decode(Case.self, from: Data(contentsOf: folder.appendingPathComponent("case.json")))
        var request = DepthToImageRequest(prompt: c.prompt, image: try ImageFile.readRGBImage(folder.appendingPathComponent("image.png")))
        request.negativePrompt = c.negative
        request.steps = c.steps
        request.strength = c.strength
        request.guidanceScale = c.guidance
        request.seed = c.seed
        return (request, c)
    }

    func assertMatchesDiffusers(_ pipeline: DepthToImagePipeline, _ label: String) throws {
        let (request, c) = try request()
        let result = try pipeline.generate(request)
        let expected = try Data(contentsOf: folder.appendingPathComponent("expected_images.bin")).map { Int($0) }
        let actual = result.images[0].pixels.map { Int($0) }
        XCTAssertEqual([result.images[0].height, result.images[0].width], Array(c.output_shape[1...2]), label)
        XCTAssertEqual(actual.count, expected.count, label)
        let worst = zip(actual, expected).map { abs($0 - $1) }.max() ?? 255
        print("[single-file] \(label): max pixel difference \(worst) levels, \(zip(actual, expected).filter { $0 != $1 }.count) of \(expected.count) values differ")
        XCTAssertLessThanOrEqual(worst, 1, label)
    }

    func testBothFormatsMatchDiffusersOnEveryBackend() throws {
        for backend in try conformanceBackends() {
            for file in ["tiny.safetensors", "tiny.ckpt"] {
                let pipeline = try DepthToImagePipeline(checkpoint: folder.appendingPathComponent(file), backend: backend, options: options)
                XCTAssertNil(pipeline.folder)
                XCTAssertEqual(pipeline.defaultScheduler, .pndm)
                try assertMatchesDiffusers(pipeline, "\(file) [\(backend.name)]")
            }
        }
    }

    /// A copy of tiny.safetensors without `depth_model.*`, written as a safetensors file.
    func fileWithoutDepthModel() throws -> URL {
        let source = try SafeTensorsFile(url: folder.appendingPathComponent("tiny.safetensors"))
        var header: [String: Any] = [:], data = Data()
        for name in source.names where !name.hasPrefix("depth_model.") {
            let entry = try source.entry(name)
            let bytes = try source.rawData(name)
            header[name] = ["dtype": entry.dtype.rawValue, "shape": entry.shape, "data_offsets": [data.count, data.count + bytes.count]]
            data.append(bytes)
        }
        let json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        var file = Data()
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { file.append(contentsOf: $0) }
        file.append(json)
        file.append(data)
        let url = tempDirectory.appendingPathComponent("no-depth.safetensors")
        try file.write(to: url)
        return url
    }

    func testFileWithoutDepthModelUsesTheNamedFolderOrCacheEntry() throws {
        let url = try fileWithoutDepthModel()
        XCTAssertFalse(try SingleFileCheckpoint(url: url).hasDepthModel)
        XCTAssertThrowsError(try DepthToImagePipeline(checkpoint: url, backend: CPUBackend(), options: options)) { error in
            guard case .depthModelNotFound? = error as? SingleFileError else { return XCTFail("\(error)") }
            XCTAssertTrue("\(error)".contains("--depth-model"), "\(error)")
        }
        // A DPT folder: the same weights as the file's depth model, so the same image.
        var withFolder = options
        withFolder.depthModel = folder.appendingPathComponent("config/depth_estimator").path
        try assertMatchesDiffusers(try DepthToImagePipeline(checkpoint: url, backend: CPUBackend(), options: withFolder), "DPT folder")

        // A model id resolved in a Hugging Face cache (refs/main names the snapshot).
        let repository = tempDirectory.appendingPathComponent("hub/models--someone--tiny-dpt")
        let snapshot = repository.appendingPathComponent("snapshots/0123abcd")
        try FileManager.default.createDirectory(at: snapshot, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: repository.appendingPathComponent("refs"), withIntermediateDirectories: true)
        try "0123abcd".write(to: repository.appendingPathComponent("refs/main"), atomically: true, encoding: .utf8)
        for f in ["config.json", "model.safetensors"] {
            try FileManager.default.copyItem(at: folder.appendingPathComponent("config/depth_estimator/\(f)"), to: snapshot.appendingPathComponent(f))
        }
        var withCache = options
        withCache.depthModel = "someone/tiny-dpt"
        withCache.huggingFaceCache = tempDirectory.appendingPathComponent("hub")
        let fromCache = try DPTDepthEstimator(checkpoint: url, backend: CPUBackend(), options: withCache)
        let fromFile = try DPTDepthEstimator(checkpoint: folder.appendingPathComponent("tiny.ckpt"), backend: CPUBackend(), options: options)
        let image = try request().0.image
        XCTAssertEqual(try fromCache.estimate(image).atModelResolution.values, try fromFile.estimate(image).atModelResolution.values)

        withCache.depthModel = "someone/not-downloaded"
        XCTAssertThrowsError(try DPTDepthEstimator(checkpoint: url, backend: CPUBackend(), options: withCache)) { error in
            XCTAssertTrue("\(error)".contains("models--someone--not-downloaded"), "\(error)")
        }
    }

    func testMissingTokenizerSaysWhereToPutIt() throws {
        let empty = SingleFileOptions(huggingFaceCache: tempDirectory)
        XCTAssertThrowsError(try DepthToImagePipeline(checkpoint: folder.appendingPathComponent("tiny.ckpt"), backend: CPUBackend(), options: empty)) { error in
            guard case let .tokenizerNotFound(searched)? = error as? SingleFileError else { return XCTFail("\(error)") }
            XCTAssertTrue(searched.contains { $0.hasSuffix("models--stabilityai--stable-diffusion-2-depth") }, "\(searched)")
            XCTAssertTrue("\(error)".contains("--tokenizer") && "\(error)".contains("--config"), "\(error)")
        }
        // In the cache (as huggingface-cli lays it out) it is found.
        let snapshot = tempDirectory.appendingPathComponent("models--stabilityai--stable-diffusion-2-depth/snapshots/abc/tokenizer")
        try FileManager.default.createDirectory(at: snapshot, withIntermediateDirectories: true)
        for f in ["vocab.json", "merges.txt"] {
            try FileManager.default.copyItem(at: folder.appendingPathComponent("config/tokenizer/\(f)"), to: snapshot.appendingPathComponent(f))
        }
        let tokenizer = try empty.tokenizer()
        // Without tokenizer_config.json the Stable Diffusion 2 settings apply: "!" pads (id 0).
        XCTAssertEqual(tokenizer.padID, 0)
        XCTAssertEqual(tokenizer.encode("a red house"), try SingleFileOptions(tokenizerFolder: folder.appendingPathComponent("config/tokenizer")).tokenizer().encode("a red house"))
    }

    func testBuiltInPresetsRejectATinyFileWithAClearError() throws {
        // Without --config the stable-diffusion-2-depth shapes are expected; the tiny file does not have them.
        let presets = SingleFileOptions(tokenizerFolder: folder.appendingPathComponent("config/tokenizer"))
        XCTAssertThrowsError(try DepthToImagePipeline(checkpoint: folder.appendingPathComponent("tiny.safetensors"), backend: CPUBackend(), options: presets)) { error in
            guard case let .weightsDoNotMatch(_, component, detail)? = error as? SingleFileError else { return XCTFail("\(error)") }
            XCTAssertEqual(component, "text encoder")
            XCTAssertTrue(detail.contains("embeddings.token_embedding.weight"), detail)
        }
    }

    func testNonCheckpointsAreRefused() throws {
        XCTAssertThrowsError(try SingleFileCheckpoint(url: folder.appendingPathComponent("config"))) {
            XCTAssertEqual($0 as? SingleFileError, .isAFolder(folder.appendingPathComponent("config").path))
        }
        XCTAssertThrowsError(try SingleFileCheckpoint(url: folder.appendingPathComponent("config/depth_estimator/model.safetensors"))) {
            guard case .notOriginalLayout? = $0 as? SingleFileError else { return XCTFail("\($0)") }
        }
        XCTAssertThrowsError(try SingleFileCheckpoint(url: folder.appendingPathComponent("tensors.ckpt"))) {
            guard case .notOriginalLayout? = $0 as? SingleFileError else { return XCTFail("\($0)") }
        }
    }

    func testBuiltInFeatureExtractorIsStableDiffusion2Depths() throws {
        // dpt/preprocess/sd2_down holds stable-diffusion-2-depth's feature_extractor/preprocessor_config.json.
        let published = try DPTImageProcessor(contentsOf: fixtureURL("dpt/preprocess/sd2_down/preprocessor_config.json"))
        let preset = SingleFileConfigurations.stableDiffusion2Depth.imageProcessor
        XCTAssertEqual(preset.size.height, published.size.height)
        XCTAssertEqual(preset.size.width, published.size.width)
        XCTAssertEqual(preset.resample, published.resample)
        XCTAssertEqual(preset.keepAspectRatio, published.keepAspectRatio)
        XCTAssertEqual(preset.ensureMultipleOf, published.ensureMultipleOf)
        // 1/255; Foundation's JSON parser reads the published "0.00392156862745098" one ulp away from it.
        XCTAssertEqual(preset.rescaleFactor, published.rescaleFactor, accuracy: 1e-17)
        XCTAssertEqual(preset.imageMean, published.imageMean)
        XCTAssertEqual(preset.imageStd, published.imageStd)
        XCTAssertEqual([preset.doResize, preset.doRescale, preset.doNormalize], [published.doResize, published.doRescale, published.doNormalize])
    }

    func testOpenCLIPKeysSkipTheLastLayerAndSplitFusedProjections() {
        let config = CLIPTextConfig.stableDiffusion2
        XCTAssertEqual(config.numHiddenLayers, 23)
        XCTAssertEqual(OpenCLIPTextKeys.rename("transformer.resblocks.23.ln_1.weight", config: config), .ignore)
        XCTAssertEqual(OpenCLIPTextKeys.rename("text_projection", config: config), .ignore)
        XCTAssertEqual(OpenCLIPTextKeys.rename("transformer.resblocks.22.attn.in_proj_bias", config: config),
                       .splitRows(["q_proj", "k_proj", "v_proj"].map { "encoder.layers.22.self_attn.\($0).bias" }))
        XCTAssertNil(OpenCLIPTextKeys.rename("transformer.resblocks.x.ln_1.weight", config: config))
    }
}
