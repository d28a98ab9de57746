import DepthDiffusionImageIO
import Foundation
import XCTest
@testable import DepthDiffusion

/// A cancelled generation leaves the pipeline as it was: the next run gives a fresh pipeline's image.
final class CancellationTests: XCTestCase {
    func testCancelledGenerationLeavesThePipelineReusable() throws {
        let model = PipelineParityTests.modelURL
        let image = try ImageFile.readRGBImage(model.deletingLastPathComponent().appendingPathComponent("input.png"))
        for kind in [SchedulerKind.pndm, .dpmSolverPP2M, .eulerAncestral] {
            var request = DepthToImageRequest(prompt: "a boat", image: image)
            request.steps = 6
            request.seed = 9
            request.scheduler = kind
            let pipeline = try DepthToImagePipeline(modelFolder: model, backend: try CPUBackend())
            var seen = 0
            XCTAssertThrowsError(try pipeline.generate(request) { p in seen = p.step; return p.step < 2 }) { error in
                XCTAssertEqual(error as? PipelineError, .cancelled)
            }
            XCTAssertEqual(seen, 2, "stops at the step whose progress report said so")
            let afterCancel = try pipeline.generate(request)
            let fresh = try DepthToImagePipeline(modelFolder: model, backend: try CPUBackend()).generate(request)
            XCTAssertEqual(afterCancel.images, fresh.images, "\(kind)")
            XCTAssertEqual(afterCancel.depth, fresh.depth, "\(kind)")
        }
    }
}
