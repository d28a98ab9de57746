import DepthDiffusion
import Foundation

/// One line of a shard's results file (`results-shard-I-of-N.jsonl` in the output folder): what happened to one
/// manifest line. A job is done when a record with its id and no `error` exists and its outputs exist.
public struct BatchResultRecord: Codable, Sendable, Equatable {
    /// The job id (`nil` for a line without a readable id).
    public var id: String?
    /// The 1-based manifest line.
    public var line: Int
    /// The output file names written, relative to the output folder (empty on failure).
    public var outputs: [String]
    /// The seed used (`nil` when the line could not be read).
    public var seed: UInt64?
    /// Seconds per stage (`nil` when the line could not be read).
    public var timings: BatchJobTimings?
    /// Why the job failed; `nil` when it succeeded.
    public var error: String?
    /// When the record was written (ISO 8601, UTC).
    public var finished: String

    enum CodingKeys: String, CodingKey { case id, line, outputs, seed, timings, error, finished }

    /// Encodes every field, with `null` for the absent ones, so each line shows the same keys.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(line, forKey: .line)
        try c.encode(outputs, forKey: .outputs)
        try c.encode(seed, forKey: .seed)
        try c.encode(timings, forKey: .timings)
        try c.encode(error, forKey: .error)
        try c.encode(finished, forKey: .finished)
    }
}

extension BatchResultRecord {
    /// A record finished at `finished`; the other fields are stored as given (the compiler's memberwise
    /// initializer, which takes `finished` already formatted).
    public init(id: String?, line: Int, outputs: [String], seed: UInt64?, timings: BatchJobTimings?, error: String?, finished: Date = Date()) {
        self.init(id: id, line: line, outputs: outputs, seed: seed, timings: timings, error: error,
                  finished: ISO8601DateFormatter().string(from: finished))
    }
}

/// Wall-clock seconds of one job's stages.
public struct BatchJobTimings: Codable, Sendable, Equatable {
    /// Reading and decoding the input image and depth map.
    public var read = 0.0
    public var textEncoding = 0.0
    public var depth = 0.0
    public var vaeEncode = 0.0
    public var denoising = 0.0
    public var vaeDecode = 0.0
    /// Encoding and durably storing the outputs.
    public var write = 0.0
    /// The whole job.
    public var total = 0.0

    public init() {}

    /// Copies the pipeline's stage timings.
    public mutating func add(_ stages: StageTimings) {
        textEncoding = stages.textEncoding
        depth = stages.depth
        vaeEncode = stages.vaeEncode
        denoising = stages.denoising
        vaeDecode = stages.vaeDecode
    }

    enum CodingKeys: String, CodingKey {
        case read, depth, denoising, write, total
        case textEncoding = "text_encoding", vaeEncode = "vae_encode", vaeDecode = "vae_decode"
    }
}
