/// The VAE's names in the original layout (`first_stage_model.*`) and their diffusers names, as diffusers'
/// `convert_ldm_vae_checkpoint` maps them.
///
/// `encoder.down.N` is `encoder.down_blocks.N`; the decoder counts its levels the other way
/// (`decoder.up.N` is `decoder.up_blocks.(levels − 1 − N)`); `block` is `resnets`, `nin_shortcut` is
/// `conv_shortcut`, `mid.block_1/2` are `mid_block.resnets.0/1`, and the mid-block attention's 1×1
/// convolutions `q`, `k`, `v`, `proj_out` become the linear layers `to_q`, `to_k`, `to_v`, `to_out.0`.
enum LDMVAEKeys {
    static let prefix = "first_stage_model."

    static func rename(_ key: String, config: AutoencoderKLConfig) -> LDMKeyRename? {
        let k = DottedKey(key)
        let levels = config.blockOutChannels.count
        switch k[0] {
        case "quant_conv", "post_quant_conv": return .rename(key)
        case "encoder", "decoder": break
        default: return nil
        }
        let side = k[0]
        switch k[1] {
        case "conv_in", "conv_out": return .rename(key)
        case "norm_out": return .rename("\(side).conv_norm_out.\(k.rest(2))")
        case "down" where side == "encoder", "up" where side == "decoder":
            guard let level = k.int(2), level < levels else { return nil }
            let block = side == "encoder" ? "down_blocks.\(level)" : "up_blocks.\(levels - 1 - level)"
            switch k[3] {
            case "block":
                guard let layer = k.int(4) else { return nil }
                let rest = k[5] == "nin_shortcut" ? "conv_shortcut." + k.rest(6) : k.rest(5)
                return .rename("\(side).\(block).resnets.\(layer).\(rest)")
            case "downsample" where side == "encoder", "upsample" where side == "decoder":
                return .rename("\(side).\(block).\(side == "encoder" ? "downsamplers" : "upsamplers").0.\(k.rest(4))")
            default: return nil
            }
        case "mid":
            switch k[2] {
            case "block_1": return .rename("\(side).mid_block.resnets.0.\(k.rest(3))")
            case "block_2": return .rename("\(side).mid_block.resnets.1.\(k.rest(3))")
            case "attn_1":
                let names = ["norm": "group_norm", "q": "to_q", "k": "to_k", "v": "to_v", "proj_out": "to_out.0"]
                guard let name = names[k[3]] else { return nil }
                let target = "\(side).mid_block.attentions.0.\(name).\(k.rest(4))"
                return k[3] != "norm" && k[4] == "weight" ? .squeeze(target) : .rename(target)
            default: return nil
            }
        default:
            return nil
        }
    }
}
