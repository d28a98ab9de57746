import Foundation

/// The fields of transformers' `DPTConfig` (`depth_estimator/config.json`) that the depth model uses,
/// with transformers' defaults for absent keys.
///
/// `Codable` with the coding keys of the fields that `config.json` holds as they are (`layer_norm_eps`,
/// `image_size` and the backbone, which need conversion, are left out); ``init(contentsOf:)`` reads a whole file
/// with defaults and checks.
public struct DPTConfig: Codable, Sendable, Equatable {
    public var hiddenSize = 768
    public var numHiddenLayers = 12
    public var numAttentionHeads = 12
    public var intermediateSize = 3072
    public var hiddenAct = "gelu"
    public var layerNormEps: Float = 1e-12
    /// `(height, width)` the position embeddings were trained for.
    public var imageSize = (height: 384, width: 384)
    public var patchSize = 16
    public var numChannels = 3
    public var isHybrid = false
    public var qkvBias = true
    public var backboneOutIndices = [2, 5, 8, 11]
    public var readoutType = "project"
    public var reassembleFactors: [Double] = [4, 2, 1, 0.5]
    public var neckHiddenSizes = [96, 192, 384, 768]
    public var fusionHiddenSize = 256
    public var headInIndex = -1
    public var useBatchNormInFusionResidual = false
    public var useBiasInFusionResidual: Bool? = nil
    public var addProjection = false
    public var backboneFeatmapShape: [Int]? = [1, 1024, 24, 24]
    public var neckIgnoreStages = [0, 1]
    /// The BiT backbone of the hybrid model (`nil` for plain ViT DPT).
    public var backbone: BitConfig? = nil

    enum CodingKeys: CodingKey {
        case hiddenSize, numHiddenLayers, numAttentionHeads, intermediateSize, hiddenAct, patchSize, numChannels, isHybrid
        case qkvBias, backboneOutIndices, readoutType, reassembleFactors, neckHiddenSizes, fusionHiddenSize, headInIndex
        case useBatchNormInFusionResidual, useBiasInFusionResidual, addProjection, backboneFeatmapShape, neckIgnoreStages
    }

    public static func == (a: DPTConfig, b: DPTConfig) -> Bool {
        a.hiddenSize == b.hiddenSize && a.numHiddenLayers == b.numHiddenLayers && a.imageSize == b.imageSize
            && a.backbone == b.backbone && a.neckHiddenSizes == b.neckHiddenSizes && a.isHybrid == b.isHybrid
            && a.reassembleFactors == b.reassembleFactors && a.fusionHiddenSize == b.fusionHiddenSize
            && a.backboneOutIndices == b.backboneOutIndices && a.patchSize == b.patchSize
    }

    /// transformers' defaults (`Intel/dpt-large`); set `isHybrid` and `backbone` for DPT-Hybrid.
    public init() {}

    /// The configuration of `Intel/dpt-hybrid-midas`, the depth estimator of stable-diffusion-2-depth.
    public static var dptHybridMidas: DPTConfig {
        var c = DPTConfig()
        c.isHybrid = true
        c.reassembleFactors = [1, 1, 1, 0.5]
        c.neckHiddenSizes = [256, 512, 768, 768]
        c.backboneFeatmapShape = [1, 1024, 24, 24]
        c.backbone = BitConfig.dptHybridDefault
        return c
    }

    /// Reads `config.json` (or the `depth_estimator` folder that holds it).
    public init(contentsOf url: URL) throws {
        let (data, file) = try ConfigFile.read(url)
        try self.init(json: data, file: file, source: url.lastPathComponent)
    }

    /// Parses the JSON text of `config.json`.
    public init(json data: Data, source: String = "config.json") throws {
        try self.init(json: data, file: source, source: source)
    }

    private init(json data: Data, file: String, source: String) throws {
        let raw = try ConfigFile.decode(Raw.self, data: data, file: file)
        self = try raw.config(ConfigFile.decode(data: data, over: DPTConfig(), file: file), file: file, source: source)
    }

    /// The fields of `config.json` that need conversion, and the backbone.
    private struct Raw: Decodable {
        var layerNormEps: Double?, imageSize: OneOrList<Int>?, backboneConfig: [String: JSONValue]?, backbone: String?

        /// Completes `plain`, the fields read as they are, and checks the result.
        func config(_ plain: DPTConfig, file: String, source: String) throws -> DPTConfig {
            var c = plain
            c.layerNormEps = layerNormEps.map(Float.init) ?? c.layerNormEps
            if let size = imageSize {
                guard size.values.count == (size.isList ? 2 : 1) else {
                    throw ConfigError.inconsistent(component: "depth_estimator", detail: "image_size must be one integer or [height, width]")
                }
                c.imageSize = (size.values[0], size.values[size.isList ? 1 : 0])
            }
            if c.isHybrid {
                c.backbone = try backboneConfig.map { try BitConfig(backboneConfig: $0, file: file) } ?? BitConfig.dptHybridDefault
            } else {
                c.backboneFeatmapShape = nil
                c.neckIgnoreStages = []
                if backboneConfig != nil || backbone != nil {
                    throw ConfigError.unsupported(component: "depth_estimator", field: "backbone_config", value: "an external backbone",
                                                  supported: "none (ViT DPT) or BiT with is_hybrid (DPT-Hybrid); DINOv2 / Swin backbones are not implemented")
                }
            }
            try c.validate(source: source)
            return c
        }
    }

    /// Checks the values the model relies on.
    public func validate(source: String = "config.json") throws {
        func fail(_ s: String) -> ConfigError { .inconsistent(component: "depth_estimator (\(source))", detail: s) }
        guard hiddenSize > 0, numAttentionHeads > 0, hiddenSize % numAttentionHeads == 0 else {
            throw fail("hidden_size \(hiddenSize) must be a positive multiple of num_attention_heads \(numAttentionHeads)")
        }
        guard numHiddenLayers > 0, intermediateSize > 0, patchSize > 0, numChannels > 0, fusionHiddenSize > 1,
              imageSize.height >= patchSize, imageSize.width >= patchSize else {
            throw fail("sizes must be positive (num_hidden_layers, intermediate_size, patch_size, image_size, fusion_hidden_size)")
        }
        guard neckHiddenSizes.count == 4, reassembleFactors.count == 4, backboneOutIndices.count == 4 else {
            throw fail("neck_hidden_sizes, reassemble_factors and backbone_out_indices need 4 entries each")
        }
        guard neckHiddenSizes.allSatisfy({ $0 > 0 }) else { throw fail("neck_hidden_sizes must be positive") }
        let usedIndices = isHybrid ? Array(backboneOutIndices[2...]) : backboneOutIndices
        guard usedIndices.allSatisfy({ $0 >= 0 && $0 < numHiddenLayers }) else {
            throw fail("backbone_out_indices \(backboneOutIndices) must be layer indices below num_hidden_layers \(numHiddenLayers)")
        }
        try ConfigLimits.check("depth_estimator (\(source))",
                               [("hidden_size", hiddenSize), ("intermediate_size", intermediateSize), ("patch_size", patchSize),
                                ("num_channels", numChannels), ("fusion_hidden_size", fusionHiddenSize),
                                ("image_size height", imageSize.height), ("image_size width", imageSize.width)]
                                + neckHiddenSizes.enumerated().map { ("neck_hidden_sizes[\($0.offset)]", $0.element) },
                               maximum: ConfigLimits.maximumWidth)
        try ConfigLimits.check("depth_estimator (\(source))", [("num_hidden_layers", numHiddenLayers)], maximum: ConfigLimits.maximumDepth)
        // Resizing factors are 1, 2, 4, ... or 1/2, 1/4, ...: bounded so that they convert to kernel sizes and strides.
        for f in reassembleFactors where !(f == 1 || (f > 1 && f <= 64 && f == f.rounded())
                                           || (f < 1 && f >= 1.0 / 64 && (1 / f) == (1 / f).rounded())) {
            throw fail("reassemble factor \(f) must be 1, an integer in 2...64 or 1/n for an integer n in 2...64")
        }
        guard layerNormEps.isFinite, layerNormEps > 0 else { throw fail("layer_norm_eps must be a positive number") }
        guard ["project", "add", "ignore"].contains(readoutType) else { throw fail("unknown readout_type '\(readoutType)'") }
        guard !useBatchNormInFusionResidual else {
            throw ConfigError.unsupported(component: "depth_estimator", field: "use_batch_norm_in_fusion_residual", value: "true",
                                          supported: "false (the DPT-BEiT variant is not implemented)")
        }
        guard (-4..<4).contains(headInIndex) else { throw fail("head_in_index \(headInIndex) out of range") }
        _ = try activation
        if isHybrid {
            guard readoutType == "project" else { throw fail("DPT-Hybrid needs readout_type 'project'") }
            guard let backbone else { throw fail("DPT-Hybrid needs a backbone_config") }
            try backbone.validate(source: source)
            guard let shape = backboneFeatmapShape, shape.count == 4, shape[1] > 0 else {
                throw fail("backbone_featmap_shape must be [1, channels, height, width]")
            }
        }
    }

    /// The ViT MLP activation named by `hidden_act`.
    var activation: UnaryOp {
        get throws {
            switch hiddenAct {
            case "gelu": return .gelu
            case "gelu_new", "gelu_pytorch_tanh", "gelu_fast": return .geluTanh
            case "relu": return .relu
            case "quick_gelu": return .quickGelu
            case "silu", "swish": return .silu
            default:
                throw ConfigError.unsupported(component: "depth_estimator", field: "hidden_act", value: hiddenAct,
                                              supported: "gelu, gelu_new, gelu_pytorch_tanh, gelu_fast, relu, quick_gelu, silu")
            }
        }
    }
}
