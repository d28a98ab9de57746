/// transformers `DPTDepthEstimationHead`: optional `projection` (3x3, 256 channels, + ReLU), then
/// `head.0` 3x3 conv to half the channels, x2 bilinear upsampling (align_corners true), `head.2` 3x3 conv
/// to 32 channels, ReLU, `head.4` 1x1 conv to 1 channel, ReLU. Returns `[B, H, W]`.
struct DPTDepthEstimationHead {
    let projection: Conv2d?
    let conv0: Conv2d, conv2: Conv2d, conv4: Conv2d
    let headInIndex: Int

    init(_ binder: WeightBinder, config: DPTConfig) throws {
        let f = config.fusionHiddenSize
        if config.addProjection {
            guard f == 256 else { throw ConfigError.inconsistent(component: "depth_estimator", detail: "add_projection needs fusion_hidden_size 256 (transformers hard-codes it)") }
            projection = try Conv2d(binder.scope("projection"), inChannels: 256, outChannels: 256, kernelSize: 3, padding: .uniform(1))
        } else {
            projection = nil
        }
        let head = binder.scope("head")
        conv0 = try Conv2d(head.scope(0), inChannels: f, outChannels: f / 2, kernelSize: 3, padding: .uniform(1))
        conv2 = try Conv2d(head.scope(2), inChannels: f / 2, outChannels: 32, kernelSize: 3, padding: .uniform(1))
        conv4 = try Conv2d(head.scope(4), inChannels: 32, outChannels: 1, kernelSize: 1)
        headInIndex = config.headInIndex
    }

    func callAsFunction(_ fused: [Tensor]) throws -> Tensor {
        var h = fused[headInIndex < 0 ? fused.count + headInIndex : headInIndex]
        let b = h.backend
        if let projection { h = try b.apply(.relu, projection(h)) }
        h = try conv0(h)
        h = try b.resize(h, height: h.shape[2] * 2, width: h.shape[3] * 2, mode: .bilinear(alignCorners: true))
        h = try b.apply(.relu, conv2(h))
        h = try b.apply(.relu, conv4(h))
        return try h.reshaped([h.shape[0], h.shape[2], h.shape[3]])
    }
}
