import Foundation

/// The fields of a transformers `CLIPTextConfig` (`text_encoder/config.json`) that the text encoder uses.
///
/// The defaults (those of the initializer) are transformers' `CLIPTextConfig` defaults; stable-diffusion-2-depth
/// sets hidden 1024, 23 layers, 16 heads, intermediate 4096 and `hidden_act` `gelu`.
public struct CLIPTextConfig: Codable, Equatable, Sendable {
    public var vocabSize: Int
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var numHiddenLayers: Int
    public var numAttentionHeads: Int
    public var maxPositionEmbeddings: Int
    /// `gelu` (erf), `quick_gelu`, or `gelu_new` / `gelu_pytorch_tanh` (tanh approximation).
    public var hiddenAct: String
    public var layerNormEps: Double

    enum CodingKeys: String, CodingKey {
        case vocabSize = "vocab_size", hiddenSize = "hidden_size", intermediateSize = "intermediate_size"
        case numHiddenLayers = "num_hidden_layers", numAttentionHeads = "num_attention_heads"
        case maxPositionEmbeddings = "max_position_embeddings", hiddenAct = "hidden_act", layerNormEps = "layer_norm_eps"
    }

    /// stable-diffusion-2(-depth)'s text encoder: OpenCLIP ViT-H/14 cut to its penultimate layer.
    public static let stableDiffusion2 = CLIPTextConfig(vocabSize: 49408, hiddenSize: 1024, intermediateSize: 4096,
                                                        numHiddenLayers: 23, numAttentionHeads: 16, maxPositionEmbeddings: 77,
                                                        hiddenAct: "gelu", layerNormEps: 1e-5)

    public init(vocabSize: Int = 49408, hiddenSize: Int = 512, intermediateSize: Int = 2048, numHiddenLayers: Int = 12,
                numAttentionHeads: Int = 8, maxPositionEmbeddings: Int = 77, hiddenAct: String = "quick_gelu",
                layerNormEps: Double = 1e-5) {
        self.vocabSize = vocabSize; self.hiddenSize = hiddenSize; self.intermediateSize = intermediateSize
        self.numHiddenLayers = numHiddenLayers; self.numAttentionHeads = numAttentionHeads
        self.maxPositionEmbeddings = maxPositionEmbeddings; self.hiddenAct = hiddenAct; self.layerNormEps = layerNormEps
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = CLIPTextConfig()
        vocabSize = try c.decodeIfPresent(Int.self, forKey: .vocabSize) ?? d.vocabSize
        hiddenSize = try c.decodeIfPresent(Int.self, forKey: .hiddenSize) ?? d.hiddenSize
        intermediateSize = try c.decodeIfPresent(Int.self, forKey: .intermediateSize) ?? d.intermediateSize
        numHiddenLayers = try c.decodeIfPresent(Int.self, forKey: .numHiddenLayers) ?? d.numHiddenLayers
        numAttentionHeads = try c.decodeIfPresent(Int.self, forKey: .numAttentionHeads) ?? d.numAttentionHeads
        maxPositionEmbeddings = try c.decodeIfPresent(Int.self, forKey: .maxPositionEmbeddings) ?? d.maxPositionEmbeddings
        hiddenAct = try c.decodeIfPresent(String.self, forKey: .hiddenAct) ?? d.hiddenAct
        layerNormEps = try c.decodeIfPresent(Double.self, forKey: .layerNormEps) ?? d.layerNormEps
    }

    /// Reads `config.json` (or the folder that holds it) and validates it.
    public init(url: URL) throws {
        self = try ConfigFile.decode(CLIPTextConfig.self, from: url, keys: .declared)
        try validate()
    }

    /// The activation of the MLPs.
    func activation() throws -> UnaryOp {
        switch hiddenAct {
        case "gelu": return .gelu
        case "quick_gelu": return .quickGelu
        case "gelu_new", "gelu_pytorch_tanh", "gelu_fast": return .geluTanh
        case "relu": return .relu
        case "silu", "swish": return .silu
        default:
            throw ConfigError.unsupported(component: "text_encoder", field: "hidden_act", value: hiddenAct,
                                          supported: "gelu, quick_gelu, gelu_new, gelu_pytorch_tanh, gelu_fast, relu, silu")
        }
    }

    /// Checks sizes: all positive, heads dividing the hidden size.
    public func validate() throws {
        func inconsistent(_ detail: String) -> ConfigError { .inconsistent(component: "text_encoder", detail: detail) }
        for (name, v) in [("vocab_size", vocabSize), ("hidden_size", hiddenSize), ("intermediate_size", intermediateSize),
                          ("num_attention_heads", numAttentionHeads), ("max_position_embeddings", maxPositionEmbeddings)] where v <= 0 {
            throw inconsistent("\(name) is \(v); it must be positive")
        }
        guard numHiddenLayers >= 0 else { throw inconsistent("num_hidden_layers is \(numHiddenLayers)") }
        try ConfigLimits.check("text_encoder", [("hidden_size", hiddenSize), ("intermediate_size", intermediateSize),
                                                ("num_attention_heads", numAttentionHeads), ("max_position_embeddings", maxPositionEmbeddings)],
                               maximum: ConfigLimits.maximumWidth)
        try ConfigLimits.check("text_encoder", [("vocab_size", vocabSize)], maximum: ConfigLimits.maximumVocabulary)
        guard numHiddenLayers <= ConfigLimits.maximumDepth else {
            throw inconsistent("num_hidden_layers is \(numHiddenLayers); it must be at most \(ConfigLimits.maximumDepth)")
        }
        guard hiddenSize % numAttentionHeads == 0 else {
            throw inconsistent("hidden_size \(hiddenSize) is not a multiple of num_attention_heads \(numAttentionHeads)")
        }
        guard layerNormEps > 0, layerNormEps.isFinite else { throw inconsistent("layer_norm_eps must be positive") }
        _ = try activation()
    }
}
