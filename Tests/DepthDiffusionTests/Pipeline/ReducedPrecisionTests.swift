import DepthDiffusionImageIO
import Foundation
import XCTest
@testable import DepthDiffusion

/// The demo model with 16-bit weights and in low-memory mode, on every backend: each network's output against the
/// float32 pipeline's (which matches the diffusers fixtures), and whole generations against float32 ones.
final class ReducedPrecisionTests: TemporaryDirectoryTestCase {
    static let image = PipelineParityTests.modelURL.deletingLastPathComponent().appendingPathComponent("input.png")

    /// Relative L2 error ‖a − e‖ / ‖e‖.
    func relativeError(_ actual: [Float], _ expected: [Float]) -> Double {
        var diff = 0.0, norm = 0.0
        for (a, e) in zip(actual, expected) { diff += Double(a - e) * Double(a - e); norm += Double(e) * Double(e) }
        return (diff / max(norm, .leastNormalMagnitude)).squareRoot()
    }

    /// Each network of the float32 reference fixtures (diffusers / transformers outputs) with its weights held in
    /// `precision` on `backend`: name → (output, expected).
    func fixtureOutputs(_ backend: ComputeBackend, _ precision: WeightPrecision) throws -> [String: ([Float], [Float])] {
        var out: [String: ([Float], [Float])] = [:]
        let unetFixture = try ModelFixture("unet/depth_linear_3level")
        let unet = try UNet2DConditionModel(config: UNet2DConditionConfig(contentsOf: unetFixture.folder),
            weights: WeightBinder(source: SafeTensorsCollection(url: unetFixture.folder), backend: backend, precision: precision))
        XCTAssertEqual(unet.convIn.weight.storage, precision)
        out["unet"] = (try unet(unetFixture.tensor("sample", on: backend), timestep: Float(try XCTUnwrap(unetFixture.meta["timestep"] as? Double)),
                                context: unetFixture.tensor("context", on: backend)).toArray(), try unetFixture.tensor("output").values)

        let vaeFixture = try ModelFixture("vae/tiny_4level")
        let vae = try AutoencoderKL(config: AutoencoderKLConfig(contentsOf: vaeFixture.folder),
            weights: WeightBinder(source: SafeTensorsCollection(url: vaeFixture.folder), backend: backend, precision: precision))
        out["vae encode"] = (try vae.encodeMoments(vaeFixture.tensor("image", on: backend)).toArray(), try vaeFixture.tensor("moments").values)
        out["vae decode"] = (try vae.decode(vaeFixture.tensor("latent", on: backend)).toArray(), try vaeFixture.tensor("decoded").values)

        let textFolder = fixtureURL("text_encoder/tiny_gelu")
        let ids = try JSONDecoder().decode([[Int32]].self, from: Data(contentsOf: textFolder.appendingPathComponent("input_ids.json")))
        let encoder = try CLIPTextEncoder(folder: textFolder, backend: backend, precision: precision)
        let textExpected = try Data(contentsOf: textFolder.appendingPathComponent("expected.bin")).withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        out["text encoder"] = (try encoder(ids: ids.flatMap { $0 }, batch: ids.count).toArray(), textExpected)

        let meta = try loadFixtureMeta("dpt/hybrid_a/meta.json")
        let dpt = try DPTForDepthEstimation(folder: fixtureURL("dpt/hybrid_a"), backend: backend, precision: precision)
        let pixels = try Tensor(shape: try XCTUnwrap(meta["input_shape"] as? [Int]), data: loadFloat32Fixture("dpt/hybrid_a/input.bin"), on: backend)
        out["dpt"] = (try dpt(pixels).toArray(), try loadFloat32Fixture("dpt/hybrid_a/expected.bin"))
        return out
    }

    /// Largest relative L2 error against the reference fixtures measured on either backend, per precision and
    /// network (AMD Zen 4 with AVX512-BF16, and PoCL); the bounds are these with a margin of about 2x. Float32
    /// measures below 1e-6.
    /// fp16: text encoder 5.3e-4, unet 4.5e-4, vae encode 5.4e-4, vae decode 1.2e-3, dpt 2.7e-4.
    /// bf16: text encoder 5.5e-3, unet 5.0e-3, vae encode 8.6e-3, vae decode 1.4e-2, dpt 4.8e-3.
    static let bounds: [WeightPrecision: [String: Double]] = [
        .fp16: ["text encoder": 1.2e-3, "unet": 1e-3, "vae encode": 1.2e-3, "vae decode": 2.5e-3, "dpt": 6e-4],
        .bf16: ["text encoder": 1.2e-2, "unet": 1e-2, "vae encode": 1.5e-2, "vae decode": 2.6e-2, "dpt": 1e-2],
    ]

    func testNetworksWith16BitWeightsStayWithinMeasuredError() throws {
        for backend in try conformanceBackends() {
            for precision in [WeightPrecision.fp16, .bf16] {
                for (name, (actual, expected)) in try fixtureOutputs(backend, precision).sorted(by: { $0.key < $1.key }) {
                    XCTAssertEqual(actual.count, expected.count, name)
                    let error = relativeError(actual, expected)
                    print("[precision] \(precision) \(name) on \(backend.name): relative error \(error)")
                    XCTAssertLessThan(error, try XCTUnwrap(Self.bounds[precision]?[name]), "\(precision) \(name) on \(backend.name)")
                    XCTAssertGreaterThan(error, 1e-6, "\(precision) \(name) on \(backend.name): the weights were not rounded")
                }
            }
        }
    }

    func request() throws -> DepthToImageRequest {
        var request = DepthToImageRequest(prompt: "a quiet street at dawn", image: try ImageFile.readRGBImage(Self.image))
        request.negativePrompt = "blurry"
        request.steps = 6
        request.strength = 0.8
        request.seed = 7
        return request
    }

    func testLowMemoryModeGivesTheSameImage() throws {
        for backend in try conformanceBackends() {
            let resident = try DepthToImagePipeline(modelFolder: PipelineParityTests.modelURL, backend: backend)
            let lean = try DepthToImagePipeline(modelFolder: PipelineParityTests.modelURL, backend: backend,
                                                options: PipelineOptions(lowMemory: true))
            if let cpu = backend as? CPUBackend {
                XCTAssertEqual(cpu.pool.limitBytes, DepthToImagePipeline.lowMemoryCacheBytes, "low-memory mode caps the buffer cache")
            }
            let expected = try resident.generate(request())
            let actual = try lean.generate(request())
            XCTAssertEqual(actual.images.map(\.pixels), expected.images.map(\.pixels), "low-memory image on \(backend.name)")
            XCTAssertEqual(actual.depth.values, expected.depth.values, "low-memory depth on \(backend.name)")
            // Each access loads a fresh model; the resident pipeline hands out the same one.
            XCTAssertFalse(try lean.unet === lean.unet)
            XCTAssertTrue(try resident.unet === resident.unet)
        }
    }

    func testLowMemoryModeReportsABrokenFolderAtOnce() throws {
        // The demo model with every component linked except the UNet, whose weights file is garbage.
        let fm = FileManager.default
        let folder = temp.appendingPathComponent("model")
        let demo = PipelineParityTests.modelURL
        try fm.createDirectory(at: folder.appendingPathComponent("unet"), withIntermediateDirectories: true)
        for item in try fm.contentsOfDirectory(atPath: demo.path) where item != "unet" {
            try fm.createSymbolicLink(at: folder.appendingPathComponent(item), withDestinationURL: demo.appendingPathComponent(item))
        }
        try fm.copyItem(at: demo.appendingPathComponent("unet/config.json"), to: folder.appendingPathComponent("unet/config.json"))
        try Data("not a safetensors file".utf8).write(to: folder.appendingPathComponent("unet/diffusion_pytorch_model.safetensors"))
        XCTAssertThrowsError(try DepthToImagePipeline(modelFolder: folder, backend: CPUBackend(), options: PipelineOptions(lowMemory: true))) {
            XCTAssertTrue($0 is SafeTensorsError, "\($0)")
        }
    }

    /// Whole generations with 16-bit weights (in low-memory mode) against float32 ones. The demo model is stored in
    /// fp16, so fp16 keeps its weights exactly (measured: 0 levels apart); bf16 rounds them (measured: at most 6
    /// levels on the CPU with AVX512-BF16, 2 on PoCL).
    func testGenerationWith16BitWeights() throws {
        for backend in try conformanceBackends() {
            let expected = try DepthToImagePipeline(modelFolder: PipelineParityTests.modelURL, backend: backend).generate(request())
            for (precision, bound) in [(WeightPrecision.fp16, 1), (.bf16, 12)] {
                let pipeline = try DepthToImagePipeline(modelFolder: PipelineParityTests.modelURL, backend: backend,
                                                        options: PipelineOptions(precision: precision, lowMemory: true))
                let actual = try pipeline.generate(request())
                let worst = zip(actual.images[0].pixels, expected.images[0].pixels).map { abs(Int($0) - Int($1)) }.max() ?? 255
                print("[precision] \(precision) generation on \(backend.name): max difference \(worst) levels")
                XCTAssertLessThanOrEqual(worst, bound, "\(precision) generation on \(backend.name)")
            }
        }
    }
}
