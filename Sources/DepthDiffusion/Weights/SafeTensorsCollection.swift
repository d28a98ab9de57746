import Foundation

/// The weights of one model component, stored in one `.safetensors` file or sharded
/// over several with a `*.safetensors.index.json`, behind one lookup API.
///
/// ```swift
/// // A file, an index json, or a directory such as `unet/`:
/// let unet = try SafeTensorsCollection(url: modelDir.appendingPathComponent("unet"), variant: "fp16")
/// let w = try unet.floats("conv_in.weight")
/// ```
///
/// Opening validates every file's header (see ``SafeTensorsFile``) and, for sharded
/// weights, that every shard the index names exists, holds the tensors the index maps to
/// it, and that no tensor is stored in two files.
public final class SafeTensorsCollection: Sendable {
    /// File base names tried, in order, when opening a directory.
    public static let defaultBaseNames = ["diffusion_pytorch_model", "model"]

    /// What was opened: the `.safetensors` file or the index json.
    public let url: URL
    /// The opened files (one, or the shards in name order).
    public let files: [SafeTensorsFile]
    /// Every tensor, by name, across all files.
    public let entries: [String: SafeTensorsEntry]
    /// The `__metadata__` of all files merged (the first file in ``files`` wins on conflicts).
    public let metadata: [String: String]
    private let fileForTensor: [String: SafeTensorsFile]

    /// Opens a `.safetensors` file, a `*.safetensors.index.json` with its shards, or a directory.
    ///
    /// For a directory the first existing candidate wins, trying for each base name in
    /// `baseNames` first the variant files (when `variant` is given, e.g. `"fp16"`):
    /// `<base>.<variant>.safetensors`, `<base>.safetensors.index.<variant>.json`; then
    /// (when `variant` is nil or `allowVariantFallback` is true) the standard files
    /// `<base>.safetensors`, `<base>.safetensors.index.json`. With `variant` nil and no standard file,
    /// the `fp16` variant files are used.
    /// - Throws: ``SafeTensorsError``.
    public convenience init(url: URL, variant: String? = nil, baseNames: [String] = defaultBaseNames,
                            allowVariantFallback: Bool = true) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw SafeTensorsError.cannotOpen(file: url.path, reason: "no such file or directory")
        }
        var target = url
        if isDirectory.boolValue {
            target = try Self.resolve(directory: url, variant: variant, baseNames: baseNames,
                                      allowVariantFallback: allowVariantFallback)
        }
        if target.pathExtension == "json" {
            try self.init(indexURL: target)
        } else {
            try self.init(url: target, files: [SafeTensorsFile(url: target)])
        }
    }

    /// The candidate file names for a directory, in preference order.
    public static func candidateFileNames(variant: String?, baseNames: [String] = defaultBaseNames,
                                          allowVariantFallback: Bool = true) -> [String] {
        var names: [String] = []
        if let variant {
            for base in baseNames {
                names += ["\(base).\(variant).safetensors", "\(base).safetensors.index.\(variant).json"]
            }
        }
        if variant == nil || allowVariantFallback {
            for base in baseNames {
                names += ["\(base).safetensors", "\(base).safetensors.index.json"]
            }
        }
        return names
    }

    private static func resolve(directory: URL, variant: String?, baseNames: [String],
                                allowVariantFallback: Bool) throws -> URL {
        let candidates = candidateFileNames(variant: variant, baseNames: baseNames,
                                            allowVariantFallback: allowVariantFallback)
        for name in candidates {
            let candidate = directory.appendingPathComponent(name)
            if FileManager.default.fileExists(atPath: candidate.path) { return candidate }
        }
        // A folder that only has half-precision files (`*.fp16.safetensors`) is read as such when no
        // variant was asked for; the values are widened to float32 on load.
        if variant == nil {
            for name in candidateFileNames(variant: "fp16", baseNames: baseNames, allowVariantFallback: false) {
                let candidate = directory.appendingPathComponent(name)
                if FileManager.default.fileExists(atPath: candidate.path) { return candidate }
            }
        }
        throw SafeTensorsError.noWeightsFound(directory: directory.path, tried: candidates)
    }

    /// Opens the shards named by the index json at `indexURL`.
    private convenience init(indexURL: URL) throws {
        let index = try SafeTensorsShardIndex(url: indexURL)
        let directory = indexURL.deletingLastPathComponent()
        var shards: [String: SafeTensorsFile] = [:]
        for shard in index.shardNames {
            let shardURL = directory.appendingPathComponent(shard)
            guard FileManager.default.fileExists(atPath: shardURL.path) else {
                let tensor = index.weightMap.filter { $0.value == shard }.keys.min() ?? ""
                throw SafeTensorsError.missingShard(index: indexURL.path, shard: shard, tensor: tensor)
            }
            shards[shard] = try SafeTensorsFile(url: shardURL)
        }
        for (tensor, shard) in index.weightMap.sorted(by: { $0.key < $1.key }) where shards[shard]?.contains(tensor) != true {
            throw SafeTensorsError.tensorMissingFromShard(index: indexURL.path, shard: shard, tensor: tensor)
        }
        try self.init(url: indexURL, files: index.shardNames.compactMap { shards[$0] })
    }

    /// Combines already opened files.
    /// - Throws: ``SafeTensorsError/duplicateTensor(tensor:file:otherFile:)`` if two files share a tensor name.
    public init(url: URL, files: [SafeTensorsFile]) throws {
        var entries: [String: SafeTensorsEntry] = [:]
        var fileForTensor: [String: SafeTensorsFile] = [:]
        var metadata: [String: String] = [:]
        for file in files {
            for name in file.names {
                if let other = fileForTensor[name] {
                    throw SafeTensorsError.duplicateTensor(tensor: name, file: file.url.path, otherFile: other.url.path)
                }
                fileForTensor[name] = file
                entries[name] = file.entries[name]
            }
            metadata.merge(file.metadata) { first, _ in first }
        }
        self.url = url
        self.files = files
        self.entries = entries
        self.metadata = metadata
        self.fileForTensor = fileForTensor
    }

    /// All tensor names across all files, sorted.
    public var names: [String] { entries.keys.sorted() }

    /// Whether any file holds a tensor called `name`.
    public func contains(_ name: String) -> Bool { entries[name] != nil }

    /// The file that stores `name`.
    /// - Throws: ``SafeTensorsError/tensorNotFound(file:tensor:)``.
    public func file(containing name: String) throws -> SafeTensorsFile {
        guard let file = fileForTensor[name] else { throw SafeTensorsError.tensorNotFound(file: url.path, tensor: name) }
        return file
    }

    /// The entry for `name`.
    public func entry(_ name: String) throws -> SafeTensorsEntry {
        try file(containing: name).entry(name)
    }

    /// The tensor's values as `Float` (see ``SafeTensorsFile/floats(_:)``).
    public func floats(_ name: String) throws -> [Float] {
        try file(containing: name).floats(name)
    }

    /// A copy of the tensor's bytes as stored (see ``SafeTensorsFile/rawData(_:)``).
    public func rawData(_ name: String) throws -> Data {
        try file(containing: name).rawData(name)
    }

    /// Calls `body` with the tensor's stored bytes, without copying (see ``SafeTensorsFile/withRawBytes(_:_:)``).
    public func withRawBytes<R>(_ name: String, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        try file(containing: name).withRawBytes(name, body)
    }
}
