import Foundation

/// The fields of transformers' `DPTConfig` (`depth_estimator/config.json`) that the depth model uses,
/// with transformers' defaults for absent keys.
public struct DPTConfig: Sendable, Equatable {
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

    /// Reads `config.json`.
    public init(contentsOf url: URL) throws {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw DPTError.invalidConfig("cannot read \(url.path) (\(error.localizedDescription)); point to the depth_estimator folder of the model")
        }
        try self.init(json: data, source: url.lastPathComponent)
    }

    /// Parses the JSON text of `config.json`.
    public init(json data: Data, source: String = "config.json") throws {
        guard let object = try? JSONSerialization.jsonObject(with: data), let dict = object as? [String: Any] else {
            throw DPTError.invalidConfig("\(source) is not a JSON object; re-download it")
        }
        let r = ConfigReader(dict, source: source)
        hiddenSize = try r.int("hidden_size") ?? hiddenSize
        numHiddenLayers = try r.int("num_hidden_layers") ?? numHiddenLayers
        numAttentionHeads = try r.int("num_attention_heads") ?? numAttentionHeads
        intermediateSize = try r.int("intermediate_size") ?? intermediateSize
        hiddenAct = try r.string("hidden_act") ?? hiddenAct
        layerNormEps = try r.double("layer_norm_eps").map(Float.init) ?? layerNormEps
        if let sizes = (try? r.intArray("image_size")) ?? nil, sizes.count == 2 {
            imageSize = (sizes[0], sizes[1])
        } else if let s = try r.int("image_size") {
            imageSize = (s, s)
        }
        patchSize = try r.int("patch_size") ?? patchSize
        numChannels = try r.int("num_channels") ?? numChannels
        isHybrid = try r.bool("is_hybrid") ?? isHybrid
        qkvBias = try r.bool("qkv_bias") ?? qkvBias
        backboneOutIndices = try r.intArray("backbone_out_indices") ?? backboneOutIndices
        readoutType = try r.string("readout_type") ?? readoutType
        reassembleFactors = try r.doubleArray("reassemble_factors") ?? reassembleFactors
        neckHiddenSizes = try r.intArray("neck_hidden_sizes") ?? neckHiddenSizes
        fusionHiddenSize = try r.int("fusion_hidden_size") ?? fusionHiddenSize
        headInIndex = try r.int("head_in_index") ?? headInIndex
        useBatchNormInFusionResidual = try r.bool("use_batch_norm_in_fusion_residual") ?? false
        useBiasInFusionResidual = try r.bool("use_bias_in_fusion_residual")
        addProjection = try r.bool("add_projection") ?? addProjection
        if isHybrid {
            backboneFeatmapShape = try r.intArray("backbone_featmap_shape") ?? backboneFeatmapShape
            neckIgnoreStages = try r.intArray("neck_ignore_stages") ?? neckIgnoreStages
            if let sub = dict["backbone_config"] as? [String: Any] {
                backbone = try BitConfig(dict: sub, source: source + " backbone_config")
            } else {
                backbone = BitConfig.dptHybridDefault
            }
        } else {
            backboneFeatmapShape = nil
            neckIgnoreStages = []
            if dict["backbone_config"] is [String: Any] || dict["backbone"] is String {
                throw DPTError.unsupported("\(source) uses an external backbone (e.g. DINOv2 / Swin); only ViT DPT and DPT-Hybrid (BiT) are implemented")
            }
        }
        try validate(source: source)
    }

    /// Checks the values the model relies on.
    public func validate(source: String = "config.json") throws {
        func fail(_ s: String) -> DPTError { .invalidConfig("\(source): \(s)") }
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
        for f in reassembleFactors where !(f == 1 || (f > 1 && f == f.rounded()) || (f < 1 && f > 0 && (1 / f) == (1 / f).rounded())) {
            throw fail("reassemble factor \(f) must be 1, an integer > 1 or 1/integer")
        }
        guard ["project", "add", "ignore"].contains(readoutType) else { throw fail("unknown readout_type '\(readoutType)'") }
        guard !useBatchNormInFusionResidual else {
            throw DPTError.unsupported("use_batch_norm_in_fusion_residual (DPT-BEiT style) is not implemented")
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
            default: throw DPTError.unsupported("hidden_act '\(hiddenAct)'")
            }
        }
    }
}

/// The fields of transformers' `BitConfig` used by DPT-Hybrid's backbone.
public struct BitConfig: Sendable, Equatable {
    public var numChannels = 3
    public var embeddingSize = 64
    public var hiddenSizes = [256, 512, 1024, 2048]
    public var depths = [3, 4, 6, 3]
    public var layerType = "preactivation"
    public var hiddenAct = "relu"
    /// `"SAME"`, `"VALID"` or `nil` (PyTorch-style symmetric padding).
    public var globalPadding: String? = nil
    public var numGroups = 32
    public var embeddingDynamicPadding = false
    public var outputStride = 32
    public var widthFactor = 1
    /// Stage names whose outputs the backbone returns (`stem`, `stage1`, ...).
    public var outFeatures: [String] = []

    public init() {}

    /// BiT as DPTConfig builds it when `backbone_config` is absent.
    public static var dptHybridDefault: BitConfig {
        var c = BitConfig()
        c.globalPadding = "SAME"; c.layerType = "bottleneck"; c.depths = [3, 4, 9]
        c.outFeatures = ["stage1", "stage2", "stage3"]; c.embeddingDynamicPadding = true
        return c
    }

    init(dict: [String: Any], source: String) throws {
        self = BitConfig.dptHybridDefault
        let r = ConfigReader(dict, source: source)
        numChannels = try r.int("num_channels") ?? numChannels
        embeddingSize = try r.int("embedding_size") ?? embeddingSize
        hiddenSizes = try r.intArray("hidden_sizes") ?? hiddenSizes
        depths = try r.intArray("depths") ?? depths
        layerType = try r.string("layer_type") ?? layerType
        hiddenAct = try r.string("hidden_act") ?? hiddenAct
        if dict.keys.contains("global_padding") { globalPadding = try r.string("global_padding")?.uppercased() }
        numGroups = try r.int("num_groups") ?? numGroups
        embeddingDynamicPadding = try r.bool("embedding_dynamic_padding") ?? embeddingDynamicPadding
        outputStride = try r.int("output_stride") ?? outputStride
        widthFactor = try r.int("width_factor") ?? widthFactor
        if let names = try r.stringArray("out_features") {
            outFeatures = names
        } else if let indices = try r.intArray("out_indices") {
            outFeatures = indices.map { $0 == 0 ? "stem" : "stage\($0)" }
        }
    }

    /// `stem`, `stage1`, ... `stageN`.
    public var stageNames: [String] { ["stem"] + (1...max(depths.count, 1)).map { "stage\($0)" } }

    func validate(source: String) throws {
        guard layerType == "bottleneck" else {
            throw DPTError.unsupported("BiT layer_type '\(layerType)' (only the 'bottleneck' layers of DPT-Hybrid are implemented)")
        }
        guard hiddenAct == "relu" else { throw DPTError.unsupported("BiT hidden_act '\(hiddenAct)'") }
        guard !depths.isEmpty, hiddenSizes.count >= depths.count, depths.allSatisfy({ $0 > 0 }),
              embeddingSize > 0, numGroups > 0, widthFactor > 0 else {
            throw DPTError.invalidConfig("\(source): depths and hidden_sizes must be positive, with a hidden size per stage")
        }
        guard outFeatures.count == 3, outFeatures.allSatisfy({ stageNames.contains($0) }) else {
            throw DPTError.invalidConfig("\(source): DPT-Hybrid needs 3 out_features among \(stageNames), got \(outFeatures)")
        }
        if let p = globalPadding, !["SAME", "VALID"].contains(p) {
            throw DPTError.invalidConfig("\(source): global_padding '\(p)' must be SAME, VALID or null")
        }
    }
}

/// Typed access to a JSON dictionary; a key of the wrong type is an error, `null` counts as absent.
struct ConfigReader {
    let dict: [String: Any]
    let source: String
    init(_ dict: [String: Any], source: String) { self.dict = dict; self.source = source }

    private func value(_ key: String) -> Any? {
        guard let v = dict[key], !(v is NSNull) else { return nil }
        return v
    }
    private func wrong(_ key: String, _ type: String) -> DPTError {
        .invalidConfig("\(source): '\(key)' must be \(type), found \(String(describing: dict[key]!))")
    }
    func int(_ key: String) throws -> Int? {
        guard let v = value(key) else { return nil }
        if let n = v as? NSNumber, let i = Int(exactly: n.doubleValue) { return i }
        throw wrong(key, "an integer")
    }
    func double(_ key: String) throws -> Double? {
        guard let v = value(key) else { return nil }
        if let n = v as? NSNumber { return n.doubleValue }
        throw wrong(key, "a number")
    }
    func bool(_ key: String) throws -> Bool? {
        guard let v = value(key) else { return nil }
        if let b = v as? Bool { return b }
        throw wrong(key, "true or false")
    }
    func string(_ key: String) throws -> String? {
        guard let v = value(key) else { return nil }
        if let s = v as? String { return s }
        throw wrong(key, "a string")
    }
    func intArray(_ key: String) throws -> [Int]? {
        guard let v = value(key) else { return nil }
        if let a = v as? [NSNumber] {
            let ints = a.compactMap { Int(exactly: $0.doubleValue) }
            if ints.count == a.count { return ints }
        }
        throw wrong(key, "a list of integers")
    }
    func doubleArray(_ key: String) throws -> [Double]? {
        guard let v = value(key) else { return nil }
        if let a = v as? [NSNumber] { return a.map { $0.doubleValue } }
        throw wrong(key, "a list of numbers")
    }
    func stringArray(_ key: String) throws -> [String]? {
        guard let v = value(key) else { return nil }
        if let a = v as? [String] { return a }
        throw wrong(key, "a list of strings")
    }
}
