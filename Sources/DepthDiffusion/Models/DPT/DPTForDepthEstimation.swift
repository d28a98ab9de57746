import Foundation

/// transformers `DPTForDepthEstimation`: DPT-Hybrid (BiT + ViT, MiDaS v3 hybrid, the depth estimator of
/// stable-diffusion-2-depth) or plain ViT DPT (`Intel/dpt-large`), built from `config.json` with the
/// checkpoint's parameter names (`dpt.embeddings.…`, `dpt.encoder.layer.N.…`, `neck.…`, `head.…`).
///
/// Input: normalised pixels `[B, 3, H, W]` (see ``DPTImageProcessor``). Output: `predicted_depth`
/// `[B, H', W']` (relative inverse depth, ≥ 0); for DPT-Hybrid H' = H and W' = W.
public final class DPTForDepthEstimation: Sendable {
    /// The configuration the model was built from.
    public let config: DPTConfig
    let hybridEmbeddings: DPTViTHybridEmbeddings?
    let embeddings: DPTViTEmbeddings?
    /// `dpt.encoder.layer.*`; only those up to the last used index run.
    let layers: [DPTViTLayer]
    /// `dpt.layernorm`: bound, but its output (`last_hidden_state`) is not used for depth.
    let layernorm: LayerNorm
    let neck: DPTNeck
    let head: DPTDepthEstimationHead
    /// The encoder layers whose outputs feed the neck, in increasing order (as transformers selects them).
    let usedLayers: [Int]

    /// Builds the model from `config`, reading parameters through `binder` (the root of the checkpoint).
    public init(config: DPTConfig, binder: WeightBinder) throws {
        backend = binder.backend
        try config.validate()
        self.config = config
        let dpt = binder.scope("dpt")
        if config.isHybrid {
            hybridEmbeddings = try DPTViTHybridEmbeddings(dpt.scope("embeddings"), config: config)
            embeddings = nil
        } else {
            embeddings = try DPTViTEmbeddings(dpt.scope("embeddings"), config: config)
            hybridEmbeddings = nil
        }
        layers = try (0..<config.numHiddenLayers).map { try DPTViTLayer(dpt.scope("encoder").scope("layer").scope($0), config: config) }
        layernorm = try LayerNorm(dpt.scope("layernorm"), dim: config.hiddenSize, eps: config.layerNormEps)
        neck = try DPTNeck(binder.scope("neck"), config: config)
        head = try DPTDepthEstimationHead(binder.scope("head"), config: config)
        usedLayers = Array(Set(config.isHybrid ? Array(config.backboneOutIndices[2...]) : config.backboneOutIndices)).sorted()
        let expected = config.isHybrid ? 2 : 4
        guard usedLayers.count == expected else {
            throw ConfigError.inconsistent(component: "depth_estimator", detail: "backbone_out_indices \(config.backboneOutIndices) select \(usedLayers.count) distinct layers; the neck needs \(expected)")
        }
    }

    /// The backend holding the parameters (inputs must live there too).
    public let backend: ComputeBackend

    /// Loads `config.json` and the safetensors weights of a `depth_estimator` folder.
    /// `variant` picks `model.VARIANT.safetensors` (e.g. `fp16`); `nil` prefers the float32 files.
    /// `precision` sets how layer weights are held (see ``WeightPrecision``).
    public convenience init(folder: URL, backend: ComputeBackend, variant: String? = nil,
                            precision: WeightPrecision = .fp32) throws {
        try self.init(config: DPTConfig(contentsOf: folder.appendingPathComponent("config.json")),
                      weights: SafeTensorsCollection(url: folder, variant: variant), backend: backend, precision: precision)
    }

    /// Builds the model from `config` with every weight of `weights`, checking that none is missing,
    /// mis-shaped or unexpected. `precision` sets how layer weights are held (see ``WeightPrecision``).
    public convenience init(config: DPTConfig, weights: WeightSource, backend: ComputeBackend,
                            precision: WeightPrecision = .fp32) throws {
        let binder = WeightBinder(source: weights, backend: backend, precision: precision)
        try self.init(config: config, binder: binder)
        try binder.finish()
    }

    /// `predicted_depth` for normalised pixels `[B, C, H, W]`.
    ///
    /// Like transformers, the input must be `image_size` unless `interpolatePositionEncoding` is set; then
    /// the position embeddings are resized bilinearly to the patch grid (any multiple of `patch_size`,
    /// including non-square inputs, which transformers' hybrid forward cannot run).
    public func callAsFunction(_ pixelValues: Tensor, interpolatePositionEncoding: Bool = false) throws -> Tensor {
        guard pixelValues.rank == 4, pixelValues.shape[1] == config.numChannels else {
            throw PipelineError.invalidImage("pixel values must be [batch, \(config.numChannels), height, width], got \(pixelValues.shape)")
        }
        let (height, width) = (pixelValues.shape[2], pixelValues.shape[3])
        if !interpolatePositionEncoding && (height != config.imageSize.height || width != config.imageSize.width) {
            throw PipelineError.invalidImage("input size \(height)x\(width) doesn't match the model's \(config.imageSize.height)x\(config.imageSize.width); resize the image with DPTImageProcessor or enable position-embedding interpolation")
        }
        guard height >= config.patchSize, width >= config.patchSize else {
            throw PipelineError.invalidImage("input size \(height)x\(width) is smaller than one patch (\(config.patchSize))")
        }
        let grid = (height: height / config.patchSize, width: width / config.patchSize)
        var states = [Tensor]()
        var hidden: Tensor
        if let hybridEmbeddings {
            let (tokens, maps) = try hybridEmbeddings(pixelValues)
            hidden = tokens
            states = maps
        } else {
            hidden = try embeddings!(pixelValues)
        }
        let last = usedLayers.last ?? -1
        for (i, layer) in layers.enumerated() where i <= last {
            hidden = try layer(hidden)
            if usedLayers.contains(i) { states.append(hidden) }
        }
        return try head(neck(states, grid: grid))
    }
}
