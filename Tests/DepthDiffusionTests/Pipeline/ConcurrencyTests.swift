import DepthDiffusionImageIO
import Dispatch
import Foundation
import Synchronization
import XCTest
@testable import DepthDiffusion

/// Pipelines and backends used from several threads give the images of sequential runs: two pipelines
/// (on two backends with different thread counts, so OpenBLAS's process-wide thread setting changes under
/// way) running side by side, and two concurrent calls on one pipeline. On every backend.
final class ConcurrencyTests: XCTestCase {
    func requests() throws -> [DepthToImageRequest] {
        let image = try ImageFile.readRGBImage(PipelineParityTests.modelURL.deletingLastPathComponent().appendingPathComponent("input.png"))
        return [("a red house by a lake", 11 as UInt64, SchedulerKind.pndm), ("two boats", 12, .eulerAncestral)].map { prompt, seed, kind in
            var request = DepthToImageRequest(prompt: prompt, image: image)
            request.steps = 4
            request.seed = seed
            request.scheduler = kind
            return request
        }
    }

    /// Runs `jobs` on as many threads at once, returning their results in order.
    func concurrently(_ jobs: [@Sendable () throws -> DepthToImageResult]) throws -> [DepthToImageResult] {
        let results = Mutex<[Int: Result<DepthToImageResult, any Error>]>([:])
        DispatchQueue.concurrentPerform(iterations: jobs.count) { i in
            let result = Result { try jobs[i]() }
            results.withLock { $0[i] = result }
        }
        return try results.withLock { all in try (0..<jobs.count).map { try XCTUnwrap(all[$0]).get() } }
    }

    func assertSameImages(_ a: DepthToImageResult, _ b: DepthToImageResult, _ label: String) {
        XCTAssertEqual(a.images, b.images, label)
        XCTAssertEqual(a.depth.values, b.depth.values, label)
    }

    func testConcurrentPipelinesAndCallsMatchSequentialRuns() throws {
        let requests = try requests()
        var pairs: [(String, ComputeBackend, ComputeBackend)] = [("cpu", try CPUBackend(), try CPUBackend(threads: 1))]
        if let first = try openCLBackendIfPresent(), let second = try openCLBackendIfPresent() {
            pairs.append(("opencl", first, second))
        }
        for (name, firstBackend, secondBackend) in pairs {
            let first = try DepthToImagePipeline(modelFolder: PipelineParityTests.modelURL, backend: firstBackend)
            let second = try DepthToImagePipeline(modelFolder: PipelineParityTests.modelURL, backend: secondBackend)
            // Sequential references, each request on each pipeline.
            let onFirst = try requests.map { try first.generate($0) }
            let onSecond = try requests.map { try second.generate($0) }

            // Two pipelines at once, each running both requests.
            let sideBySide = try concurrently([
                { try first.generate(requests[0]) }, { try second.generate(requests[1]) },
                { try first.generate(requests[1]) }, { try second.generate(requests[0]) },
            ])
            assertSameImages(sideBySide[0], onFirst[0], "\(name): first pipeline, request 0, concurrent")
            assertSameImages(sideBySide[1], onSecond[1], "\(name): second pipeline, request 1, concurrent")
            assertSameImages(sideBySide[2], onFirst[1], "\(name): first pipeline, request 1, concurrent")
            assertSameImages(sideBySide[3], onSecond[0], "\(name): second pipeline, request 0, concurrent")

            // Two concurrent calls on one pipeline.
            let shared = try concurrently([{ try first.generate(requests[0]) }, { try first.generate(requests[1]) }])
            assertSameImages(shared[0], onFirst[0], "\(name): one pipeline, request 0, concurrent")
            assertSameImages(shared[1], onFirst[1], "\(name): one pipeline, request 1, concurrent")
        }
    }

    func testBLASThreadGateKeepsEachCallersThreadCount() throws {
        // Callers that want different OpenBLAS thread counts never see the other's count inside the gate.
        _ = try CPUBackend()
        let violations = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 8) { i in
            let threads = i % 2 + 1
            for _ in 0..<200 {
                BLASThreadGate.shared.run(threads: threads) {
                    if OpenBLASLibrary.threads != threads { violations.add(1, ordering: .relaxed) }
                }
            }
        }
        XCTAssertEqual(violations.load(ordering: .relaxed), 0)
    }
}
