import DepthDiffusion
@testable import DepthDiffusionBatch
import XCTest

/// Manifest lines, ids, output names and shard assignment, without running a model.
final class BatchManifestTests: XCTestCase {
    let url = URL(fileURLWithPath: "/data/jobs/manifest.jsonl")

    func testOptionalFieldsTakeTheDefaultsAndPathsAreRelativeToTheManifest() throws {
        var defaults = BatchDefaults()
        defaults.steps = 12
        defaults.negativePrompt = "blurry"
        defaults.scheduler = .ddim
        let manifest = BatchManifest(text: """
            {"id": "a", "image": "in/a.jpg", "prompt": "p"}
            {"id": "b", "image": "/abs/b.png", "prompt": "q", "negative_prompt": "n", "depth": "d/b.png", "seed": 9, "steps": 3, "strength": 0.5, "guidance": 2, "scheduler": "euler-a", "images": 2, "eta": 0.25}
            {"id": "c", "image": "c.png", "prompt": "r", "seed": null}
            """, url: url, defaults: defaults)
        guard case .job(let a) = manifest.entries[0], case .job(let b) = manifest.entries[1],
              case .job(let c) = manifest.entries[2] else { return XCTFail("\(manifest.entries)") }
        XCTAssertEqual(a.image.path, "/data/jobs/in/a.jpg")
        XCTAssertEqual([a.steps, a.images], [12, 1])
        XCTAssertEqual(a.negativePrompt, "blurry")
        XCTAssertEqual(a.scheduler, .ddim)
        XCTAssertEqual(a.strength, 0.8)
        XCTAssertEqual(a.guidance, 7.5)
        XCTAssertEqual(a.seed, BatchJob.seed(forID: "a"))
        XCTAssertEqual(a.outputNames, ["a.png"])
        XCTAssertEqual(b, BatchJob(id: "b", line: 2, image: URL(fileURLWithPath: "/abs/b.png"), prompt: "q", negativePrompt: "n",
                                   depth: URL(fileURLWithPath: "/data/jobs/d/b.png"), seed: 9, steps: 3, strength: 0.5,
                                   guidance: 2, scheduler: .eulerAncestral, eta: 0.25, images: 2))
        XCTAssertEqual(b.outputNames, ["b-1.png", "b-2.png"])
        XCTAssertEqual(c.seed, BatchJob.seed(forID: "c"))
    }

    func testDerivedSeedsAreStableAndDiffer() {
        XCTAssertEqual(BatchJob.seed(forID: "photo-001"), BatchJob.seed(forID: "photo-001"))
        XCTAssertNotEqual(BatchJob.seed(forID: "photo-001"), BatchJob.seed(forID: "photo-002"))
        XCTAssertLessThanOrEqual(BatchJob.seed(forID: "x"), UInt64(UInt32.max))
        // FNV-1a 64 of "a" is 0xaf63dc4c8601ec8c; folded: 0xaf63dc4c ^ 0x8601ec8c.
        XCTAssertEqual(BatchJob.seed(forID: "a"), 0xaf63_dc4c ^ 0x8601_ec8c)
    }

    func testEveryBadLineBecomesAnInvalidEntryNamingItsProblem() {
        let manifest = BatchManifest(text: """
            {"id": "ok", "image": "a.png", "prompt": "p"}
            {"id": "x", "image": "a.png"
            [1, 2]
            {"image": "a.png", "prompt": "p"}
            {"id": "s", "image": "a.png", "prompt": "p", "steps": "4"}
            {"id": "f", "image": "a.png", "prompt": "p", "seed": 1.5}
            {"id": "neg", "image": "a.png", "prompt": "p", "seed": -1}
            {"id": "u", "image": "a.png", "prompt": "p", "stepz": 4}
            {"id": "../up", "image": "a.png", "prompt": "p"}
            {"id": ".hidden", "image": "a.png", "prompt": "p"}
            {"id": "ok", "image": "b.png", "prompt": "p"}
            {"id": "sch", "image": "a.png", "prompt": "p", "scheduler": "nope"}
            {"id": "many", "image": "a.png", "prompt": "p", "images": 65}
            {"id": "e", "image": "", "prompt": "p"}
            """, url: url)
        let errors = manifest.entries.compactMap { entry -> BatchError? in
            if case .invalid(_, _, let error) = entry { return error } else { return nil }
        }
        XCTAssertEqual(manifest.entries.count, 14)
        XCTAssertEqual(errors.count, 13)
        guard errors.count == 13 else { return }
        if case .invalidJSON(2, _) = errors[0] {} else { XCTFail("\(errors[0])") }
        if case .invalidJSON(3, _) = errors[1] {} else { XCTFail("\(errors[1])") }
        XCTAssertEqual(Array(errors[2...]), [
            .missingField(line: 4, field: "id"),
            .wrongType(line: 5, field: "steps", expected: "an integer"),
            .wrongType(line: 6, field: "seed", expected: "a non-negative integer"),
            .wrongType(line: 7, field: "seed", expected: "a non-negative integer"),
            .unknownField(line: 8, field: "stepz"),
            .invalidID(line: 9, id: "../up"),
            .invalidID(line: 10, id: ".hidden"),
            .duplicateID(line: 11, id: "ok", firstLine: 1),
            .invalidValue(line: 12, field: "scheduler", detail: "is \"nope\"; use one of " + SchedulerKind.allCases.map(\.rawValue).joined(separator: ", ")),
            .invalidValue(line: 13, field: "images", detail: "is 65; it must be in 1...64"),
            .invalidValue(line: 14, field: "image", detail: "is empty; give a file path"),
        ])
        // A failed line keeps its id when it has one, for the results file.
        if case .invalid(_, let id, _) = manifest.entries[4] { XCTAssertEqual(id, "s") } else { XCTFail() }
        if case .invalid(_, let id, _) = manifest.entries[1] { XCTAssertNil(id) } else { XCTFail() }
    }

    func testOutputNamesMayNotCollideAcrossJobs() {
        let manifest = BatchManifest(text: """
            {"id": "a", "image": "a.png", "prompt": "p", "images": 2}
            {"id": "a-2", "image": "a.png", "prompt": "p"}
            {"id": "a-3", "image": "a.png", "prompt": "p"}
            """, url: url)
        XCTAssertEqual(manifest.entries[1], .invalid(line: 2, id: "a-2", error: .outputCollision(line: 2, file: "a-2.png", otherLine: 1)))
        if case .job = manifest.entries[2] {} else { XCTFail("a-3 does not collide") }
    }

    func testBlankLinesAreSkippedButKeepTheirNumbers() {
        let manifest = BatchManifest(text: "\n{\"id\": \"a\", \"image\": \"a.png\", \"prompt\": \"p\"}\r\n  \n{\"id\": \"b\", \"image\": \"a.png\", \"prompt\": \"p\"}\n", url: url)
        XCTAssertEqual(manifest.entries.map(\.line), [2, 4])
    }

    func testIDRules() {
        for id in ["a", "A9", "img_001.v2", "x-y", String(repeating: "z", count: 128)] { XCTAssertTrue(BatchJob.isValidID(id), id) }
        for id in ["", "-a", ".a", "_a", "a/b", "a b", "é", "a\u{0}", String(repeating: "z", count: 129)] {
            XCTAssertFalse(BatchJob.isValidID(id), id)
        }
    }

    func testShardsPartitionTheLines() throws {
        for count in 1...5 {
            let shards = try (0..<count).map { try BatchShard(index: $0, count: count) }
            for line in 1...23 { XCTAssertEqual(shards.filter { $0.owns(line: line) }.count, 1) }
        }
        let shard = try BatchShard(parsing: "1/3")
        XCTAssertEqual((1...9).filter(shard.owns), [2, 5, 8])
        for bad in ["3/3", "-1/2", "1", "a/b", "1/0", "1/2/3"] { XCTAssertThrowsError(try BatchShard(parsing: bad), bad) }
    }

    func testShardResolution() throws {
        func resolve(_ option: String? = nil, _ count: Int? = nil, _ env: [String: String] = [:]) throws -> BatchShard {
            try BatchShard.resolve(option: option, count: count, environment: env).shard
        }
        XCTAssertEqual(try resolve(), .whole)
        XCTAssertEqual(try resolve("2/5", nil, ["JOB_COMPLETION_INDEX": "0"]), try BatchShard(index: 2, count: 5))
        // Kubernetes Indexed Job: the index from the environment, the count from the option or the variable.
        XCTAssertEqual(try resolve(nil, 4, ["JOB_COMPLETION_INDEX": "3"]), try BatchShard(index: 3, count: 4))
        XCTAssertEqual(try resolve(nil, nil, ["JOB_COMPLETION_INDEX": "1", "DEPTHDIFFUSION_SHARD_COUNT": "2"]), try BatchShard(index: 1, count: 2))
        XCTAssertThrowsError(try resolve(nil, nil, ["JOB_COMPLETION_INDEX": "1"]))
        XCTAssertThrowsError(try resolve(nil, 2, ["JOB_COMPLETION_INDEX": "2"]))
        // Slurm: task ids relative to the array's minimum (and step).
        XCTAssertEqual(try resolve(nil, nil, ["SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "3"]), try BatchShard(index: 2, count: 3))
        XCTAssertEqual(try resolve(nil, nil, ["SLURM_ARRAY_TASK_ID": "7", "SLURM_ARRAY_TASK_MIN": "5", "SLURM_ARRAY_TASK_COUNT": "4"]),
                       try BatchShard(index: 2, count: 4))
        XCTAssertEqual(try resolve(nil, nil, ["SLURM_ARRAY_TASK_ID": "14", "SLURM_ARRAY_TASK_MIN": "10", "SLURM_ARRAY_TASK_STEP": "2",
                                              "SLURM_ARRAY_TASK_COUNT": "3"]), try BatchShard(index: 2, count: 3))
        XCTAssertThrowsError(try resolve(nil, nil, ["SLURM_ARRAY_TASK_ID": "9", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_COUNT": "3"]))
        XCTAssertThrowsError(try resolve(nil, nil, ["SLURM_ARRAY_TASK_ID": "1"]))
        XCTAssertThrowsError(try resolve(nil, nil, ["SLURM_ARRAY_TASK_ID": "x", "SLURM_ARRAY_TASK_COUNT": "3"]))
        // A count without an index, or both ways of giving the shard, are mistakes.
        XCTAssertThrowsError(try resolve(nil, 3))
        XCTAssertThrowsError(try resolve("0/2", 2))
        XCTAssertEqual(try resolve(nil, 1), .whole)
    }
}
