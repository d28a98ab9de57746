import DepthDiffusion
import Foundation

/// Which files of a `StableDiffusionDepth2ImgPipeline` repository this library reads, chosen from a list
/// of the repository's files with the same rules as ``ModelFolder`` and `SafeTensorsCollection`: for
/// each weight component the requested variant's safetensors (single file or index + shards), else the
/// standard files, else (no variant asked) the `fp16` ones; the configs; the tokenizer (`tokenizer.json`,
/// else `vocab.json` + `merges.txt`, with its configs); `model_index.json`. Nothing else is downloaded
/// (no `.bin`, no `.ckpt`, no other variants).
public enum PipelineFiles {
    /// Every component of the pipeline.
    public static let allComponents = ["unet", "vae", "text_encoder", "tokenizer", "depth_estimator", "feature_extractor", "scheduler"]
    /// The components of the depth estimator alone (`estimate-depth`).
    public static let depthComponents = ["depth_estimator", "feature_extractor"]
    static let weightComponents: Set<String> = ["unet", "vae", "text_encoder", "depth_estimator"]

    /// The files needed from `available` (repository-relative paths), shard files excluded: call
    /// ``shards(ofIndex:path:)`` on each `*.index*.json` in the result.
    public static func select(from available: Set<String>, components: [String], variant: String?, repo: String) throws -> [String] {
        var files = ["model_index.json"]
        func require(_ path: String) throws {
            guard available.contains(path) else { throw HubError.notFound(repo: repo, what: "the file \(path)") }
            files.append(path)
        }
        for component in components {
            switch component {
            case "tokenizer":
                if available.contains("tokenizer/tokenizer.json") {
                    files.append("tokenizer/tokenizer.json")
                } else {
                    try require("tokenizer/vocab.json")
                    try require("tokenizer/merges.txt")
                }
                files += ["tokenizer/tokenizer_config.json", "tokenizer/special_tokens_map.json"].filter(available.contains)
            case "feature_extractor": try require("feature_extractor/preprocessor_config.json")
            case "scheduler": try require("scheduler/scheduler_config.json")
            case _ where weightComponents.contains(component):
                try require("\(component)/config.json")
                files.append(try weights(component, available: available, variant: variant, repo: repo))
            default:
                throw HubError.unsupportedRepository(repo: repo, detail: "unknown pipeline component '\(component)'")
            }
        }
        guard available.contains("model_index.json") else {
            throw HubError.notFound(repo: repo, what: "model_index.json (it is not a diffusers pipeline repository)")
        }
        return files
    }

    private static func weights(_ component: String, available: Set<String>, variant: String?, repo: String) throws -> String {
        var candidates = SafeTensorsCollection.candidateFileNames(variant: variant)
        if variant == nil { candidates += SafeTensorsCollection.candidateFileNames(variant: "fp16", allowVariantFallback: false) }
        if let name = candidates.first(where: { available.contains("\(component)/\($0)") }) { return "\(component)/\(name)" }
        let others = available.filter { $0.hasPrefix("\(component)/") && !$0.hasSuffix(".json") }.sorted()
        if others.contains(where: { $0.hasSuffix(".bin") }) && !others.contains(where: { $0.hasSuffix(".safetensors") }) {
            throw HubError.unsupportedRepository(repo: repo, detail: "\(component) has only PyTorch .bin weights; this library reads safetensors")
        }
        throw HubError.unsupportedRepository(repo: repo, detail: "no \(variant.map { "'\($0)' variant " } ?? "")safetensors weights for "
            + "\(component) (found: \(others.isEmpty ? "none" : others.joined(separator: ", "))); try another --variant")
    }

    /// Whether a selected path is a shard index (`*.safetensors.index.json`, `*.safetensors.index.<variant>.json`).
    public static func isShardIndex(_ path: String) -> Bool { path.hasSuffix(".json") && path.contains(".safetensors.index") }

    /// The shard files an index names (the values of its `weight_map`), as repository paths next to the index.
    public static func shards(ofIndex data: Data, path: String) throws -> [String] {
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
              let map = object["weight_map"] as? [String: Any] else {
            throw HubError.unsupportedRepository(repo: path, detail: "the shard index \(path) has no weight_map object")
        }
        let folder = (path as NSString).deletingLastPathComponent
        var shards = Set<String>()
        for value in map.values {
            guard let name = value as? String, HubCache.isSafeRelativePath(name), !name.contains("/") else {
                throw HubError.unsupportedRepository(repo: path, detail: "the shard index \(path) names an invalid file \(value)")
            }
            shards.insert(folder.isEmpty ? name : "\(folder)/\(name)")
        }
        return shards.sorted()
    }
}
