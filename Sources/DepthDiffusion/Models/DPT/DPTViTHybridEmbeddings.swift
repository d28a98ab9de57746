/// transformers `DPTViTHybridEmbeddings`: the BiT backbone, a 1x1 projection of its last map to tokens,
/// the class token and (resized) position embeddings. Also returns the first two BiT maps for the neck.
struct DPTViTHybridEmbeddings {
    let backbone: BitBackbone
    let projection: Conv2d
    let clsToken: Tensor
    let positionEmbeddings: DPTPositionEmbeddings
    let patchSize: Int

    init(_ binder: WeightBinder, config: DPTConfig) throws {
        guard let bit = config.backbone, let featmap = config.backboneFeatmapShape else {
            throw ConfigError.inconsistent(component: "depth_estimator", detail: "DPT-Hybrid needs backbone_config and backbone_featmap_shape")
        }
        backbone = try BitBackbone(binder.scope("backbone"), config: bit)
        guard backbone.outChannels.count == 3 else {
            throw ConfigError.inconsistent(component: "depth_estimator", detail: "the BiT backbone must return 3 feature maps, got \(backbone.outChannels.count)")
        }
        let featureDim = featmap[1]
        guard featureDim == backbone.outChannels[2] else {
            throw ConfigError.inconsistent(component: "depth_estimator", detail: "backbone_featmap_shape has \(featureDim) channels but the last BiT stage has \(backbone.outChannels[2])")
        }
        let d = config.hiddenSize
        projection = try Conv2d(binder.scope("projection"), inChannels: featureDim, outChannels: d, kernelSize: 1)
        clsToken = try binder.tensor("cls_token", shape: [1, 1, d])
        let patches = (config.imageSize.height / config.patchSize) * (config.imageSize.width / config.patchSize)
        positionEmbeddings = try DPTPositionEmbeddings(table: binder.tensor("position_embeddings", shape: [1, patches + 1, d]))
        patchSize = config.patchSize
    }

    /// Tokens `[B, 1 + h·w, D]` and the BiT maps of the first two out features.
    func callAsFunction(_ pixelValues: Tensor) throws -> (tokens: Tensor, residualMaps: [Tensor]) {
        let (h, w) = (pixelValues.shape[2] / patchSize, pixelValues.shape[3] / patchSize)
        let maps = try backbone(pixelValues)
        let features = maps[2]
        guard features.shape[2] == h, features.shape[3] == w else {
            throw PipelineError.invalidImage("the BiT features are \(features.shape[2])x\(features.shape[3]) but the patch grid is \(h)x\(w); use an input size that is a multiple of \(patchSize)")
        }
        let tokens = try dptTokens(fromMap: projection(features))
        let embedded = try dptAddClassToken(tokens, cls: clsToken, positions: positionEmbeddings.resized(height: h, width: w))
        return (embedded, [maps[0], maps[1]])
    }
}
