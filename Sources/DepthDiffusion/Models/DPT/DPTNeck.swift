/// transformers `DPTNeck`: the reassemble stage, a 3x3 conv (no bias) per map to `fusion_hidden_size`
/// channels (`convs.i`), and the fusion stage.
struct DPTNeck {
    let reassembleStage: DPTReassembleStage
    let convs: [Conv2d]
    let fusionStage: DPTFeatureFusionStage

    init(_ binder: WeightBinder, config: DPTConfig) throws {
        reassembleStage = try DPTReassembleStage(binder.scope("reassemble_stage"), config: config)
        convs = try config.neckHiddenSizes.enumerated().map { i, c in
            try Conv2d(binder.scope("convs").scope(i), inChannels: c, outChannels: config.fusionHiddenSize,
                       kernelSize: 3, padding: .uniform(1), bias: false)
        }
        fusionStage = try DPTFeatureFusionStage(binder.scope("fusion_stage"), config: config)
    }

    func callAsFunction(_ states: [Tensor], grid: (height: Int, width: Int)) throws -> [Tensor] {
        guard states.count == convs.count else {
            throw ConfigError.inconsistent(component: "depth_estimator", detail: "the neck needs \(convs.count) hidden states, got \(states.count); check backbone_out_indices")
        }
        let maps = try reassembleStage(states, grid: grid)
        return try fusionStage(zip(maps, convs).map { try $1($0) })
    }
}
