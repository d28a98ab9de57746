/// The depth model's names in the original layout (MiDaS v3 DPT-Hybrid, `depth_model.model.*`: a timm
/// `vit_base_resnet50_384` under `pretrained.model` and MiDaS's `scratch` decoder) and their transformers
/// `DPTForDepthEstimation` names, following transformers' `convert_dpt_hybrid_to_pytorch.py`.
enum MiDaSDPTKeys {
    static let prefix = "depth_model.model."

    static let blockNames: [(timm: String, transformers: String)] = [
        ("norm1.", "layernorm_before."), ("norm2.", "layernorm_after."), ("attn.proj.", "attention.output.dense."),
        ("mlp.fc1.", "intermediate.dense."), ("mlp.fc2.", "output.dense."),
    ]

    static func rename(_ key: String) -> LDMKeyRename? {
        let k = DottedKey(key)
        if k[0] == "pretrained", k[1] == "model" { return vit(k) }
        if k[0] == "pretrained", k[1].hasPrefix("act_postprocess"), let stage = Int(k[1].dropFirst("act_postprocess".count)),
           (1...4).contains(stage) {
            // act_postprocessN: 0 readout (project: Linear + GELU), 1 transpose, 2 unflatten, 3 1×1 conv, 4 resize.
            switch (k[2], k[3], k[4]) {
            case ("0", "project", "0"): return .rename("neck.reassemble_stage.readout_projects.\(stage - 1).0.\(k.rest(5))")
            case ("3", _, _): return .rename("neck.reassemble_stage.layers.\(stage - 1).projection.\(k.rest(3))")
            case ("4", _, _): return .rename("neck.reassemble_stage.layers.\(stage - 1).resize.\(k.rest(3))")
            default: return nil
            }
        }
        guard k[0] == "scratch" else { return nil }
        if k[1].hasPrefix("layer"), k[1].hasSuffix("_rn"), let n = Int(k[1].dropFirst(5).dropLast(3)), (1...4).contains(n) {
            return .rename("neck.convs.\(n - 1).\(k.rest(2))")
        }
        if k[1].hasPrefix("refinenet"), let n = Int(k[1].dropFirst("refinenet".count)), (1...4).contains(n) {
            // refinenet4 runs first: it is fusion layer 0.
            let layer = "neck.fusion_stage.layers.\(4 - n)."
            if k[2] == "out_conv" { return .rename(layer + "projection." + k.rest(3)) }
            guard let unit = ["resConfUnit1": "residual_layer1", "resConfUnit2": "residual_layer2"][k[2]],
                  let conv = ["conv1": "convolution1", "conv2": "convolution2"][k[3]] else { return nil }
            return .rename("\(layer)\(unit).\(conv).\(k.rest(4))")
        }
        if k[1] == "output_conv", let index = k.int(2) { return .rename("head.head.\(index).\(k.rest(3))") }
        return nil
    }

    /// `pretrained.model.*`: the BiT backbone (`patch_embed.backbone`), patch projection, tokens and blocks.
    private static func vit(_ k: DottedKey) -> LDMKeyRename? {
        switch k[2] {
        case "cls_token": return k.count == 3 ? .rename("dpt.embeddings.cls_token") : nil
        case "pos_embed": return k.count == 3 ? .rename("dpt.embeddings.position_embeddings") : nil
        case "norm": return .rename("dpt.layernorm.\(k.rest(3))")
        case "head": return .ignore // the ImageNet classifier of the timm model
        case "patch_embed":
            if k[3] == "proj" { return .rename("dpt.embeddings.projection.\(k.rest(4))") }
            guard k[3] == "backbone" else { return nil }
            let bit = "dpt.embeddings.backbone.bit."
            if k[4] == "stem" {
                guard let name = ["conv": "convolution", "norm": "norm"][k[5]] else { return nil }
                return .rename("\(bit)embedder.\(name).\(k.rest(6))")
            }
            guard k[4] == "stages", let stage = k.int(5), k[6] == "blocks", let block = k.int(7) else { return nil }
            return .rename("\(bit)encoder.stages.\(stage).layers.\(block).\(k.rest(8))")
        case "blocks":
            guard let layer = k.int(3) else { return nil }
            return .transformerBlock(k.rest(4), target: "dpt.encoder.layer.\(layer).",
                                     fused: ("attn.qkv.weight", "attn.qkv.bias"),
                                     split: ["attention.attention.query", "attention.attention.key", "attention.attention.value"],
                                     names: blockNames)
        default:
            return nil
        }
    }
}
