import Dispatch
import Foundation

/// Splits work over the machine's cores with `DispatchQueue.concurrentPerform`.
enum Parallel {
    static let workers = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// Calls `body` on disjoint ranges covering `0..<count`, in parallel when each range gets at least
    /// `grain` items. Ranges are contiguous and in order within each call.
    @inline(__always)
    static func forEach(_ count: Int, grain: Int = 1, _ body: (Range<Int>) -> Void) {
        guard count > 0 else { return }
        let tasks = min(workers * 4, max(1, count / max(grain, 1)))
        if tasks <= 1 { body(0..<count); return }
        DispatchQueue.concurrentPerform(iterations: tasks) { t in
            let lo = count * t / tasks, hi = count * (t + 1) / tasks
            if lo < hi { body(lo..<hi) }
        }
    }
}
