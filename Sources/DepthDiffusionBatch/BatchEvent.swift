import DepthDiffusion

/// What a batch worker reports while it runs, in order; `position` counts this shard's lines from 1 to `total`.
public enum BatchEvent: Sendable {
    /// The worker read the manifest: `total` lines are this shard's, `alreadyDone` of them are done.
    case starting(shard: BatchShard, total: Int, alreadyDone: Int)
    /// The model was loaded (once, before the first job that needs it).
    case modelLoaded(seconds: Double)
    /// A job is starting.
    case jobStarted(position: Int, total: Int, job: BatchJob)
    /// A denoising step of the running job finished.
    case step(position: Int, total: Int, progress: DepthToImageProgress)
    /// A job whose outputs and successful record exist was skipped.
    case jobSkipped(position: Int, total: Int, id: String)
    /// A line finished, successfully or not (`record.error`). `eta` estimates the seconds left for this shard
    /// from the mean time of the jobs run so far.
    case jobFinished(position: Int, total: Int, record: BatchResultRecord, eta: Double?)
    /// A stop was requested; the job at `position` was left unfinished and unrecorded.
    case stopped(position: Int, total: Int)
}
