import DepthDiffusion
import DepthDiffusionImageIO
@testable import DepthDiffusionBatch
import XCTest

/// The batch worker on the demo model: sharding, failures, stopping and resuming.
final class BatchWorkerTests: XCTestCase {
    var defaults: BatchDefaults {
        var d = BatchDefaults()
        d.steps = 3
        return d
    }

    func testThreeShardsWriteTheSameBytesAsOneWorker() throws {
        let fixture = try BatchFixture()
        defer { fixture.remove() }
        let manifest = try BatchManifest(contentsOf: fixture.manifest, defaults: defaults)
        XCTAssertEqual(manifest.entries.count, 7)

        let single = fixture.folder.appendingPathComponent("single")
        var loads = 0
        let whole = try BatchWorker(manifest: manifest, outputFolder: single) { loads += 1; return try BatchFixture.loadDemo() }.run()
        XCTAssertEqual(loads, 1, "the model loads once per worker")
        XCTAssertEqual([whole.done, whole.skipped, whole.failed, whole.images], [7, 0, 0, 8])

        let sharded = fixture.folder.appendingPathComponent("sharded")
        for index in 0..<3 {
            loads = 0
            let shard = try BatchShard(index: index, count: 3)
            let worker = BatchWorker(manifest: manifest, outputFolder: sharded, shard: shard) { loads += 1; return try BatchFixture.loadDemo() }
            let summary = try worker.run()
            XCTAssertEqual(loads, 1)
            XCTAssertEqual(summary.done, [3, 2, 2][index])
            // Each shard's results file holds exactly the lines (n - 1) mod 3 == index.
            let records = try String(contentsOf: worker.resultsFile, encoding: .utf8).split(separator: "\n")
                .map { try JSONDecoder().decode(BatchResultRecord.self, from: Data($0.utf8)) }
            XCTAssertEqual(records.map(\.line), Array(stride(from: index + 1, through: 7, by: 3)))
            XCTAssertTrue(records.allSatisfy { $0.error == nil && $0.seed != nil && ($0.timings?.denoising ?? 0) > 0 })
        }
        let expected = try BatchFixture.images(in: single)
        XCTAssertEqual(expected.keys.sorted(), ["a1.png", "a2-1.png", "a2-2.png", "a3.png", "a4.png", "a5.png", "a6.png", "a7.png"])
        XCTAssertEqual(try BatchFixture.images(in: sharded), expected, "sharded outputs are byte-identical to the unsharded run")
        // The batch image equals the single-image API's for the same request.
        guard case .job(let a3) = manifest.entries[2] else { return XCTFail() }
        let direct = try BatchFixture.loadDemo().generate(a3.request(image: ImageFile.readRGBImage(a3.image), depthMap: nil))
        XCTAssertEqual(try ImageFile.encodePNG(direct.images[0]), expected["a3.png"])

        // A second run finds everything done and does not load the model.
        loads = 0
        let again = try BatchWorker(manifest: manifest, outputFolder: single) { loads += 1; return try BatchFixture.loadDemo() }.run()
        XCTAssertEqual([again.done, again.skipped, again.failed, loads], [0, 7, 0, 0])
        XCTAssertTrue(again.isComplete)
        // A deleted output makes its job run again; the other jobs stay skipped.
        try FileManager.default.removeItem(at: single.appendingPathComponent("a2-2.png"))
        let repaired = try BatchWorker(manifest: manifest, outputFolder: single) { try BatchFixture.loadDemo() }.run()
        XCTAssertEqual([repaired.done, repaired.skipped, repaired.images], [1, 6, 2])
        XCTAssertEqual(try BatchFixture.images(in: single), expected)
    }

    func testBadLinesAndMissingImagesAreRecordedAndTheRestFinishes() throws {
        let fixture = try BatchFixture(manifest: """
            {"id": "good1", "image": "in/input.png", "prompt": "a house", "seed": 1}
            {"id": "broken", "image": "in/input.png", "prompt": "unterminated
            {"id": "lost", "image": "in/nowhere.png", "prompt": "a house"}
            {"id": "zero", "image": "in/input.png", "prompt": "a house", "strength": 0}
            {"id": "good2", "image": "in/input.png", "prompt": "a boat", "seed": 2}
            """)
        defer { fixture.remove() }
        let out = fixture.folder.appendingPathComponent("out")
        var events: [BatchEvent] = []
        let worker = BatchWorker(manifest: try BatchManifest(contentsOf: fixture.manifest, defaults: defaults), outputFolder: out) {
            try BatchFixture.loadDemo()
        }
        let summary = try worker.run { events.append($0) }
        XCTAssertEqual([summary.done, summary.failed, summary.skipped, summary.remaining], [2, 3, 0, 0])
        XCTAssertFalse(summary.isComplete)
        XCTAssertEqual(try BatchFixture.images(in: out).keys.sorted(), ["good1.png", "good2.png"])
        let records = BatchResultsLog.records(in: out)
        XCTAssertEqual(records.map(\.line), [1, 2, 3, 4, 5])
        XCTAssertEqual(records.map { $0.error == nil }, [true, false, false, false, true])
        XCTAssertTrue(records[1].error?.contains("line 2: not a JSON object") == true, records[1].error ?? "")
        XCTAssertNil(records[1].id)
        XCTAssertEqual(records[2].id, "lost")
        XCTAssertTrue(records[2].error?.contains("nowhere.png") == true, records[2].error ?? "")
        XCTAssertTrue(records[3].error?.contains("strength must be in (0, 1]") == true, records[3].error ?? "")
        // Progress counts this shard's lines, with an ETA after each.
        let finished = events.compactMap { e -> (Int, Int, Double?)? in
            if case let .jobFinished(k, n, _, eta) = e { return (k, n, eta) } else { return nil }
        }
        XCTAssertEqual(finished.map(\.0), [1, 2, 3, 4, 5])
        XCTAssertTrue(finished.allSatisfy { $0.1 == 5 && $0.2 != nil })
        XCTAssertEqual(finished.last?.2, 0)
        // Denoising steps are reported for the jobs that ran. PNDM's 3-step schedule has 4 timesteps (one
        // repeated); strength 0.8 skips the first, so each job runs 3 UNet steps.
        let steps = events.compactMap { e -> String? in
            if case let .step(k, _, p) = e { return "\(k):\(p.step)/\(p.totalSteps)" } else { return nil }
        }
        XCTAssertEqual(steps, ["1:1/3", "1:2/3", "1:3/3", "5:1/3", "5:2/3", "5:3/3"])
        // The summary file says the same.
        let stored = try JSONDecoder().decode(BatchSummary.self, from: Data(contentsOf: worker.summaryFile))
        XCTAssertEqual(stored, summary)
    }

    func testAStopRequestLeavesTheJobUnrecordedAndARerunFinishes() throws {
        let fixture = try BatchFixture()
        defer { fixture.remove() }
        let manifest = try BatchManifest(contentsOf: fixture.manifest, defaults: defaults)
        let out = fixture.folder.appendingPathComponent("out")
        let stop = BatchStopFlag()
        // Stop during the third job's denoising loop.
        let first = try BatchWorker(manifest: manifest, outputFolder: out) { try BatchFixture.loadDemo() }.run(stop: stop) { event in
            if case .jobStarted(3, _, _) = event { stop.requestStop() }
        }
        XCTAssertTrue(first.stopped)
        XCTAssertEqual([first.done, first.failed, first.remaining], [2, 0, 5])
        XCTAssertEqual(BatchResultsLog.records(in: out).compactMap(\.id), ["a1", "a2"])
        XCTAssertEqual(try BatchFixture.fileNames(in: out).filter { $0.hasSuffix(".png") || $0.hasSuffix(".tmp") },
                       ["a1.png", "a2-1.png", "a2-2.png"])
        let second = try BatchWorker(manifest: manifest, outputFolder: out) { try BatchFixture.loadDemo() }.run()
        XCTAssertEqual([second.done, second.skipped, second.failed], [5, 2, 0])
        XCTAssertEqual(Set(BatchResultsLog.records(in: out).compactMap(\.id)).count, 7)
    }

    func testAResultsLineCutShortByAKillDoesNotSwallowTheNextRecord() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("results-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let url = folder.appendingPathComponent(BatchResultsLog.fileName(for: .whole))
        let done = BatchResultRecord(id: "a", line: 1, outputs: ["a.png"], seed: 1, timings: BatchJobTimings(), error: nil)
        var text = String(decoding: try JSONEncoder().encode(done), as: UTF8.self) + "\n"
        text += #"{"error":null,"id":"b","line":2,"outp"#
        try Data(text.utf8).write(to: url)
        try BatchResultsWriter(url: url).append(BatchResultRecord(id: "c", line: 3, outputs: ["c.png"], seed: 3, timings: nil, error: nil))
        XCTAssertEqual(BatchResultsLog.records(in: folder).compactMap(\.id), ["a", "c"])
        XCTAssertEqual(BatchResultsLog.succeededIDs(in: folder), ["a", "c"])
    }

    func testStaleTemporaryFilesOfThisShardAreRemoved() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tmp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        for name in [".a1.png.123.tmp", ".other.png.9.tmp", "a1.png"] {
            try Data([1]).write(to: folder.appendingPathComponent(name))
        }
        DurableFile.removeTemporaries(of: ["a1.png"], in: folder)
        XCTAssertEqual(try BatchFixture.fileNames(in: folder), [".other.png.9.tmp", "a1.png"])
        try DurableFile.write(Data([7, 8]), to: folder.appendingPathComponent("b.png"))
        XCTAssertEqual(try Data(contentsOf: folder.appendingPathComponent("b.png")), Data([7, 8]))
        XCTAssertEqual(try BatchFixture.fileNames(in: folder), [".other.png.9.tmp", "a1.png", "b.png"])
    }
}
