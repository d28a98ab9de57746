import Foundation

/// A parsed `*.safetensors.index.json`: `{"metadata": {...}, "weight_map": {tensor: shard file}}`.
///
/// Shard names must be relative paths inside the index's directory (no absolute paths,
/// no `..`). A tensor mapped to two different shards is a
/// ``SafeTensorsError/duplicateTensor(tensor:file:otherFile:)``.
struct SafeTensorsShardIndex {
    /// The largest index accepted; real indexes are well under 1 MB.
    static let maxLength = 100_000_000

    /// Tensor name → shard file name.
    var weightMap: [String: String]
    /// The distinct shard file names, sorted.
    var shardNames: [String]

    init(url: URL) throws {
        let path = url.path
        let bytes: [UInt8]
        do {
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            if let size = attributes[.size] as? Int, size > Self.maxLength {
                throw SafeTensorsError.invalidIndex(file: path, reason: "it is \(size) bytes, above the \(Self.maxLength)-byte limit")
            }
            bytes = Array(try Data(contentsOf: url))
        } catch let error as SafeTensorsError {
            throw error
        } catch {
            throw SafeTensorsError.cannotOpen(file: path, reason: error.localizedDescription)
        }

        let root: StrictJSONValue
        do {
            root = try StrictJSONParser.parse(bytes)
        } catch let error as StrictJSONSyntaxError {
            throw SafeTensorsError.invalidIndex(file: path, reason: "malformed JSON (\(error.reason) at byte \(error.offset))")
        }
        guard case .object(let members) = root,
              case .object(let map)? = members.last(where: { $0.key == "weight_map" })?.value else {
            throw SafeTensorsError.invalidIndex(file: path, reason: "it has no \"weight_map\" object")
        }
        guard !map.isEmpty else { throw SafeTensorsError.invalidIndex(file: path, reason: "\"weight_map\" is empty") }

        var weightMap: [String: String] = [:]
        let directory = url.deletingLastPathComponent()
        for (tensor, value) in map {
            guard case .string(let shard) = value else {
                throw SafeTensorsError.invalidIndex(file: path, reason: "shard for tensor '\(tensor)' is a \(value.typeName), not a file name")
            }
            let components = shard.split(separator: "/", omittingEmptySubsequences: false)
            guard !shard.isEmpty, !shard.hasPrefix("/"), !components.contains("..") else {
                throw SafeTensorsError.invalidIndex(file: path, reason: "shard '\(shard)' for tensor '\(tensor)' is not a file name inside the index's directory")
            }
            if let existing = weightMap[tensor], existing != shard {
                throw SafeTensorsError.duplicateTensor(tensor: tensor,
                                                       file: directory.appendingPathComponent(shard).path,
                                                       otherFile: directory.appendingPathComponent(existing).path)
            }
            weightMap[tensor] = shard
        }
        self.weightMap = weightMap
        self.shardNames = Set(weightMap.values).sorted()
    }
}
