import DepthDiffusionImageIO
import Foundation
import XCTest
@testable import DepthDiffusion

/// Every network of the demo model on every backend, compared with the first backend (the CPU) on the
/// same inputs. Bounds are relative to the output's scale, a few times the largest difference measured.
final class ModelCrossBackendTests: XCTestCase {
    func compare(_ outputs: [(String, [Float])], _ label: String, relative: Double) {
        guard let (firstName, reference) = outputs.first else { return }
        let scale = reference.map { Double(abs($0)) }.max() ?? 1
        for (name, values) in outputs.dropFirst() {
            let stats = assertClose(values, reference.map(Double.init), atol: relative * scale, rtol: 0, "\(label) [\(name) vs \(firstName)]")
            print("[cross-backend] \(label) \(name) vs \(firstName): \(stats)")
        }
    }

    func testEveryNetworkAgreesAcrossBackends() throws {
        let backends = try conformanceBackends()
        guard backends.count > 1 else { throw XCTSkip("only one backend on this machine") }
        let pipelines = try backends.map { try DepthToImagePipeline(modelFolder: PipelineParityTests.modelURL, backend: $0) }
        var rng = TestRandom(seed: 21)
        let ids = try pipelines[0].prompts.tokenizer.encode("a red house by a lake!")
        compare(try pipelines.map { ($0.backend.name, try $0.prompts.textEncoder(ids: ids, batch: 1).toArray()) }, "text encoder", relative: 1e-5)

        let sample = rng.floats(2 * 5 * 6 * 8), context = rng.floats(2 * 77 * 16)
        compare(try pipelines.map { p in
            (p.backend.name, try p.unet(Tensor(shape: [2, 5, 6, 8], data: sample, on: p.backend), timestep: 501,
                                        context: Tensor(shape: [2, 77, 16], data: context, on: p.backend)).toArray())
        }, "unet", relative: 1e-5)

        let latents = rng.floats(1 * 4 * 6 * 8, scale: 3)
        compare(try pipelines.map { p in
            (p.backend.name, try p.vae.decode(Tensor(shape: [1, 4, 6, 8], data: latents, on: p.backend)).toArray())
        }, "vae decode", relative: 1e-5)
        let image = try ImageFile.readRGBImage(PipelineParityTests.modelURL.deletingLastPathComponent().appendingPathComponent("input.png"))
        compare(try pipelines.map { p in (p.backend.name, try p.vae.encodeMoments(p.imageTensor(image)).toArray()) }, "vae encode", relative: 1e-5)
        compare(try pipelines.map { p in (p.backend.name, try p.depthEstimator.predictedDepth([image]).toArray()) }, "dpt", relative: 1e-5)
    }
}
