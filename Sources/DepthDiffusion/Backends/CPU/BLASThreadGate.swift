import Foundation
import Synchronization

/// Serialises changes of OpenBLAS's thread count, which is one setting for the whole process
/// (`openblas_set_num_threads`), against the GEMMs in flight on other threads.
///
/// Every CPU backend call into OpenBLAS runs inside ``run(threads:_:)`` with the thread count it wants.
/// Callers that want the count already set run concurrently; a caller that wants another count waits
/// until the GEMMs in flight have finished, changes it, and runs. So two backends (or two pipelines) on
/// two threads never change the setting under each other's GEMMs, and each GEMM runs with its backend's
/// thread count. While a caller waits for another count, new callers wait too, so neither side starves.
final class BLASThreadGate: Sendable {
    static let shared = BLASThreadGate()

    private struct State {
        var threads: Int?
        var active = 0
        var waiting = 0
    }
    private let state = Mutex(State())
    private let changed = NSCondition()

    /// Runs `body` while OpenBLAS uses `threads` threads.
    func run<T>(threads: Int, _ body: () throws -> T) rethrows -> T {
        enter(threads)
        defer { leave() }
        return try body()
    }

    private func enter(_ threads: Int) {
        changed.lock()
        defer { changed.unlock() }
        var waited = false
        while true {
            let entered = state.withLock { s -> Bool in
                let othersWaiting = s.waiting - (waited ? 1 : 0)
                if s.active > 0 && (s.threads != threads || othersWaiting > 0) {
                    if !waited { s.waiting += 1 }
                    return false
                }
                if waited { s.waiting -= 1 }
                if s.threads != threads {
                    OpenBLASLibrary.threads = threads
                    s.threads = threads
                }
                s.active += 1
                return true
            }
            if entered { return }
            waited = true
            changed.wait()
        }
    }

    private func leave() {
        changed.lock()
        state.withLock { $0.active -= 1 }
        changed.broadcast()
        changed.unlock()
    }
}
