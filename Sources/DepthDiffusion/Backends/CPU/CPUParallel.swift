import Dispatch
import Foundation
import Synchronization

/// Splits a CPU backend's work over its cores with `DispatchQueue.concurrentPerform`. Each ``CPUBackend``
/// has its own, so backends with different thread counts can run side by side.
struct Parallel: Sendable {
    /// Worker threads of the kernels that split work themselves; with 1, every kernel runs on the calling thread.
    let workers: Int

    /// Calls `body` on disjoint ranges covering `0..<count`, in parallel when each range gets at least
    /// `grain` items. Ranges are contiguous and in order within each call.
    @inline(__always)
    func forEach(_ count: Int, grain: Int = 1, _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let tasks = min(workers * 4, max(1, count / max(grain, 1)))
        if tasks <= 1 || workers == 1 { body(0..<count); return }
        Self.concurrentPerform(tasks) { t in
            let lo = count * t / tasks, hi = count * (t + 1) / tasks
            if lo < hi { body(lo..<hi) }
        }
    }

    /// Runs `body` over `count` elements split into parallel chunks of at least `grain`.
    @inline(__always)
    func chunked(_ count: Int, grain: Int = 8192, _ body: (Int, Int) -> Void) {
        forEach((count + grain - 1) / grain) { range in
            let lo = range.lowerBound * grain, hi = min(count, range.upperBound * grain)
            if lo < hi { body(lo, hi - lo) }
        }
    }

    /// Runs `body(part, job)` for every job in `0..<jobs` on at most `workers` concurrent parts that claim the
    /// jobs one at a time, in order. A core slowed by other work (another process, a page fault) takes fewer
    /// jobs instead of holding the others up at the end, as an even static split would. A part's calls run one
    /// after another, so each can use scratch memory of its own, indexed by `part`.
    func forEachJob(_ jobs: Int, _ body: (_ part: Int, _ job: Int) -> Void) {
        guard jobs > 0 else { return }
        let parts = min(workers, jobs)
        if parts == 1 {
            for job in 0..<jobs { body(0, job) }
            return
        }
        let next = Atomic<Int>(0)
        Self.concurrentPerform(parts) { part in
            while case let job = next.wrappingAdd(1, ordering: .relaxed).oldValue, job < jobs { body(part, job) }
        }
    }

    /// ``forEachJob(_:_:)`` with OpenBLAS limited to one thread, so that each core runs its own GEMMs and no
    /// spinning BLAS thread competes with them. OpenBLAS's thread count is process-wide, so the change goes
    /// through ``BLASThreadGate``.
    func withSingleThreadedBLAS(jobs: Int, _ body: (_ part: Int, _ job: Int) -> Void) {
        BLASThreadGate.shared.run(threads: 1) { forEachJob(jobs, body) }
    }

    /// `DispatchQueue.concurrentPerform` for the kernels' non-`Sendable` closures (they capture raw buffer
    /// pointers). `concurrentPerform` returns only after every iteration has finished, so `body` never
    /// outlives this call, and the kernels give each iteration a disjoint part of the output.
    private static func concurrentPerform(_ iterations: Int, _ body: (Int) -> Void) {
        withoutActuallyEscaping(body) { body in
            nonisolated(unsafe) let body = body
            DispatchQueue.concurrentPerform(iterations: iterations) { body($0) }
        }
    }
}
