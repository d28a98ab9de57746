import Foundation

/// A diffusers model folder of `StableDiffusionDepth2ImgPipeline` (`stabilityai/stable-diffusion-2-depth`):
/// `model_index.json` and the component folders `unet/`, `vae/`, `text_encoder/`, `tokenizer/`,
/// `depth_estimator/`, `feature_extractor/` and `scheduler/`.
///
/// Weights are read from safetensors: the float32 files when present, otherwise the `fp16` variant
/// (`*.fp16.safetensors`), single files or shards with an index. Folders that only have PyTorch
/// `.bin` files are reported with the command that converts them.
public struct ModelFolder: Sendable {
    /// The pipeline class this library runs.
    public static let pipelineClass = "StableDiffusionDepth2ImgPipeline"
    /// The folder.
    public let url: URL
    /// The preferred weight variant (`nil`: float32 files first, then `fp16`).
    public var variant: String?

    /// Opens and checks a model folder: `model_index.json` must name the depth-to-image pipeline and
    /// every component folder must exist.
    public init(url: URL, variant: String? = nil) throws {
        self.url = url
        self.variant = variant
        let index = url.appendingPathComponent("model_index.json")
        guard FileManager.default.fileExists(atPath: index.path) else { throw PipelineError.notAModelFolder(path: url.path) }
        let className = try ConfigFile.decode(ModelIndex.self, from: index, keys: .declared).className ?? "unknown pipeline"
        guard className == Self.pipelineClass else { throw PipelineError.wrongPipeline(path: url.path, found: className) }
        for component in ["unet", "vae", "text_encoder", "tokenizer", "depth_estimator", "feature_extractor", "scheduler"] {
            var isDirectory: ObjCBool = false
            let folder = url.appendingPathComponent(component)
            guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw PipelineError.missingComponent(name: component, path: folder.path)
            }
        }
    }

    /// The part of `model_index.json` the folder check reads.
    private struct ModelIndex: Decodable {
        var className: String?
        enum CodingKeys: String, CodingKey { case className = "_class_name" }
    }

    /// The folder of a component.
    public func folder(_ component: String) -> URL { url.appendingPathComponent(component) }

    /// A required file of a component, e.g. `config.json`.
    public func file(_ component: String, _ name: String) throws -> URL {
        let file = folder(component).appendingPathComponent(name)
        guard FileManager.default.fileExists(atPath: file.path) else {
            throw PipelineError.missingComponent(name: "\(component)/\(name)", path: file.path)
        }
        return file
    }

    /// The weights of a component: float32 safetensors first (or the requested variant), then `fp16`.
    public func weights(_ component: String) throws -> SafeTensorsCollection {
        try Self.weights(in: folder(component), component: component, variant: variant)
    }

    /// The safetensors weights of one component folder (`variant` first when given, else float32, then
    /// `fp16`); a folder with only PyTorch pickle files is reported with the command that converts it.
    public static func weights(in dir: URL, component: String, variant: String?) throws -> SafeTensorsCollection {
        do {
            return try SafeTensorsCollection(url: dir, variant: variant)
        } catch SafeTensorsError.noWeightsFound {
            let files = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
            if files.contains(where: { $0.hasSuffix(".bin") || $0.hasSuffix(".ckpt") || $0.hasSuffix(".pt") }) {
                throw PipelineError.unsupportedWeights(component: component, path: dir.path,
                    detail: "only PyTorch pickle (.bin) weights were found; this library reads safetensors only. Convert with "
                        + "`python -c \"from diffusers import StableDiffusionDepth2ImgPipeline as P; P.from_pretrained('DIR').save_pretrained('OUT', safe_serialization=True)\"`")
            }
            throw PipelineError.missingComponent(name: "\(component) weights", path: dir.appendingPathComponent("*.safetensors").path)
        }
    }
}
