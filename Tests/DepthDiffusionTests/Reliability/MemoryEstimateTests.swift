import DepthDiffusionImageIO
import Foundation
import XCTest
@testable import DepthDiffusion

/// Requests that cannot fit in memory are refused before any work; usual sizes pass.
final class MemoryEstimateTests: XCTestCase {
    func estimate(_ side: Int, images: Int = 1, tiled: Bool) -> GenerationMemoryEstimate {
        GenerationMemoryEstimate(unet: .sd2Depth, vae: .sd2Depth, width: side, height: side, images: images,
                                 guidance: true, vaeTiled: tiled)
    }

    func testFullSizeModelEstimates() {
        // What a 24 GB machine has left after the ~6.3 GB of float32 weights is about 17 GB.
        let spare = 17_000_000_000
        for side in [512, 768] {
            let e = estimate(side, tiled: false)
            print("[memory] SD2-depth \(side)x\(side): UNet \(e.unetBytes / 1_000_000) MB, VAE \(e.vaeBytes / 1_000_000) MB, images \(e.imageBytes / 1_000_000) MB, peak \(e.peakBytes / 1_000_000) MB")
            XCTAssertLessThan(e.peakBytes, spare / 2, "\(side)x\(side)")
        }
        XCTAssertLessThan(estimate(2048, tiled: true).peakBytes, spare)
        // 16384x16384 cannot fit, tiled or not; the untiled VAE alone is far beyond any machine.
        XCTAssertGreaterThan(estimate(16384, tiled: true).peakBytes, 64_000_000_000)
        XCTAssertGreaterThan(estimate(16384, tiled: false).vaeBytes, 500_000_000_000)
        // More images need more; tiling bounds the VAE's share.
        XCTAssertGreaterThan(estimate(768, images: 4, tiled: false).peakBytes, estimate(768, tiled: false).peakBytes)
        XCTAssertLessThan(estimate(4096, tiled: true).vaeBytes, estimate(4096, tiled: false).vaeBytes)
        // Absurd sizes saturate instead of overflowing.
        XCTAssertEqual(estimate(Int.max, tiled: false).peakBytes, Int.max)
    }

    /// Activation peaks of the CPU backend with the full-size networks (peak RSS less the same run at a tiny
    /// size; `depth-bench unet --width S --height S` and `vae-decode --width S --height S --tiling off`, AMD EPYC
    /// Zen 4, 2 threads, 2026-12-01): the estimate must cover each, with 2 workers as measured.
    func testEstimatesCoverTheMeasuredPeaks() {
        let measured: [(side: Int, unet: Int, vae: Int)] = [
            (256, 96_625_000, 131_658_000), (512, 235_623_000, 436_535_000), (768, 537_211_000, 948_031_000),
        ]
        for m in measured {
            let e = GenerationMemoryEstimate(unet: .sd2Depth, vae: .sd2Depth, width: m.side, height: m.side, images: 1,
                                             guidance: true, vaeTiled: false, workers: 2)
            XCTAssertGreaterThan(e.unetBytes, m.unet * 6 / 5, "UNet \(m.side)")
            XCTAssertGreaterThan(e.vaeBytes, m.vae * 6 / 5, "VAE \(m.side)")
            // Not far above either: the estimate refuses only what would not fit.
            XCTAssertLessThan(e.unetBytes, m.unet * 3 / 2, "UNet \(m.side)")
            XCTAssertLessThan(e.vaeBytes, m.vae * 3 / 2, "VAE \(m.side)")
        }
        // Each CPU worker adds its scratch memory.
        let one = estimate(512, tiled: false)
        let many = GenerationMemoryEstimate(unet: .sd2Depth, vae: .sd2Depth, width: 512, height: 512, images: 1,
                                            guidance: true, vaeTiled: false, workers: 64)
        XCTAssertGreaterThan(many.vaeBytes, one.vaeBytes)
        XCTAssertGreaterThan(many.unetBytes, one.unetBytes)
    }

    func testAvailableMemoryIsReadFromTheMachine() {
        let available = GenerationMemoryEstimate.availableBytes()
        XCTAssertGreaterThan(available, 0)
        XCTAssertLessThanOrEqual(UInt64(available), ProcessInfo.processInfo.physicalMemory)
    }

    func testPipelineRefusesARequestBeyondItsMemoryBeforeWorking() throws {
        let pipeline = try DepthToImagePipeline(modelFolder: PipelineParityTests.modelURL, backend: try CPUBackend())
        let image = try ImageFile.readRGBImage(PipelineParityTests.modelURL.deletingLastPathComponent().appendingPathComponent("input.png"))
        var request = DepthToImageRequest(prompt: "a house", image: image)
        request.steps = 2
        let needed = pipeline.memoryEstimate(for: request).peakBytes
        XCTAssertGreaterThan(needed, 0)
        request.memoryLimit = needed - 1
        var steps = 0
        XCTAssertThrowsError(try pipeline.generate(request) { _ in steps += 1; return true }) { error in
            guard case let .insufficientMemory(bytes, available, advice)? = error as? PipelineError else { return XCTFail("\(error)") }
            XCTAssertEqual(bytes, needed)
            XCTAssertEqual(available, needed - 1)
            XCTAssertTrue(advice.contains("smaller image"), advice)
            XCTAssertTrue("\(error)".contains("is available"), "\(error)")
        }
        XCTAssertEqual(steps, 0)
        // Without tiling the VAE dominates a large image, and the advice says to enable tiling.
        try pipeline.vae.tiling = .disabled
        request.image = try RGBImage(width: 2048, height: 2048, pixels: [UInt8](repeating: 128, count: 2048 * 2048 * 3))
        request.memoryLimit = 1_000_000
        XCTAssertThrowsError(try pipeline.generate(request)) { error in
            XCTAssertTrue("\(error)".contains("enable VAE tiling"), "\(error)")
        }
        // The machine's own memory: the demo image fits.
        request.image = image
        request.memoryLimit = nil
        XCTAssertNoThrow(try pipeline.generate(request))
    }
}
