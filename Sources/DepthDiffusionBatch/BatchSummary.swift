import Foundation

/// The outcome of one worker run; also written to `summary-shard-I-of-N.json` in the output folder.
public struct BatchSummary: Codable, Sendable, Equatable, CustomStringConvertible {
    /// `I/N`.
    public var shard: String
    /// This shard's manifest lines.
    public var jobs: Int
    /// Jobs run successfully in this run.
    public var done: Int
    /// Jobs found done by an earlier run.
    public var skipped: Int
    /// Lines that failed (invalid lines and failed jobs).
    public var failed: Int
    /// Lines not reached because a stop was requested.
    public var remaining: Int
    /// Images written in this run.
    public var images: Int
    /// Seconds from the start of the run to its end, model loading included.
    public var seconds: Double
    /// Seconds spent loading the model (0 when no job needed it).
    public var modelLoadSeconds: Double
    /// `images` per minute of `seconds`.
    public var imagesPerMinute: Double
    /// Whether the run ended early on a stop request.
    public var stopped: Bool

    /// Whether every line of the shard is done (none failed, none left).
    public var isComplete: Bool { failed == 0 && remaining == 0 }

    public var description: String {
        String(format: "shard %@: %d done, %d skipped, %d failed%@ of %d; %d images in %.1f s (model load %.1f s), %.1f images per minute",
               shard, done, skipped, failed, stopped ? ", \(remaining) left (stopped)" : "", jobs, images, seconds,
               modelLoadSeconds, imagesPerMinute)
    }

    enum CodingKeys: String, CodingKey {
        case shard, jobs, done, skipped, failed, remaining, images, seconds, stopped
        case modelLoadSeconds = "model_load_seconds", imagesPerMinute = "images_per_minute"
    }
}
