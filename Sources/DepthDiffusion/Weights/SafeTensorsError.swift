/// Everything that can go wrong when opening or reading safetensors weights.
///
/// Every case names the file (`file` is a path) and, where one is involved, the tensor.
/// ``description`` is a complete sentence telling the user what is wrong and what to do.
public enum SafeTensorsError: Error, CustomStringConvertible, Equatable, Sendable {
    // MARK: Opening the file
    /// The file could not be opened or mapped (missing, unreadable, a directory...).
    case cannotOpen(file: String, reason: String)
    /// The file is zero bytes long.
    case emptyFile(file: String)
    /// The file is shorter than the 8-byte header-length prefix.
    case fileTooShort(file: String, size: Int)
    /// The header length prefix points past the end of the file.
    case headerLengthExceedsFile(file: String, headerLength: UInt64, fileSize: Int)
    /// The header length prefix is above ``SafeTensorsFile/maxHeaderLength``.
    case headerTooLarge(file: String, headerLength: UInt64, limit: Int)

    // MARK: Header content
    /// The header is not valid UTF-8 or not valid JSON.
    case malformedHeader(file: String, reason: String)
    /// The header is valid JSON but not an object.
    case headerNotObject(file: String, found: String)
    /// `__metadata__` is not an object of string values.
    case invalidMetadata(file: String, reason: String)
    /// A header entry is structurally wrong (not an object, wrong field type, duplicate name).
    case invalidEntry(file: String, tensor: String, reason: String)
    /// A header entry lacks `dtype`, `shape` or `data_offsets`.
    case missingField(file: String, tensor: String, field: String)
    /// `shape` is not an array of non-negative integers, or its product overflows.
    case invalidShape(file: String, tensor: String, reason: String)
    /// `data_offsets` is not two non-negative integers `[begin, end]` with `begin <= end`.
    case invalidOffsets(file: String, tensor: String, reason: String)
    /// `dtype` is not a safetensors dtype.
    case unknownDType(file: String, tensor: String, dtype: String)
    /// The byte length in `data_offsets` differs from product(shape) × dtype size.
    case sizeMismatch(file: String, tensor: String, dtype: SafeTensorsDType, shape: [Int], expectedBytes: Int, actualBytes: Int)
    /// Two tensors share bytes.
    case overlappingTensors(file: String, tensor: String, other: String)
    /// A tensor's bytes extend past the end of the data section (typically a truncated download).
    case tensorOutOfBounds(file: String, tensor: String, byteRange: Range<Int>, dataSize: Int)

    // MARK: Reading tensors
    /// The tensor was asked for as `Float` but its dtype cannot be converted.
    case unsupportedDType(file: String, tensor: String, dtype: SafeTensorsDType)
    /// No tensor of that name exists (`file` is the file, index or directory searched).
    case tensorNotFound(file: String, tensor: String)

    // MARK: Sharded weights
    /// The `.safetensors.index.json` is not valid or lacks a usable `weight_map`.
    case invalidIndex(file: String, reason: String)
    /// The index maps `tensor` to a shard file that does not exist.
    case missingShard(index: String, shard: String, tensor: String)
    /// The index maps `tensor` to a shard that does not contain it.
    case tensorMissingFromShard(index: String, shard: String, tensor: String)
    /// The same tensor is stored in two files.
    case duplicateTensor(tensor: String, file: String, otherFile: String)
    /// A directory holds none of the expected weight files.
    case noWeightsFound(directory: String, tried: [String])

    /// The file (or index, or directory) the error is about.
    public var file: String {
        switch self {
        case .cannotOpen(let file, _), .emptyFile(let file), .fileTooShort(let file, _),
             .headerLengthExceedsFile(let file, _, _), .headerTooLarge(let file, _, _),
             .malformedHeader(let file, _), .headerNotObject(let file, _), .invalidMetadata(let file, _),
             .invalidEntry(let file, _, _), .missingField(let file, _, _), .invalidShape(let file, _, _),
             .invalidOffsets(let file, _, _), .unknownDType(let file, _, _),
             .sizeMismatch(let file, _, _, _, _, _), .overlappingTensors(let file, _, _),
             .tensorOutOfBounds(let file, _, _, _), .unsupportedDType(let file, _, _),
             .tensorNotFound(let file, _), .invalidIndex(let file, _), .duplicateTensor(_, let file, _):
            return file
        case .missingShard(let index, _, _), .tensorMissingFromShard(let index, _, _):
            return index
        case .noWeightsFound(let directory, _):
            return directory
        }
    }

    /// The tensor the error is about, if any.
    public var tensor: String? {
        switch self {
        case .invalidEntry(_, let tensor, _), .missingField(_, let tensor, _), .invalidShape(_, let tensor, _),
             .invalidOffsets(_, let tensor, _), .unknownDType(_, let tensor, _),
             .sizeMismatch(_, let tensor, _, _, _, _), .overlappingTensors(_, let tensor, _),
             .tensorOutOfBounds(_, let tensor, _, _), .unsupportedDType(_, let tensor, _),
             .tensorNotFound(_, let tensor), .missingShard(_, _, let tensor),
             .tensorMissingFromShard(_, _, let tensor), .duplicateTensor(let tensor, _, _):
            return tensor
        default:
            return nil
        }
    }

    private static let redownload = "re-download the file"

    /// A human-readable explanation with a suggested fix.
    public var description: String {
        switch self {
        case .cannotOpen(let file, let reason):
            return "cannot open safetensors file \(file): \(reason); check the path and permissions"
        case .emptyFile(let file):
            return "safetensors file \(file) is empty (0 bytes); \(Self.redownload)"
        case .fileTooShort(let file, let size):
            return "safetensors file \(file) is only \(size) bytes, shorter than the 8-byte header length; \(Self.redownload)"
        case .headerLengthExceedsFile(let file, let length, let size):
            return "safetensors file \(file) is truncated or corrupt: its header claims \(length) bytes but the file has only \(size) bytes; \(Self.redownload)"
        case .headerTooLarge(let file, let length, let limit):
            return "safetensors file \(file) declares a header of \(length) bytes, above the \(limit)-byte limit; the file is corrupt or not a safetensors file"
        case .malformedHeader(let file, let reason):
            return "safetensors file \(file) has a malformed JSON header (\(reason)); the file is corrupt or not a safetensors file"
        case .headerNotObject(let file, let found):
            return "safetensors file \(file) has a JSON header that is a \(found), not an object; the file is corrupt or not a safetensors file"
        case .invalidMetadata(let file, let reason):
            return "safetensors file \(file) has invalid __metadata__: \(reason); the file is corrupt"
        case .invalidEntry(let file, let tensor, let reason):
            return "safetensors file \(file): header entry for tensor '\(tensor)' is invalid: \(reason); the file is corrupt"
        case .missingField(let file, let tensor, let field):
            return "safetensors file \(file): tensor '\(tensor)' has no '\(field)' in the header; the file is corrupt"
        case .invalidShape(let file, let tensor, let reason):
            return "safetensors file \(file): tensor '\(tensor)' has an invalid shape: \(reason); the file is corrupt"
        case .invalidOffsets(let file, let tensor, let reason):
            return "safetensors file \(file): tensor '\(tensor)' has invalid data_offsets: \(reason); the file is corrupt"
        case .unknownDType(let file, let tensor, let dtype):
            return "safetensors file \(file): tensor '\(tensor)' has unknown dtype '\(dtype)'; the file is corrupt or uses a newer safetensors format"
        case .sizeMismatch(let file, let tensor, let dtype, let shape, let expected, let actual):
            return "safetensors file \(file): tensor '\(tensor)' (\(dtype) \(shape)) needs \(expected) bytes but data_offsets span \(actual); the file is corrupt, \(Self.redownload)"
        case .overlappingTensors(let file, let tensor, let other):
            return "safetensors file \(file): tensors '\(other)' and '\(tensor)' overlap in the data section; the file is corrupt, \(Self.redownload)"
        case .tensorOutOfBounds(let file, let tensor, let range, let dataSize):
            return "safetensors file \(file) is truncated: tensor '\(tensor)' needs bytes \(range.lowerBound)..<\(range.upperBound) but the data section has \(dataSize); \(Self.redownload)"
        case .unsupportedDType(let file, let tensor, let dtype):
            return "tensor '\(tensor)' in \(file) has dtype \(dtype), which cannot be loaded as float (only F32, F16 and BF16 can); use rawData for it or convert the checkpoint"
        case .tensorNotFound(let file, let tensor):
            return "tensor '\(tensor)' not found in \(file); check that the checkpoint matches the model (component, variant, key names)"
        case .invalidIndex(let file, let reason):
            return "shard index \(file) is invalid: \(reason); re-download the index json"
        case .missingShard(let index, let shard, let tensor):
            return "shard index \(index) maps tensor '\(tensor)' to shard '\(shard)', which does not exist; download all shard files next to the index"
        case .tensorMissingFromShard(let index, let shard, let tensor):
            return "shard index \(index) maps tensor '\(tensor)' to shard '\(shard)', but that shard has no such tensor; re-download the shards and the index"
        case .duplicateTensor(let tensor, let file, let other):
            return "tensor '\(tensor)' is stored in both \(other) and \(file); remove stray shard files or re-download the checkpoint"
        case .noWeightsFound(let directory, let tried):
            return "no safetensors weights in directory \(directory) (looked for \(tried.joined(separator: ", "))); download the model's safetensors weights there or pass the file path"
        }
    }
}
