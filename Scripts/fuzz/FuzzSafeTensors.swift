// The `safetensors` and `safetensors-index` targets.
import Foundation

/// A `.safetensors` file: header validation, then every tensor read as floats, and as the weight data a binder
/// hands to a backend (packed into 16-bit panels as the CPU backend does, then widened back).
func fuzzSafeTensors(_ bytes: UnsafeRawBufferPointer) {
    let url = fuzzFile(bytes, named: "model.safetensors")
    guard let file = try? SafeTensorsFile(url: url) else { return }
    for name in file.names {
        _ = try? file.floats(name)
        _ = try? file.withWeightData(name) { data in
            let packed = try PackedWeight16(data: data, outFeatures: 1, inFeatures: data.count, format: .bfloat16)
            var wide = [Float](repeating: 0, count: data.count)
            wide.withUnsafeMutableBufferPointer { if let out = $0.baseAddress { packed.unpack(columns: 0, 1, into: out, ldo: 1) } }
            return data.floats().count
        }
    }
}

/// A `model.safetensors.index.json` next to the two committed shards: the index, the shard lookup and
/// every tensor it maps.
func fuzzSafeTensorsIndex(_ bytes: UnsafeRawBufferPointer) {
    let folder = "sharded"
    let directory = fuzzScratch.appendingPathComponent(folder)
    if !FileManager.default.fileExists(atPath: directory.appendingPathComponent(shardNames[0]).path) {
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for name in shardNames {
            let source = fuzzRoot.appendingPathComponent("Tests/DepthDiffusionTests/Fixtures/safetensors/sharded/\(name)")
            guard (try? FileManager.default.copyItem(at: source, to: directory.appendingPathComponent(name))) != nil else {
                fatalError("cannot copy the shard fixture \(source.path); set DD_FUZZ_ROOT to the repository")
            }
        }
    }
    _ = fuzzFile(bytes, named: "model.safetensors.index.json", in: folder)
    guard let collection = try? SafeTensorsCollection(url: directory) else { return }
    for name in collection.names { _ = try? collection.floats(name) }
}

private let shardNames = ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]
