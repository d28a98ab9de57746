/// Errors of the batch worker: a manifest line that cannot be run, a shard that cannot be resolved, or an
/// output folder that cannot be written. Per-job errors are recorded in the results file and the worker goes
/// on; only ``cannotReadManifest(path:reason:)``, ``invalidShard(_:)`` and ``cannotWrite(path:reason:)``
/// stop a worker.
public enum BatchError: Error, CustomStringConvertible, Equatable {
    /// The manifest file cannot be read.
    case cannotReadManifest(path: String, reason: String)
    /// A manifest line is not a JSON object.
    case invalidJSON(line: Int, reason: String)
    /// A required field (`id`, `image`, `prompt`) is missing.
    case missingField(line: Int, field: String)
    /// A field has the wrong JSON type.
    case wrongType(line: Int, field: String, expected: String)
    /// A field has a value that cannot be used.
    case invalidValue(line: Int, field: String, detail: String)
    /// A field name the manifest format does not have (often a typo).
    case unknownField(line: Int, field: String)
    /// The id cannot be used as a file name.
    case invalidID(line: Int, id: String)
    /// The id was already used on an earlier line.
    case duplicateID(line: Int, id: String, firstLine: Int)
    /// An output file name is also produced by another job (e.g. id `a-1` and id `a` with two images).
    case outputCollision(line: Int, file: String, otherLine: Int)
    /// The shard specification or the environment's array variables are unusable.
    case invalidShard(String)
    /// The output folder, an output or the results file cannot be written.
    case cannotWrite(path: String, reason: String)

    public var description: String {
        switch self {
        case let .cannotReadManifest(path, reason): return "cannot read the manifest '\(path)': \(reason)"
        case let .invalidJSON(line, reason):
            return "line \(line): not a JSON object (\(reason)); each line must be one object such as {\"id\": \"a1\", \"image\": \"a1.jpg\", \"prompt\": \"...\"}"
        case let .missingField(line, field): return "line \(line): the required field \"\(field)\" is missing"
        case let .wrongType(line, field, expected): return "line \(line): \"\(field)\" must be \(expected)"
        case let .invalidValue(line, field, detail): return "line \(line): \"\(field)\" \(detail)"
        case let .unknownField(line, field):
            return "line \(line): unknown field \"\(field)\"; the fields are \(BatchManifestLine.fieldNames.joined(separator: ", "))"
        case let .invalidID(line, id):
            return "line \(line): the id \"\(id)\" cannot be a file name; use 1 to 128 letters, digits, '.', '_' or '-', starting with a letter or digit"
        case let .duplicateID(line, id, firstLine): return "line \(line): the id \"\(id)\" is already used on line \(firstLine); ids must be unique"
        case let .outputCollision(line, file, otherLine):
            return "line \(line): the output \(file) is also written by the job on line \(otherLine); rename one of the ids"
        case let .invalidShard(detail): return "invalid shard: \(detail)"
        case let .cannotWrite(path, reason): return "cannot write '\(path)': \(reason)"
        }
    }
}
