import Foundation

/// Which part of a manifest one worker runs.
///
/// The rule: the job on manifest line `n` (1-based, blank lines counted) belongs to shard `(n − 1) mod count`.
/// It depends only on the line's position, so every line is run by exactly one of the `count` shards, and
/// appending lines to a manifest never moves earlier lines to another shard.
public struct BatchShard: Sendable, Equatable, CustomStringConvertible {
    /// This worker's shard, from 0 to `count − 1`.
    public let index: Int
    /// The number of shards.
    public let count: Int

    /// The whole manifest in one worker.
    public static let whole = BatchShard(checkedIndex: 0, count: 1)

    /// A shard; throws unless `0 ≤ index < count`.
    public init(index: Int, count: Int) throws {
        guard count >= 1 else { throw BatchError.invalidShard("the shard count is \(count); it must be at least 1") }
        guard index >= 0, index < count else {
            throw BatchError.invalidShard("shard index \(index) is outside 0...\(count - 1) for \(count) shards")
        }
        self.init(checkedIndex: index, count: count)
    }

    private init(checkedIndex: Int, count: Int) {
        index = checkedIndex
        self.count = count
    }

    /// Parses `I/N` (e.g. `0/4`).
    public init(parsing text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]) else {
            throw BatchError.invalidShard("'\(text)' is not INDEX/COUNT such as 0/4")
        }
        try self.init(index: i, count: n)
    }

    /// Whether manifest line `line` (1-based) belongs to this shard.
    public func owns(line: Int) -> Bool { (line - 1) % count == index }

    /// `I/N`.
    public var description: String { "\(index)/\(count)" }

    /// The shard for this worker, and where it came from, in this order:
    /// 1. `option` (`--shard I/N`);
    /// 2. Kubernetes Indexed Jobs: `JOB_COMPLETION_INDEX`, with the count from `count` (`--shard-count`) or
    ///    `DEPTHDIFFUSION_SHARD_COUNT` (Kubernetes does not pass `completions` to the pod);
    /// 3. Slurm job arrays: `SLURM_ARRAY_TASK_ID − SLURM_ARRAY_TASK_MIN` (divided by `SLURM_ARRAY_TASK_STEP`
    ///    when the array has a step) out of `SLURM_ARRAY_TASK_COUNT` (or `count`);
    /// 4. otherwise the whole manifest.
    public static func resolve(option: String?, count: Int?, environment: [String: String]) throws -> (shard: BatchShard, source: String) {
        if let option {
            guard count == nil else { throw BatchError.invalidShard("give either --shard I/N or --shard-count, not both") }
            return (try BatchShard(parsing: option), "--shard")
        }
        let countFromEnvironment = try environment["DEPTHDIFFUSION_SHARD_COUNT"].map { try integer($0, "DEPTHDIFFUSION_SHARD_COUNT") }
        if let text = environment["JOB_COMPLETION_INDEX"] {
            let index = try integer(text, "JOB_COMPLETION_INDEX")
            guard let n = count ?? countFromEnvironment else {
                throw BatchError.invalidShard("JOB_COMPLETION_INDEX is set but the number of shards is not; pass --shard-count or set DEPTHDIFFUSION_SHARD_COUNT to the Job's completions")
            }
            return (try BatchShard(index: index, count: n), "JOB_COMPLETION_INDEX")
        }
        if let text = environment["SLURM_ARRAY_TASK_ID"] {
            let id = try integer(text, "SLURM_ARRAY_TASK_ID")
            let minimum = try environment["SLURM_ARRAY_TASK_MIN"].map { try integer($0, "SLURM_ARRAY_TASK_MIN") } ?? 0
            let step = try environment["SLURM_ARRAY_TASK_STEP"].map { try integer($0, "SLURM_ARRAY_TASK_STEP") } ?? 1
            guard let n = try count ?? countFromEnvironment ?? environment["SLURM_ARRAY_TASK_COUNT"].map({ try integer($0, "SLURM_ARRAY_TASK_COUNT") }) else {
                throw BatchError.invalidShard("SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not; pass --shard-count")
            }
            guard step >= 1, (id - minimum) % step == 0 else {
                throw BatchError.invalidShard("array task \(id) is not on the array's range (min \(minimum), step \(step)); submit with a range such as --array=0-\(n - 1)")
            }
            do {
                return (try BatchShard(index: (id - minimum) / step, count: n), "SLURM_ARRAY_TASK_ID")
            } catch {
                throw BatchError.invalidShard("array task \(id) (min \(minimum), step \(step)) does not map to one of \(n) shards; submit the array as an evenly spaced range such as --array=0-\(n - 1)")
            }
        }
        if let n = count ?? countFromEnvironment, n != 1 {
            throw BatchError.invalidShard("a shard count of \(n) was given without a shard index; pass --shard I/N, or run under a Kubernetes Indexed Job or a Slurm array")
        }
        return (.whole, "whole manifest")
    }

    private static func integer(_ text: String, _ name: String) throws -> Int {
        guard let value = Int(text.trimmingCharacters(in: .whitespaces)) else {
            throw BatchError.invalidShard("\(name) is '\(text)', not an integer")
        }
        return value
    }
}
