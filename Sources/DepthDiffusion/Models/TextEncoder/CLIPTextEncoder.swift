import Foundation

/// transformers `CLIPTextModel` (its `text_model`, a `CLIPTextTransformer`), returning `last_hidden_state`.
///
/// Embeddings → `num_hidden_layers` pre-LN ``CLIPEncoderLayer``s with a causal mask → `final_layer_norm`.
/// Parameters are bound by transformers' names (`text_model.embeddings.token_embedding.weight`,
/// `text_model.encoder.layers.N.self_attn.q_proj.weight`, …, `text_model.final_layer_norm.weight`, as in the
/// published stable-diffusion-2-depth checkpoint; transformers 5 saves the same names without the
/// `text_model.` prefix, and both load). The int64 `embeddings.position_ids` buffer is accepted and ignored.
///
/// ```swift
/// let encoder = try CLIPTextEncoder(folder: modelFolder.appendingPathComponent("text_encoder"), backend: backend)
/// let hidden = try encoder(ids: tokenizer.encode("a photo of a cat"), batch: 1)   // [1, 77, 1024]
/// ```
public final class CLIPTextEncoder: Sendable {
    /// The model's configuration.
    public let config: CLIPTextConfig
    /// The backend that holds the weights and runs the model.
    public let backend: ComputeBackend
    let embeddings: CLIPTextEmbeddings
    let layers: [CLIPEncoderLayer]
    let finalLayerNorm: LayerNorm

    /// Builds the model from `config`, binding every parameter through `binder`, the scope of the text
    /// transformer: `root.scope("text_model")` for published SD2 checkpoints, the root for files saved by
    /// transformers 5. Call `finish` on the root binder afterwards to check for missing, mis-shaped and
    /// unexpected tensors, or use ``init(folder:backend:variant:)``, which does both.
    public init(config: CLIPTextConfig, binder model: WeightBinder) throws {
        try config.validate()
        self.config = config
        backend = model.backend
        embeddings = try CLIPTextEmbeddings(model.scope("embeddings"), config: config)
        let layerBinder = model.scope("encoder").scope("layers")
        layers = try (0..<config.numHiddenLayers).map { try CLIPEncoderLayer(layerBinder.scope($0), config: config) }
        finalLayerNorm = try LayerNorm(model.scope("final_layer_norm"), dim: config.hiddenSize, eps: Float(config.layerNormEps))
    }

    /// Loads `config.json` and the safetensors weights of a `text_encoder/` folder.
    ///
    /// Throws ``ConfigError`` for a missing or bad config, `SafeTensorsError` for unreadable weights and
    /// `WeightBindingError` (listing every problem) when the weights do not match the configuration.
    /// `precision` sets how layer weights are held (see ``WeightPrecision``).
    public convenience init(folder: URL, backend: ComputeBackend, variant: String? = nil,
                            precision: WeightPrecision = .fp32) throws {
        let config = try CLIPTextConfig(url: folder.appendingPathComponent("config.json"))
        let weights = try ModelFolder.weights(in: folder, component: "text_encoder", variant: variant)
        let binder = WeightBinder(source: weights, backend: backend, precision: precision)
        let prefixed = weights.entries["text_model.embeddings.token_embedding.weight"] != nil
            || weights.entries["embeddings.token_embedding.weight"] == nil
        try self.init(config: config, binder: prefixed ? binder.scope("text_model") : binder)
        try binder.finish(ignoringUnused: Self.isIgnoredBuffer)
    }

    /// Checkpoint entries that are buffers, not parameters (`position_ids`).
    public static func isIgnoredBuffer(_ name: String) -> Bool { name.hasSuffix("embeddings.position_ids") }

    /// `last_hidden_state` for `batch` sequences of equal length stored one after another in `ids`:
    /// `[batch, ids.count / batch, hidden]`.
    public func callAsFunction(ids: [Int32], batch: Int) throws -> Tensor {
        guard batch > 0, !ids.isEmpty, ids.count % batch == 0 else {
            throw PipelineError.invalidParameter("\(ids.count) ids cannot be split into \(batch) equal non-empty sequences")
        }
        let length = ids.count / batch
        guard length <= config.maxPositionEmbeddings else {
            throw PipelineError.invalidParameter("sequences of \(length) ids exceed the model's \(config.maxPositionEmbeddings) positions; truncate them (the tokenizer's encode does)")
        }
        if let bad = ids.first(where: { $0 < 0 || Int($0) >= config.vocabSize }) {
            throw PipelineError.invalidParameter("token id \(bad) is outside the vocabulary of \(config.vocabSize); is the tokenizer from the same model?")
        }
        var x = try embeddings(ids: ids, batch: batch, length: length)
        for layer in layers { x = try layer(x, causal: true) }
        return try finalLayerNorm(x)
    }

    /// Floating-point operations of one call for `batch` sequences of `length` tokens (multiply-adds count 2).
    public func flops(batch: Int, length: Int) -> Double { Self.flopsEstimate(config: config, batch: batch, length: length) }

    /// Floating-point operations of the linear layers and attention products of a model with `config`.
    public static func flopsEstimate(config: CLIPTextConfig, batch: Int, length: Int) -> Double {
        let d = Double(config.hiddenSize), i = Double(config.intermediateSize), t = Double(batch * length)
        let perLayer = 2 * t * (4 * d * d + 2 * d * i) + 4 * Double(batch) * Double(length * length) * d
        return perLayer * Double(config.numHiddenLayers)
    }
}
