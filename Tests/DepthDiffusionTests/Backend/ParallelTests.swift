import Synchronization
import XCTest
@testable import DepthDiffusion

/// The CPU backend's work splitting: every job runs exactly once, on a part below the worker count, and
/// a part's jobs never overlap in time (so a part's scratch memory is its own).
final class ParallelTests: XCTestCase {
    private struct Record {
        var runs: [Int]
        var busy: [Bool]
        var overlaps = 0, badParts = 0
    }

    func testEveryJobRunsOnceAndPartsRunOneJobAtATime() {
        for workers in [1, 2, 3, 8] {
            for jobs in [0, 1, 2, 7, 100] {
                let record = Mutex(Record(runs: [Int](repeating: 0, count: jobs), busy: [Bool](repeating: false, count: workers)))
                Parallel(workers: workers).forEachJob(jobs) { part, job in
                    let valid = record.withLock { r -> Bool in
                        guard part >= 0, part < min(workers, jobs) else { r.badParts += 1; return false }
                        if r.busy[part] { r.overlaps += 1 }
                        r.busy[part] = true
                        return true
                    }
                    guard valid else { return }
                    var spin = 0
                    for i in 0..<(job % 5) * 2000 { spin &+= i }
                    record.withLock { r in
                        r.runs[job] += 1 + (spin == -1 ? 1 : 0)
                        r.busy[part] = false
                    }
                }
                record.withLock { r in
                    XCTAssertEqual(r.runs, [Int](repeating: 1, count: jobs), "\(workers) workers, \(jobs) jobs")
                    XCTAssertEqual(r.overlaps, 0, "a part ran two jobs at once")
                    XCTAssertEqual(r.badParts, 0, "a part index out of range")
                }
            }
        }
    }
}
