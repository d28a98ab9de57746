import Foundation

/// The fields of transformers' `BitConfig` used by DPT-Hybrid's backbone.
///
/// `Codable` with the coding keys of the fields that `backbone_config` holds as they are (`global_padding`, whose
/// `null` differs from an absent key, and the output stages are left out).
public struct BitConfig: Codable, Sendable, Equatable {
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

    enum CodingKeys: CodingKey {
        case numChannels, embeddingSize, hiddenSizes, depths, layerType, hiddenAct, numGroups, embeddingDynamicPadding
        case outputStride, widthFactor
    }

    public init() {}

    /// BiT as DPTConfig builds it when `backbone_config` is absent.
    public static var dptHybridDefault: BitConfig {
        var c = BitConfig()
        c.globalPadding = "SAME"; c.layerType = "bottleneck"; c.depths = [3, 4, 9]
        c.outFeatures = ["stage1", "stage2", "stage3"]; c.embeddingDynamicPadding = true
        return c
    }

    /// Reads the `backbone_config` object of a DPT-Hybrid `config.json`; absent fields keep ``dptHybridDefault``.
    init(backboneConfig object: [String: JSONValue], file: String) throws {
        let file = "\(file) (backbone_config)"
        let raw = try ConfigFile.decode(Raw.self, data: JSONEncoder().encode(object), file: file)
        self = raw.config(try ConfigFile.decode(object, over: BitConfig.dptHybridDefault, file: file))
    }

    /// The fields of `backbone_config` that need conversion.
    private struct Raw: Decodable {
        var globalPadding: String??, outFeatures: [String]?, outIndices: [Int]?

        enum CodingKeys: CodingKey { case globalPadding, outFeatures, outIndices }

        init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            // `global_padding: null` (symmetric padding) differs from an absent key (the hybrid default SAME).
            if c.contains(.globalPadding) { globalPadding = .some(try c.decodeIfPresent(String.self, forKey: .globalPadding)) }
            outFeatures = try c.decodeIfPresent([String].self, forKey: .outFeatures)
            outIndices = try c.decodeIfPresent([Int].self, forKey: .outIndices)
        }

        /// Completes `plain`, the fields read as they are; absent ones keep ``BitConfig/dptHybridDefault``.
        func config(_ plain: BitConfig) -> BitConfig {
            var c = plain
            let defaults = BitConfig.dptHybridDefault
            c.globalPadding = globalPadding.map { $0?.uppercased() } ?? defaults.globalPadding
            c.outFeatures = outFeatures ?? outIndices?.map { $0 == 0 ? "stem" : "stage\($0)" } ?? defaults.outFeatures
            return c
        }
    }

    /// `stem`, `stage1`, ... `stageN`.
    public var stageNames: [String] { ["stem"] + (1...max(depths.count, 1)).map { "stage\($0)" } }

    func validate(source: String) throws {
        guard layerType == "bottleneck" else {
            throw ConfigError.unsupported(component: "depth_estimator backbone_config", field: "layer_type", value: layerType,
                                          supported: "bottleneck (the layers of DPT-Hybrid)")
        }
        guard hiddenAct == "relu" else {
            throw ConfigError.unsupported(component: "depth_estimator backbone_config", field: "hidden_act", value: hiddenAct, supported: "relu")
        }
        guard !depths.isEmpty, hiddenSizes.count >= depths.count, depths.allSatisfy({ $0 > 0 }),
              embeddingSize > 0, numGroups > 0, widthFactor > 0 else {
            throw ConfigError.inconsistent(component: "depth_estimator backbone_config (\(source))", detail: "depths and hidden_sizes must be positive, with a hidden size per stage")
        }
        try ConfigLimits.check("depth_estimator backbone_config (\(source))",
                               [("embedding_size", embeddingSize), ("num_channels", numChannels)]
                                + hiddenSizes.enumerated().map { ("hidden_sizes[\($0.offset)]", $0.element) },
                               maximum: ConfigLimits.maximumWidth)
        try ConfigLimits.check("depth_estimator backbone_config (\(source))",
                               depths.enumerated().map { ("depths[\($0.offset)]", $0.element) } + [("the number of stages", depths.count)],
                               maximum: ConfigLimits.maximumDepth)
        guard outFeatures.count == 3, outFeatures.allSatisfy({ stageNames.contains($0) }) else {
            throw ConfigError.inconsistent(component: "depth_estimator backbone_config (\(source))", detail: "DPT-Hybrid needs 3 out_features among \(stageNames), got \(outFeatures)")
        }
        if let p = globalPadding, !["SAME", "VALID"].contains(p) {
            throw ConfigError.inconsistent(component: "depth_estimator backbone_config (\(source))", detail: "global_padding '\(p)' must be SAME, VALID or null")
        }
    }
}
