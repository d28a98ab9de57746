import Foundation

/// The fields of diffusers' `UNet2DConditionModel` `config.json` that this implementation uses, with diffusers'
/// defaults. Every other field must hold the value that the Stable Diffusion UNets use; anything else is
/// rejected with ``ConfigError``.
///
/// `Codable` with the coding keys of the fields that `config.json` holds as they are (the per-block lists and
/// `cross_attention_dim`, which have other forms there, are left out); ``init(contentsOf:)`` reads a whole file
/// with defaults and checks.
public struct UNet2DConditionConfig: Codable, ModelConfigFile, Equatable, Sendable {
    public var inChannels = 4
    public var outChannels = 4
    public var blockOutChannels = [320, 640, 1280, 1280]
    public var layersPerBlock = 2
    public var downBlockTypes = ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"]
    public var upBlockTypes = ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"]
    /// Attention heads per down block (the mid block uses the last, up blocks the list reversed).
    ///
    /// diffusers reads these from `num_attention_heads`, or — for every released Stable Diffusion config — from
    /// `attention_head_dim`, which despite its name is the number of heads (`num_attention_heads = num_attention_heads
    /// or attention_head_dim`); head size is `channels / heads`.
    public var attentionHeads = [8, 8, 8, 8]
    /// Transformer blocks per `Transformer2DModel`, per down block.
    public var transformerLayersPerBlock = [1, 1, 1, 1]
    public var crossAttentionDim = 1280
    public var useLinearProjection = false
    /// Only changes the precision of fp16 attention in diffusers; float32 attention is unaffected.
    public var upcastAttention = false
    public var flipSinToCos = true
    public var freqShift = 0
    public var normNumGroups = 32
    public var normEps: Float = 1e-5
    public var midBlockScaleFactor: Float = 1
    public var downsamplePadding = 1

    enum CodingKeys: CodingKey {
        case inChannels, outChannels, blockOutChannels, layersPerBlock, downBlockTypes, upBlockTypes, useLinearProjection
        case upcastAttention, flipSinToCos, freqShift, normNumGroups, normEps, midBlockScaleFactor, downsamplePadding
    }

    public init() {}

    /// stabilityai/stable-diffusion-2-depth `unet/config.json` (865.9 M parameters).
    public static var sd2Depth: UNet2DConditionConfig {
        var c = UNet2DConditionConfig()
        c.inChannels = 5
        c.attentionHeads = [5, 10, 20, 20]
        c.crossAttentionDim = 1024
        c.useLinearProjection = true
        return c
    }

    /// Reads `config.json` (or the `config.json` inside a component folder).
    public init(contentsOf url: URL) throws {
        self = try Self.read(url)
    }

    /// Decodes the JSON text of a `config.json`.
    public init(jsonData: Data) throws {
        self = try Self.read(jsonData, file: "unet config.json")
    }

    /// The time embedding width (`block_out_channels[0] * 4`).
    public var timeEmbedDim: Int { blockOutChannels[0] * 4 }

    /// Number of x2 upsamplers (= downsamplers).
    public var upsampleCount: Int { blockOutChannels.count - 1 }

    /// Checks the structural invariants that the model builder relies on.
    public func validate() throws {
        let n = blockOutChannels.count
        func inconsistent(_ s: String) -> ConfigError { .inconsistent(component: "unet", detail: s) }
        guard n >= 1, downBlockTypes.count == n, upBlockTypes.count == n else {
            throw inconsistent("block_out_channels, down_block_types and up_block_types must have the same length")
        }
        guard attentionHeads.count == n, transformerLayersPerBlock.count == n else {
            throw inconsistent("per-block lists (attention heads, transformer layers) need \(n) entries")
        }
        guard layersPerBlock >= 1, inChannels >= 1, outChannels >= 1, crossAttentionDim >= 1, normNumGroups >= 1 else {
            throw inconsistent("sizes must be positive")
        }
        try ConfigLimits.check("unet", [("in_channels", inChannels), ("out_channels", outChannels),
                                        ("cross_attention_dim", crossAttentionDim), ("norm_num_groups", normNumGroups)]
                                       + blockOutChannels.enumerated().map { ("block_out_channels[\($0.offset)]", $0.element) },
                               maximum: ConfigLimits.maximumWidth)
        try ConfigLimits.check("unet", [("the number of blocks", n), ("layers_per_block", layersPerBlock)]
                                       + transformerLayersPerBlock.enumerated().map { ("transformer_layers_per_block[\($0.offset)]", $0.element) },
                               maximum: ConfigLimits.maximumDepth)
        guard (0...16).contains(downsamplePadding) else { throw inconsistent("downsample_padding \(downsamplePadding) must be in 0...16") }
        guard normEps.isFinite, normEps > 0, midBlockScaleFactor.isFinite else {
            throw inconsistent("norm_eps must be a positive number and mid_block_scale_factor a finite one")
        }
        for (i, c) in blockOutChannels.enumerated() {
            guard c > 0, c % normNumGroups == 0 else { throw inconsistent("block_out_channels[\(i)] = \(c) is not a multiple of norm_num_groups \(normNumGroups)") }
            guard attentionHeads[i] > 0, c % attentionHeads[i] == 0, transformerLayersPerBlock[i] >= 1 else {
                throw inconsistent("block \(i): \(c) channels cannot be split into \(attentionHeads[i]) heads")
            }
        }
        let down = ["CrossAttnDownBlock2D", "DownBlock2D"], up = ["CrossAttnUpBlock2D", "UpBlock2D"]
        for t in downBlockTypes where !down.contains(t) {
            throw ConfigError.unsupported(component: "unet", field: "down_block_types", value: t, supported: down.joined(separator: ", "))
        }
        for t in upBlockTypes where !up.contains(t) {
            throw ConfigError.unsupported(component: "unet", field: "up_block_types", value: t, supported: up.joined(separator: ", "))
        }
    }

    /// The fields with other forms in `config.json`, and those that must hold the Stable Diffusion UNets' values.
    struct Extras: ModelConfigExtras {
        var midBlockType: String?
        var attentionHeadDim: IntOrList?, numAttentionHeads: IntOrList?, transformerLayersPerBlock: IntOrList?
        var crossAttentionDim: IntOrList?, actFn: String?, timeEmbeddingType: String?
        var classEmbedType: String?, additionEmbedType: String?, centerInputSample: Bool?
        var resnetTimeScaleShift: String?, dualCrossAttention: Bool?, convInKernel: Int?, convOutKernel: Int?
        var timeCondProjDim: Int?, encoderHidDim: Int?, timeEmbeddingDim: Int?, resnetOutScaleFactor: Float?
        var attentionType: String?, onlyCrossAttention: BoolOrList?, numClassEmbeds: Int?, timestepPostAct: String?
        var timeEmbeddingActFn: String?, reverseTransformerLayersPerBlock: [[Int]]?
        var midBlockOnlyCrossAttention: Bool?, resnetSkipTimeAct: Bool?, crossAttentionNorm: String?

        struct BoolOrList: Decodable {
            var anyTrue: Bool
            init(from decoder: Decoder) throws {
                let c = try decoder.singleValueContainer()
                if let b = try? c.decode(Bool.self) { anyTrue = b } else { anyTrue = try c.decode([Bool].self).contains(true) }
            }
        }

        /// Checks the fields and completes `plain`, the fields read as they are.
        func completed(_ plain: UNet2DConditionConfig) throws -> UNet2DConditionConfig {
            func require<T: Equatable>(_ field: String, _ value: T?, _ allowed: T?, _ label: String) throws {
                if let value, value != allowed {
                    throw ConfigError.unsupported(component: "unet", field: field, value: "\(value)", supported: label)
                }
            }
            try require("act_fn", actFn, "silu", "silu")
            try require("time_embedding_type", timeEmbeddingType, "positional", "positional")
            try require("class_embed_type", classEmbedType, nil, "null")
            try require("addition_embed_type", additionEmbedType, nil, "null")
            try require("num_class_embeds", numClassEmbeds, nil, "null")
            try require("center_input_sample", centerInputSample, false, "false")
            try require("resnet_time_scale_shift", resnetTimeScaleShift, "default", "default")
            try require("dual_cross_attention", dualCrossAttention, false, "false")
            try require("only_cross_attention", onlyCrossAttention?.anyTrue, false, "false")
            try require("mid_block_only_cross_attention", midBlockOnlyCrossAttention, false, "null or false")
            try require("conv_in_kernel", convInKernel, 3, "3")
            try require("conv_out_kernel", convOutKernel, 3, "3")
            try require("time_cond_proj_dim", timeCondProjDim, nil, "null")
            try require("encoder_hid_dim", encoderHidDim, nil, "null")
            try require("time_embedding_dim", timeEmbeddingDim, nil, "null")
            try require("timestep_post_act", timestepPostAct, nil, "null")
            try require("time_embedding_act_fn", timeEmbeddingActFn, nil, "null")
            try require("resnet_out_scale_factor", resnetOutScaleFactor, 1, "1.0")
            try require("resnet_skip_time_act", resnetSkipTimeAct, false, "false")
            try require("cross_attention_norm", crossAttentionNorm, nil, "null")
            try require("attention_type", attentionType, "default", "default")
            try require("mid_block_type", midBlockType, "UNetMidBlock2DCrossAttn", "UNetMidBlock2DCrossAttn")
            if reverseTransformerLayersPerBlock != nil {
                throw ConfigError.unsupported(component: "unet", field: "reverse_transformer_layers_per_block",
                                                       value: "a list", supported: "null")
            }
            if numAttentionHeads != nil {
                // diffusers itself refuses num_attention_heads for UNet2DConditionModel.
                throw ConfigError.unsupported(component: "unet", field: "num_attention_heads", value: "set",
                                                       supported: "null (heads come from attention_head_dim)")
            }
            var c = plain
            let n = c.blockOutChannels.count
            c.attentionHeads = try (attentionHeadDim ?? IntOrList([8], isList: false)).perBlock(n, component: "unet", field: "attention_head_dim")
            c.transformerLayersPerBlock = try (transformerLayersPerBlock ?? IntOrList([1], isList: false))
                .perBlock(n, component: "unet", field: "transformer_layers_per_block")
            if let v = crossAttentionDim {
                guard !v.isList else {
                    throw ConfigError.unsupported(component: "unet", field: "cross_attention_dim", value: "\(v.values)", supported: "one integer")
                }
                c.crossAttentionDim = v.values[0]
            }
            try c.validate()
            return c
        }
    }
}
