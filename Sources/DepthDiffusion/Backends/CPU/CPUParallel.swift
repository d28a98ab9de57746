import Dispatch
import Foundation

/// Splits work over the machine's cores with `DispatchQueue.concurrentPerform`.
enum Parallel {
    /// Worker threads for CPU kernels (default: every core). ``CPUBackend/init(threads:cacheBytes:)`` sets it;
    /// with 1, every kernel runs on the calling thread.
    static var workers = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// Calls `body` on disjoint ranges covering `0..<count`, in parallel when each range gets at least
    /// `grain` items. Ranges are contiguous and in order within each call.
    @inline(__always)
    static func forEach(_ count: Int, grain: Int = 1, _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let tasks = min(workers * 4, max(1, count / max(grain, 1)))
        if tasks <= 1 || workers == 1 { body(0..<count); return }
        DispatchQueue.concurrentPerform(iterations: tasks) { t in
            let lo = count * t / tasks, hi = count * (t + 1) / tasks
            if lo < hi { body(lo..<hi) }
        }
    }

    /// Runs `body(part)` for `parts` parts concurrently with OpenBLAS limited to one thread, so that each
    /// core runs its own GEMMs and no spinning BLAS thread competes with them; restores the thread count.
    static func withSingleThreadedBLAS(parts: Int = workers, _ body: (Int) -> Void) {
        let threads = OpenBLASLibrary.threads
        OpenBLASLibrary.threads = 1
        defer { OpenBLASLibrary.threads = threads }
        if workers == 1 {
            for part in 0..<parts { body(part) }
        } else {
            DispatchQueue.concurrentPerform(iterations: parts, execute: body)
        }
    }
}
