/// transformers `BitStage`: `depth` bottleneck layers, the first with the stage's stride and shortcut conv.
struct BitStage {
    let layers: [BitBottleneckLayer]

    init(_ binder: WeightBinder, config: BitConfig, inChannels: Int, outChannels: Int, stride: Int, depth: Int) throws {
        var layers = [BitBottleneckLayer]()
        var channels = inChannels
        for i in 0..<depth {
            layers.append(try BitBottleneckLayer(binder.scope("layers").scope(i), config: config, inChannels: channels,
                                                 outChannels: outChannels, stride: i == 0 ? stride : 1, isFirstLayer: i == 0))
            channels = outChannels
        }
        self.layers = layers
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        try layers.reduce(x) { try $1($0) }
    }
}

/// transformers `BitBackbone` (`bit.embedder`, `bit.encoder.stages.*`) returning the maps of `out_features`.
///
/// Stage 0 keeps the stem's resolution (stride 4); later stages halve it. Dilated stages (an
/// `output_stride` reached before the last stage) are not supported.
struct BitBackbone {
    let embedder: BitEmbeddings
    let stages: [BitStage]
    /// Indices into `[stem, stage1, ...]` of the returned maps.
    let outIndices: [Int]
    /// Channels of each returned map.
    let outChannels: [Int]

    init(_ binder: WeightBinder, config: BitConfig) throws {
        let bit = binder.scope("bit")
        embedder = try BitEmbeddings(bit.scope("embedder"), config: config)
        var stages = [BitStage]()
        var channels = config.embeddingSize
        var currentStride = 4
        var stageChannels = [config.embeddingSize]
        for (i, depth) in config.depths.enumerated() {
            let out = bitMakeDivisible(Double(config.hiddenSizes[i] * config.widthFactor))
            let stride = i == 0 ? 1 : 2
            if currentStride >= config.outputStride && stride > 1 {
                throw ConfigError.unsupported(component: "depth_estimator backbone_config", field: "output_stride",
                                              value: "\(config.outputStride)", supported: "32 (smaller strides need dilated convolutions)")
            }
            stages.append(try BitStage(bit.scope("encoder").scope("stages").scope(i), config: config, inChannels: channels,
                                       outChannels: out, stride: stride, depth: depth))
            channels = out
            currentStride *= stride
            stageChannels.append(out)
        }
        self.stages = stages
        let names = config.stageNames
        outIndices = config.outFeatures.compactMap { names.firstIndex(of: $0) }
        outChannels = outIndices.map { stageChannels[$0] }
    }

    /// The feature maps of `out_features`, in order.
    func callAsFunction(_ pixelValues: Tensor) throws -> [Tensor] {
        var states = [try embedder(pixelValues)]
        for stage in stages { states.append(try stage(states[states.count - 1])) }
        return outIndices.map { states[$0] }
    }
}
