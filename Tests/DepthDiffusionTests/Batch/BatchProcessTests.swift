import DepthDiffusion
@testable import DepthDiffusionBatch
import Foundation
import XCTest

/// `depth2img batch` as a separate process, killed with SIGKILL or stopped with SIGTERM in the middle of a job
/// and started again. The executable is the one built next to the test bundle (`swift build` / `swift test`
/// build it).
final class BatchProcessTests: XCTestCase {
    /// Job a2 is long (120 steps at strength 1, two images) so a signal sent soon after it starts lands
    /// inside its denoising loop.
    static let manifest = BatchFixture.sevenJobs.replacingOccurrences(
        of: #""images": 2, "scheduler": "euler-a"}"#, with: #""images": 2, "scheduler": "euler-a", "steps": 120, "strength": 1}"#)

    var executable: URL {
        Bundle.main.bundleURL.appendingPathComponent("depth2img")
    }

    func arguments(_ fixture: BatchFixture, _ out: URL) -> [String] {
        ["batch", "--model", BatchFixture.demoModel.path, "--manifest", fixture.manifest.path, "--output-dir", out.path,
         "--steps", "3", "--backend", "cpu"]
    }

    func testKilledInTheMiddleOfAJobAndRestartedFinishesWithEveryOutputOnce() throws {
        try checkExecutable()
        let fixture = try BatchFixture(manifest: Self.manifest)
        defer { fixture.remove() }
        let out = fixture.folder.appendingPathComponent("out")

        let killed = try BatchProcess(executable, arguments(fixture, out))
        try killed.wait(for: "job 2 of 7: a2", timeout: 60)
        usleep(100_000)
        killed.signal(SIGKILL)
        XCTAssertEqual(killed.finish().status, SIGKILL)
        XCTAssertEqual(BatchResultsLog.records(in: out).compactMap(\.id), ["a1"], "killed while a2 was running")
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.appendingPathComponent("a2-1.png").path))

        let rerun = try BatchProcess(executable, arguments(fixture, out)).finish()
        XCTAssertEqual(rerun.status, 0, rerun.stderr)
        XCTAssertTrue(rerun.stderr.contains("job 1 of 7: a1 already done, skipped"), rerun.stderr)
        try assertCompleteAndIdentical(out, fixture)
    }

    func testSIGTERMStopsBetweenStepsAndARerunFinishes() throws {
        try checkExecutable()
        let fixture = try BatchFixture(manifest: Self.manifest)
        defer { fixture.remove() }
        let out = fixture.folder.appendingPathComponent("out")

        let stopped = try BatchProcess(executable, arguments(fixture, out))
        try stopped.wait(for: "job 2 of 7: a2", timeout: 60)
        usleep(100_000)
        stopped.signal(SIGTERM)
        let result = stopped.finish()
        XCTAssertEqual(result.status, 128 + SIGTERM, result.stderr)
        XCTAssertTrue(result.stderr.contains("stopped before finishing job 2 of 7"), result.stderr)
        let summary = try JSONDecoder().decode(BatchSummary.self, from: Data(contentsOf: out.appendingPathComponent("summary-shard-0-of-1.json")))
        XCTAssertEqual([summary.done, summary.remaining], [1, 6])
        XCTAssertTrue(summary.stopped)
        XCTAssertEqual(BatchResultsLog.records(in: out).compactMap(\.id), ["a1"])

        let rerun = try BatchProcess(executable, arguments(fixture, out)).finish()
        XCTAssertEqual(rerun.status, 0, rerun.stderr)
        try assertCompleteAndIdentical(out, fixture)
    }

    func testTheExitStatusReportsFailedLines() throws {
        try checkExecutable()
        let fixture = try BatchFixture(manifest: """
            {"id": "good", "image": "in/input.png", "prompt": "a house", "seed": 1}
            {"id": "bad", "image": "in/input.png", "prompt": 3}
            {"id": "lost", "image": "in/missing.png", "prompt": "a house"}
            """)
        defer { fixture.remove() }
        let out = fixture.folder.appendingPathComponent("out")
        let result = try BatchProcess(executable, arguments(fixture, out)).finish()
        XCTAssertEqual(result.status, 1, result.stderr)
        XCTAssertTrue(result.stderr.contains(#"job 2 of 3: bad (line 2) FAILED: "prompt" must be a string"#), result.stderr)
        XCTAssertTrue(result.stderr.contains("missing.png"), result.stderr)
        XCTAssertTrue(result.stderr.contains("1 done, 0 skipped, 2 failed of 3"), result.stderr)
        XCTAssertEqual(try BatchFixture.images(in: out).keys.sorted(), ["good.png"])
    }

    /// Every output exactly once, byte-identical to an uninterrupted in-process run; one successful record
    /// per id; no temporary files.
    private func assertCompleteAndIdentical(_ out: URL, _ fixture: BatchFixture, file: StaticString = #filePath, line: UInt = #line) throws {
        var defaults = BatchDefaults()
        defaults.steps = 3
        let reference = fixture.folder.appendingPathComponent("reference")
        _ = try BatchWorker(manifest: BatchManifest(contentsOf: fixture.manifest, defaults: defaults), outputFolder: reference) {
            try BatchFixture.loadDemo()
        }.run()
        XCTAssertEqual(try BatchFixture.images(in: out), try BatchFixture.images(in: reference), file: file, line: line)
        XCTAssertEqual(try BatchFixture.images(in: out).count, 8, file: file, line: line)
        let succeeded = BatchResultsLog.records(in: out).filter { $0.error == nil }.compactMap(\.id)
        XCTAssertEqual(succeeded.sorted(), ["a1", "a2", "a3", "a4", "a5", "a6", "a7"], file: file, line: line)
        XCTAssertEqual(try BatchFixture.fileNames(in: out).filter { $0.hasPrefix(".") }, [], file: file, line: line)
    }

    /// `swift test` compiles the executable's module but does not link the executable, so it must come from
    /// `swift build` (or `swift run`), and be newer than the sources it is built from.
    private func checkExecutable() throws {
        let rebuild = "build it with `swift build -c release --product depth2img` before `swift test`"
        guard FileManager.default.isExecutableFile(atPath: executable.path) else {
            throw BatchProcess.Failure(message: "\(executable.path) is missing; \(rebuild)")
        }
        func modified(_ url: URL) -> Date {
            (try? url.resourceValues(forKeys: [.contentModificationDateKey]).contentModificationDate) ?? .distantPast
        }
        let sources = ["Sources", "Examples/depth2img"].flatMap { folder -> [URL] in
            let enumerator = FileManager.default.enumerator(at: BatchFixture.root.appendingPathComponent(folder), includingPropertiesForKeys: nil)
            return (enumerator?.allObjects as? [URL] ?? []).filter { $0.pathExtension == "swift" || $0.pathExtension == "c" }
        }
        if let newest = sources.max(by: { modified($0) < modified($1) }), modified(newest) > modified(executable) {
            throw BatchProcess.Failure(message: "\(executable.path) is older than \(newest.path); \(rebuild)")
        }
    }
}

/// A child process whose stderr is collected as it arrives.
///
/// `@unchecked Sendable`: `Process` is not a `Sendable` type; the collected output is accessed under `lock`.
final class BatchProcess: @unchecked Sendable {
    struct Failure: Error, CustomStringConvertible { var message: String; var description: String { message } }

    private let process = Process()
    private let lock = NSLock()
    private var collected = Data()

    init(_ executable: URL, _ arguments: [String]) throws {
        process.executableURL = executable
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        for name in ["DEPTHDIFFUSION_BACKEND", "JOB_COMPLETION_INDEX", "SLURM_ARRAY_TASK_ID", "DEPTHDIFFUSION_SHARD_COUNT"] {
            environment[name] = nil
        }
        process.environment = environment
        let pipe = Pipe()
        process.standardError = pipe
        process.standardOutput = FileHandle.nullDevice
        pipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            if data.isEmpty { handle.readabilityHandler = nil }
            guard let self, !data.isEmpty else { return }
            self.lock.withLock { self.collected.append(data) }
        }
        try process.run()
    }

    var stderr: String { lock.withLock { String(decoding: collected, as: UTF8.self) } }

    /// Waits until stderr contains `text`.
    func wait(for text: String, timeout: Double) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while !stderr.contains(text) {
            guard process.isRunning, Date() < deadline else {
                process.terminate()
                throw Failure(message: "never saw '\(text)'; stderr: \(stderr)")
            }
            usleep(10_000)
        }
    }

    func signal(_ number: Int32) { kill(process.processIdentifier, number) }

    /// Waits for the exit; the status is the exit code, or the signal number when killed by a signal.
    func finish() -> (status: Int32, stderr: String) {
        process.waitUntilExit()
        usleep(50_000)   // let the last stderr bytes arrive
        return (process.terminationStatus, stderr)
    }
}
