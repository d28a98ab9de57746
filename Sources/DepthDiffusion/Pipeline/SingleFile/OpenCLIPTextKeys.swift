/// The text encoder's names in the original layout (OpenCLIP ViT-H, `cond_stage_model.model.*`) and their
/// transformers `CLIPTextModel` names, as diffusers' `convert_open_clip_checkpoint` maps them.
///
/// Stable Diffusion 2 conditions on the penultimate transformer block with the final layer norm applied, so
/// the model has one layer fewer than the file (23 of ViT-H's 24): blocks from `num_hidden_layers` on are
/// ignored, as are the projection to the joint image-text space (`text_projection`, `logit_scale`). Each
/// block's fused `attn.in_proj_weight`/`in_proj_bias` is split into query, key and value.
enum OpenCLIPTextKeys {
    static let prefix = "cond_stage_model.model."

    static let blockNames: [(openCLIP: String, transformers: String)] = [
        ("ln_1.", "layer_norm1."), ("ln_2.", "layer_norm2."), ("attn.out_proj.", "self_attn.out_proj."),
        ("mlp.c_fc.", "mlp.fc1."), ("mlp.c_proj.", "mlp.fc2."),
    ]

    static func rename(_ key: String, config: CLIPTextConfig) -> LDMKeyRename? {
        switch key {
        case "token_embedding.weight": return .rename("embeddings.token_embedding.weight")
        case "positional_embedding": return .rename("embeddings.position_embedding.weight")
        case "ln_final.weight", "ln_final.bias": return .rename("final_layer_norm." + key.dropFirst("ln_final.".count))
        case "text_projection", "logit_scale", "attn_mask": return .ignore
        default: break
        }
        let k = DottedKey(key)
        guard k[0] == "transformer", k[1] == "resblocks", let layer = k.int(2) else { return nil }
        guard layer < config.numHiddenLayers else { return .ignore }
        return .transformerBlock(k.rest(3), target: "encoder.layers.\(layer).",
                                 fused: ("attn.in_proj_weight", "attn.in_proj_bias"),
                                 split: ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj"], names: blockNames)
    }
}
