import DepthDiffusionImageIO
import Dispatch
import Foundation
import XCTest
@testable import DepthDiffusion

/// Opt-in parity with diffusers at the full SD2-depth size: 512x512, every network at its real depth and width,
/// seeded random weights. The model folder and the expected outputs are written by
/// `Scripts/fixtures/make_full_size_reference.py` (about 6 GB, outside the repository); the test runs only when
/// `DEPTHDIFFUSION_FULL_SIZE_MODEL` names that folder.
///
/// Each case under `<folder>/parity/` runs on the CPU backend (unless `DEPTHDIFFUSION_FULL_SIZE_CPU` is `0`) and, when
/// an OpenCL device exists and `DEPTHDIFFUSION_FULL_SIZE_OPENCL` is not `0`, on OpenCL.
/// `DEPTHDIFFUSION_FULL_SIZE_CASES` (comma-separated names) restricts the cases. Checked per backend: the 8-bit image (every value within 1 level of diffusers'), the depth the
/// UNet was conditioned on, DPT's predicted depth, and the VAE decoder alone on diffusers' final latents.
final class FullSizeParityTests: XCTestCase {
    struct Request: Decodable {
        let prompt: String, negative_prompt: String?
        let steps: Int, strength: Double, guidance: Float, seed: UInt64
        let image_shape: [Int], latents_shape: [Int], depth_shape: [Int], predicted_depth_shape: [Int]
    }

    /// Largest and mean absolute difference; infinite when the counts differ (a fixture of another size).
    struct Difference: CustomStringConvertible {
        var maxAbs = 0.0, meanAbs = 0.0
        init(_ a: [Float], _ b: [Float]) {
            guard a.count == b.count, !a.isEmpty else {
                (maxAbs, meanAbs) = (.infinity, .infinity)
                return
            }
            var sum = 0.0
            for (x, y) in zip(a, b) {
                let d = abs(Double(x) - Double(y))
                maxAbs = d.isNaN ? .infinity : max(maxAbs, d)
                sum += d
            }
            meanAbs = sum / Double(a.count)
        }
        var description: String { String(format: "max abs %.3g, mean abs %.3g", maxAbs, meanAbs) }
    }

    func testMatchesDiffusersAtFullSize() throws {
        let env = ProcessInfo.processInfo.environment
        guard let path = env["DEPTHDIFFUSION_FULL_SIZE_MODEL"], !path.isEmpty else {
            throw XCTSkip("set DEPTHDIFFUSION_FULL_SIZE_MODEL to a folder written by Scripts/fixtures/make_full_size_reference.py")
        }
        let folder = URL(fileURLWithPath: path)
        let root = folder.appendingPathComponent("parity")
        var names = try FileManager.default.contentsOfDirectory(atPath: root.path).sorted()
        if let only = env["DEPTHDIFFUSION_FULL_SIZE_CASES"], !only.isEmpty {
            let wanted = Set(only.split(separator: ",").map(String.init))
            names = names.filter(wanted.contains)
        }
        XCTAssertFalse(names.isEmpty, "no parity case under \(root.path)")
        var backends: [() throws -> ComputeBackend] = []
        if env["DEPTHDIFFUSION_FULL_SIZE_CPU"] != "0" { backends.append { try CPUBackend() } }
        if env["DEPTHDIFFUSION_FULL_SIZE_OPENCL"] != "0", !OpenCLPlatforms.devices().isEmpty {
            backends.append { try OpenCLBackend() }
        }
        // One backend at a time: each pipeline holds ~5.6 GB of fp32 weights.
        for makeBackend in backends {
            try check(cases: names.map { root.appendingPathComponent($0) }, folder: folder, backend: makeBackend())
        }
    }

    func check(cases: [URL], folder: URL, backend: ComputeBackend) throws {
        var start = DispatchTime.now().uptimeNanoseconds
        let pipeline = try DepthToImagePipeline(modelFolder: folder, backend: backend)
        print(String(format: "[full-size] [%@] loaded in %.1f s", backend.name, seconds(since: start)))
        for dir in cases {
            let c = try JSONDecoder().decode(Request.self, from: Data(contentsOf: dir.appendingPathComponent("request.json")))
            let label = "\(dir.lastPathComponent) [\(backend.name)]"
            var request = DepthToImageRequest(prompt: c.prompt, image: try ImageFile.readRGBImage(dir.appendingPathComponent("input.png")))
            request.negativePrompt = c.negative_prompt
            request.steps = c.steps
            request.strength = c.strength
            request.guidanceScale = c.guidance
            request.seed = c.seed
            start = DispatchTime.now().uptimeNanoseconds
            let result = try pipeline.generate(request)
            let t = result.timings
            print(String(format: "[full-size] %@: generated in %.1f s (text %.1f, depth %.1f, encode %.1f, denoise %.1f, decode %.1f)",
                         label, seconds(since: start), t.textEncoding, t.depth, t.vaeEncode, t.denoising, t.vaeDecode))

            // The 8-bit image: every value within 1 level of diffusers'.
            let expected = try Data(contentsOf: dir.appendingPathComponent("expected_image.bin"))
            let image = try XCTUnwrap(result.images.first)
            XCTAssertEqual([image.height, image.width, 3], c.image_shape, label)
            XCTAssertEqual(image.pixels.count, expected.count, label)
            let levels = zip(image.pixels, expected).map { abs(Int($0) - Int($1)) }
            let worst = levels.max() ?? 255
            let differing = levels.filter { $0 != 0 }.count
            print("[full-size] \(label): 8-bit image max difference \(worst) levels, \(differing) of \(levels.count) values differ")
            XCTAssertLessThanOrEqual(worst, 1, "\(label): 8-bit image")
            // Against diffusers' unquantised image, in 8-bit levels (our own rounding contributes up to 0.5).
            let expectedFloat = try readFloats(dir.appendingPathComponent("expected_image_float.bin"))
            let levelsVsFloat = Difference(image.pixels.map(Float.init), expectedFloat.map { $0 * 255 })
            print("[full-size] \(label): 8-bit image vs diffusers' float image, in levels: \(levelsVsFloat)")
            // Measured 0.504 at most (rounding alone gives up to 0.5).
            XCTAssertLessThanOrEqual(levelsVsFloat.maxAbs, 0.6, "\(label): 8-bit image vs diffusers' float image")

            // The depth the UNet was conditioned on ([-1, 1] at 64x64; diffusers' copy is repeated for guidance) and
            // DPT's predicted depth (384x384).
            XCTAssertEqual([result.depth.height, result.depth.width], Array(c.depth_shape.suffix(2)), label)
            let expectedDepth = try readFloats(dir.appendingPathComponent("expected_depth.bin"))
            let depth = Difference(result.depth.values, Array(expectedDepth.prefix(result.depth.values.count)))
            print("[full-size] \(label): conditioning depth \(depth)")
            // Measured 9.9e-6 at most (CPU, 512x512).
            XCTAssertLessThanOrEqual(depth.maxAbs, 1e-4, "\(label): conditioning depth")
            let predictedExpected = try readFloats(dir.appendingPathComponent("predicted_depth.bin"))
            XCTAssertEqual([1, result.rawDepth.height, result.rawDepth.width], c.predicted_depth_shape, label)
            let predicted = Difference(result.rawDepth.values, predictedExpected)
            let scale = Double(predictedExpected.map(abs).max() ?? 1)
            print("[full-size] \(label): predicted depth \(predicted) (scale \(scale))")
            // Measured 5.6e-7 at most for values up to 0.107 (5e-6 of the scale).
            XCTAssertLessThanOrEqual(predicted.maxAbs, 1e-4 * scale, "\(label): predicted depth")

            // The VAE decoder alone, on diffusers' final latents: the float image before quantisation.
            let latents = try readFloats(dir.appendingPathComponent("final_latents.bin"))
            let z = try Tensor(shape: c.latents_shape, data: latents.map { $0 / pipeline.vaeConfig.scalingFactor }, on: backend)
            let decoded = try pipeline.vae.decode(z).toArray()
            let plane = image.width * image.height
            var hwc = [Float](repeating: 0, count: 3 * plane)
            for ch in 0..<3 { for p in 0..<plane { hwc[p * 3 + ch] = min(max(decoded[ch * plane + p] / 2 + 0.5, 0), 1) } }
            let decoder = Difference(hwc, expectedFloat)
            print("[full-size] \(label): VAE decode of diffusers' latents, float image in [0, 1]: \(decoder)")
            // Measured 2.1e-5 at most (CPU, 512x512).
            XCTAssertLessThanOrEqual(decoder.maxAbs, 2e-4, "\(label): VAE decode")
        }
    }

    func readFloats(_ url: URL) throws -> [Float] {
        let data = try Data(contentsOf: url)
        return data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    }

    func seconds(since start: UInt64) -> Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }
}
