import Foundation

/// A Stable Diffusion 2 depth checkpoint in one file, in the original latent-diffusion layout (the layout
/// of `512-depth-ema.ckpt`, also used by AUTOMATIC1111 and ComfyUI): `model.diffusion_model.*` (UNet),
/// `first_stage_model.*` (VAE), `cond_stage_model.model.*` (OpenCLIP text tower) and, when present,
/// `depth_model.model.*` (MiDaS DPT-Hybrid).
///
/// `.safetensors` files are memory-mapped; anything else is read as a `torch.save` archive by the
/// restricted reader of ``PyTorchCheckpoint``. Each component is presented under the reference names its
/// model binds (see ``KeyMappedWeightSource``); keys outside the four prefixes (training buffers such as
/// `betas`, `model_ema.*`) are ignored, while an unknown key inside a component is reported when binding.
public final class SingleFileCheckpoint {
    /// The file.
    public let url: URL
    /// The whole file's tensors under their original names.
    public let weights: WeightSource

    /// Opens `url` (`.safetensors`, or a `torch.save` archive such as `.ckpt`).
    /// - Throws: ``SafeTensorsError``, ``PyTorchCheckpointError``, or ``SingleFileError/notOriginalLayout(file:detail:)``.
    public init(url: URL) throws {
        self.url = url
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw SingleFileError.fileNotFound(url.path)
        }
        guard !isDirectory.boolValue else { throw SingleFileError.isAFolder(url.path) }
        if url.pathExtension.lowercased() == "safetensors" {
            weights = try SafeTensorsCollection(url: url)
        } else {
            weights = try PyTorchCheckpoint(url: url)
        }
        let names = weights.tensorNames ?? []
        guard names.contains(where: { $0.hasPrefix(LDMUNetKeys.prefix) }) else {
            let sample = names.prefix(3).joined(separator: ", ")
            throw SingleFileError.notOriginalLayout(file: url.path, detail: names.isEmpty ? "it holds no tensors"
                : "no tensor starts with \(LDMUNetKeys.prefix) (found e.g. \(sample))")
        }
    }

    /// Whether the file holds the MiDaS depth model (`depth_model.model.*`).
    public var hasDepthModel: Bool { (weights.tensorNames ?? []).contains { $0.hasPrefix(MiDaSDPTKeys.prefix) } }

    /// The UNet's tensors under diffusers' names.
    public func unetWeights(config: UNet2DConditionConfig) throws -> KeyMappedWeightSource {
        try component(LDMUNetKeys.prefix) { LDMUNetKeys.rename($0, config: config) }
    }

    /// The VAE's tensors under diffusers' names.
    public func vaeWeights(config: AutoencoderKLConfig) throws -> KeyMappedWeightSource {
        try component(LDMVAEKeys.prefix) { LDMVAEKeys.rename($0, config: config) }
    }

    /// The text encoder's tensors under transformers' `CLIPTextModel` names (without `text_model.`).
    public func textEncoderWeights(config: CLIPTextConfig) throws -> KeyMappedWeightSource {
        try component(OpenCLIPTextKeys.prefix) { OpenCLIPTextKeys.rename($0, config: config) }
    }

    /// The depth model's tensors under transformers' `DPTForDepthEstimation` names, or `nil` when the file has none.
    public func depthWeights() throws -> KeyMappedWeightSource? {
        hasDepthModel ? try component(MiDaSDPTKeys.prefix, MiDaSDPTKeys.rename) : nil
    }

    /// The tensors under `prefix`, renamed. A key the table does not know keeps its full original name, so
    /// that binding reports it as unexpected.
    private func component(_ prefix: String, _ rename: (String) -> LDMKeyRename?) throws -> KeyMappedWeightSource {
        var mappings: [String: KeyMappedWeightSource.Mapping] = [:]
        func add(_ target: String, _ mapping: KeyMappedWeightSource.Mapping) throws {
            guard mappings[target] == nil else {
                throw SingleFileError.duplicateTarget(file: url.path, name: target, source: mapping.sourceName)
            }
            mappings[target] = mapping
        }
        for name in weights.tensorNames ?? [] where name.hasPrefix(prefix) {
            guard let shape = weights.shape(of: name) else { continue }
            switch rename(String(name.dropFirst(prefix.count))) {
            case let .rename(target)?:
                try add(target, .init(sourceName: name, shape: shape))
            case let .squeeze(target)?:
                try add(target, .init(sourceName: name, shape: shape.count == 4 && shape[2] == 1 && shape[3] == 1
                                      ? Array(shape.prefix(2)) : shape))
            case let .splitRows(targets)?:
                let rows = shape.first ?? 0
                guard rows % targets.count == 0 else {
                    throw SingleFileError.notOriginalLayout(file: url.path,
                        detail: "\(name) has \(rows) rows, which do not split into \(targets.count) equal projections")
                }
                let block = rows / targets.count
                for (i, target) in targets.enumerated() {
                    try add(target, .init(sourceName: name, rows: i * block..<(i + 1) * block, shape: [block] + shape.dropFirst()))
                }
            case .ignore?:
                continue
            case nil:
                try add(name, .init(sourceName: name, shape: shape))
            }
        }
        return KeyMappedWeightSource(source: weights, mappings: mappings)
    }
}
