/// The UNet's names in the original layout (`model.diffusion_model.*`) and their diffusers names, as
/// diffusers' `convert_ldm_unet_checkpoint` maps them.
///
/// The LDM UNet numbers its blocks flatly: `input_blocks.0` is `conv_in`; then each down block has
/// `layers_per_block` entries `[resnet, attention?]` and, except the last, one downsampler (`.0.op`);
/// `middle_block` is resnet, attention, resnet; each up block has `layers_per_block + 1` entries
/// `[resnet, attention?, upsampler?]` (the upsampler is `.1` without attention, `.2` with it).
enum LDMUNetKeys {
    static let prefix = "model.diffusion_model."

    /// LDM resnet sub-module names → diffusers `ResnetBlock2D` names.
    static let resnetNames: [(ldm: String, diffusers: String)] = [
        ("in_layers.0.", "norm1."), ("in_layers.2.", "conv1."), ("emb_layers.1.", "time_emb_proj."),
        ("out_layers.0.", "norm2."), ("out_layers.3.", "conv2."), ("skip_connection.", "conv_shortcut."),
    ]

    /// The diffusers name of `key` (without the prefix), or `nil` for a key this layout does not have.
    static func rename(_ key: String, config: UNet2DConditionConfig) -> LDMKeyRename? {
        let k = DottedKey(key)
        let perBlock = config.layersPerBlock
        let blocks = config.blockOutChannels.count
        switch k[0] {
        case "time_embed":
            guard let layer = ["0": "linear_1", "2": "linear_2"][k[1]] else { return nil }
            return .rename("time_embedding.\(layer).\(k.rest(2))")
        case "out":
            guard let layer = ["0": "conv_norm_out", "2": "conv_out"][k[1]] else { return nil }
            return .rename("\(layer).\(k.rest(2))")
        case "input_blocks":
            guard let index = k.int(1), let sub = k.int(2) else { return nil }
            if index == 0 { return sub == 0 ? .rename("conv_in.\(k.rest(3))") : nil }
            let (block, layer) = ((index - 1) / (perBlock + 1), (index - 1) % (perBlock + 1))
            guard block < blocks else { return nil }
            if layer == perBlock {
                guard sub == 0, k[3] == "op" else { return nil }
                return .rename("down_blocks.\(block).downsamplers.0.conv.\(k.rest(4))")
            }
            switch sub {
            case 0: return resnet("down_blocks.\(block).resnets.\(layer).", k.rest(3))
            case 1: return .rename("down_blocks.\(block).attentions.\(layer).\(k.rest(3))")
            default: return nil
            }
        case "middle_block":
            switch k.int(1) {
            case 0: return resnet("mid_block.resnets.0.", k.rest(2))
            case 1: return .rename("mid_block.attentions.0.\(k.rest(2))")
            case 2: return resnet("mid_block.resnets.1.", k.rest(2))
            default: return nil
            }
        case "output_blocks":
            guard let index = k.int(1), let sub = k.int(2) else { return nil }
            let (block, layer) = (index / (perBlock + 1), index % (perBlock + 1))
            guard block < blocks else { return nil }
            let hasAttention = config.upBlockTypes[block] == "CrossAttnUpBlock2D"
            switch sub {
            case 0: return resnet("up_blocks.\(block).resnets.\(layer).", k.rest(3))
            case 1 where hasAttention: return .rename("up_blocks.\(block).attentions.\(layer).\(k.rest(3))")
            case 1, 2: return .rename("up_blocks.\(block).upsamplers.0.\(k.rest(3))")
            default: return nil
            }
        default:
            return nil
        }
    }

    private static func resnet(_ target: String, _ rest: String) -> LDMKeyRename? {
        for (ldm, diffusers) in resnetNames where rest.hasPrefix(ldm) {
            return .rename(target + diffusers + rest.dropFirst(ldm.count))
        }
        return nil
    }
}
