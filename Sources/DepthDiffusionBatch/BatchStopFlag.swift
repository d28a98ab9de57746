import Dispatch
import Foundation

/// A thread-safe request to stop a batch worker between denoising steps, set by the caller or by signals.
///
/// `stopOnSignals()` turns the first `SIGTERM` or `SIGINT` (preemption, Ctrl-C) into a stop request: the
/// worker ends the current step, leaves the unfinished job unrecorded and returns. A second signal exits the
/// process at once, which is also safe: outputs and records are never left half-written.
///
/// `@unchecked Sendable`: `DispatchSourceSignal` is not a `Sendable` type; every mutable property is
/// accessed under `lock`.
public final class BatchStopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var requested: Int32?
    private var sources: [DispatchSourceSignal] = []

    public init() {}

    /// Whether a stop was requested.
    public var isStopRequested: Bool { lock.withLock { requested != nil } }

    /// The signal that requested the stop (0 for a programmatic request), or `nil`.
    public var signal: Int32? { lock.withLock { requested } }

    /// Requests a stop.
    public func requestStop(signal: Int32 = 0) {
        lock.withLock { if requested == nil { requested = signal } }
    }

    /// Handles `signals` from now on: the first one requests a stop (and calls `notice`), a second one exits
    /// with status 128 + signal.
    public func stopOnSignals(_ signals: [Int32] = [SIGTERM, SIGINT], notice: (@Sendable (Int32) -> Void)? = nil) {
        for number in signals {
            Foundation.signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [weak self] in
                guard let self else { return }
                if self.isStopRequested { exit(128 + number) }
                self.requestStop(signal: number)
                notice?(number)
            }
            source.resume()
            lock.withLock { sources.append(source) }
        }
    }
}
