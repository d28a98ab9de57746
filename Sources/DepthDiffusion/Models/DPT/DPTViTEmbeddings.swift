/// transformers `DPTViTEmbeddings` (plain DPT, e.g. `Intel/dpt-large`): a patch-size strided convolution
/// (`patch_embeddings.projection`), the class token and position embeddings resized to the patch grid.
struct DPTViTEmbeddings {
    let projection: Conv2d
    let clsToken: Tensor
    let positionEmbeddings: DPTPositionEmbeddings

    init(_ binder: WeightBinder, config: DPTConfig) throws {
        let d = config.hiddenSize, p = config.patchSize
        projection = try Conv2d(binder.scope("patch_embeddings").scope("projection"), inChannels: config.numChannels,
                                outChannels: d, kernelSize: p, stride: p)
        clsToken = try binder.tensor("cls_token", shape: [1, 1, d])
        let patches = (config.imageSize.height / p) * (config.imageSize.width / p)
        positionEmbeddings = try DPTPositionEmbeddings(table: binder.tensor("position_embeddings", shape: [1, patches + 1, d]))
    }

    func callAsFunction(_ pixelValues: Tensor) throws -> Tensor {
        // The projection's kernel and stride are the patch size.
        let (h, w) = (pixelValues.shape[2] / projection.stride, pixelValues.shape[3] / projection.stride)
        let tokens = try dptTokens(fromMap: projection(pixelValues))
        return try dptAddClassToken(tokens, cls: clsToken, positions: positionEmbeddings.resized(height: h, width: w))
    }
}
