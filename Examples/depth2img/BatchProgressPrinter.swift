import DepthDiffusionBatch
import Foundation
import Synchronization

/// Prints a batch worker's events on stderr, one line each (readable in container and Slurm logs); within a
/// job, a denoising progress line at most every `stepInterval` seconds.
final class BatchProgressPrinter: Sendable {
    let shardSource: String
    let model: String
    let stepInterval: Double
    /// Elapsed seconds of the job at the last progress line.
    private let lastStepNote = Mutex(0.0)

    init(shardSource: String, model: String, stepInterval: Double = 30) {
        self.shardSource = shardSource
        self.model = model
        self.stepInterval = stepInterval
    }

    func report(_ event: BatchEvent) {
        switch event {
        case let .starting(shard, total, alreadyDone):
            note("shard \(shard) (\(shardSource)): \(total) manifest lines, \(alreadyDone) already done")
        case let .modelLoaded(seconds):
            note(String(format: "loaded %@ in %.1f s", model, seconds))
        case let .jobStarted(position, total, job):
            note("job \(position) of \(total): \(job.id) (line \(job.line)), \(job.images) image\(job.images == 1 ? "" : "s"), \(job.steps) steps, seed \(job.seed)")
        case let .step(position, total, step):
            let due = lastStepNote.withLock { last in
                if step.step == 1 { last = step.elapsed }
                guard step.elapsed - last >= stepInterval else { return false }
                last = step.elapsed
                return true
            }
            if due {
                let left = step.elapsed / Double(step.step) * Double(step.totalSteps - step.step)
                note("job \(position) of \(total): step \(step.step)/\(step.totalSteps), \(duration(left)) left in this job")
            }
        case let .jobSkipped(position, total, id):
            note("job \(position) of \(total): \(id) already done, skipped")
        case let .jobFinished(position, total, record, eta):
            let label = record.id.map { "\($0) (line \(record.line))" } ?? "line \(record.line)"
            let linePrefix = "line \(record.line): "   // manifest errors name the line, which the label already does
            let outcome = record.error.map { "FAILED: " + ($0.hasPrefix(linePrefix) ? String($0.dropFirst(linePrefix.count)) : $0) }
                ?? String(format: "done in %.2f s: %@", record.timings?.total ?? 0, record.outputs.joined(separator: ", "))
            note("job \(position) of \(total): \(label) \(outcome)" + (eta.map { "; ETA \(duration($0))" } ?? ""))
        case let .stopped(position, total):
            note("stopped before finishing job \(position) of \(total); run the same command again to finish")
        }
    }

    func note(_ text: String) { FileHandle.standardError.write(Data((text + "\n").utf8)) }

    private func duration(_ seconds: Double) -> String {
        seconds < 90 ? String(format: "%.1f s", seconds)
            : seconds < 5400 ? String(format: "%.0f min %.0f s", (seconds / 60).rounded(.down), seconds.truncatingRemainder(dividingBy: 60))
            : String(format: "%.1f h", seconds / 3600)
    }
}
