/// transformers `BitEmbeddings` (the BiT stem): 7x7/2 weight-standardised conv, GroupNorm + ReLU, and a
/// 3x3/2 max-pool with TF "SAME" dynamic padding (pad value 0) when `embedding_dynamic_padding` is set.
struct BitEmbeddings {
    let convolution: WeightStandardizedConv2d
    let norm: BitGroupNormActivation
    /// `nn.ConstantPad2d(1)` after the conv when the global padding is not SAME.
    let padAfterConv: Bool
    let dynamicPoolPadding: Bool

    init(_ binder: WeightBinder, config: BitConfig) throws {
        convolution = try WeightStandardizedConv2d(binder.scope("convolution"), inChannels: config.numChannels,
                                                   outChannels: config.embeddingSize, kernelSize: 7, stride: 2,
                                                   eps: 1e-8, globalPadding: config.globalPadding)
        norm = try BitGroupNormActivation(binder.scope("norm"), config: config, channels: config.embeddingSize)
        padAfterConv = config.globalPadding?.uppercased() != "SAME"
        dynamicPoolPadding = config.embeddingDynamicPadding
    }

    func callAsFunction(_ pixelValues: Tensor) throws -> Tensor {
        let backend = pixelValues.backend
        var x = try convolution(pixelValues)
        if padAfterConv { x = try zeroPad(x, 1) }
        x = try norm(x)
        let pad = dynamicPoolPadding ? BitPadding.dynamic(kernel: 3, stride: 2).padding(height: x.shape[2], width: x.shape[3]) : .zero
        return try backend.maxPool2d(x, kernel: (3, 3), stride: (2, 2), padding: pad, padValue: 0)
    }

    /// Zero padding of `p` on every side of an NCHW tensor, composed from concatenations.
    private func zeroPad(_ x: Tensor, _ p: Int) throws -> Tensor {
        let b = x.backend
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let cols = try Tensor(shape: [n, c, h, p], repeating: 0, on: b)
        let wide = try b.concat([cols, x, cols], axis: 3)
        let rows = try Tensor(shape: [n, c, p, w + 2 * p], repeating: 0, on: b)
        return try b.concat([rows, wide, rows], axis: 2)
    }
}
