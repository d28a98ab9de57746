import Dispatch
import Foundation

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

    /// Calls `body(part, range)` once per worker (at most `count` times) on disjoint, contiguous ranges covering
    /// `0..<count`, so that each call can use scratch memory of its own, indexed by `part`.
    func forEachPart(_ count: Int, _ body: (Int, Range<Int>) -> Void) {
        guard count > 0 else { return }
        let parts = min(workers, count)
        if parts == 1 { body(0, 0..<count); return }
        Self.concurrentPerform(parts) { p in body(p, (count * p / parts)..<(count * (p + 1) / parts)) }
    }

    /// Runs `body` over `count` elements split into parallel chunks of at least `grain`.
    @inline(__always)
    func chunked(_ count: Int, grain: Int = 8192, _ body: (Int, Int) -> Void) {
        forEach((count + grain - 1) / grain) { range in
            let lo = range.lowerBound * grain, hi = min(count, range.upperBound * grain)
            if lo < hi { body(lo, hi - lo) }
        }
    }

    /// Runs `body(part)` for `parts` parts concurrently with OpenBLAS limited to one thread, so that each
    /// core runs its own GEMMs and no spinning BLAS thread competes with them. OpenBLAS's thread count is
    /// process-wide, so the change goes through ``BLASThreadGate``.
    func withSingleThreadedBLAS(parts: Int? = nil, _ body: (Int) -> Void) {
        let parts = parts ?? workers
        BLASThreadGate.shared.run(threads: 1) {
            if workers == 1 {
                for part in 0..<parts { body(part) }
            } else {
                Self.concurrentPerform(parts, body)
            }
        }
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
