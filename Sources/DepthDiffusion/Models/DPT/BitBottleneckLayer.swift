/// transformers `BitBottleneckLayer` (non-pre-activation, ResNet v1.5 style), used by DPT-Hybrid:
/// 1x1 → GN+ReLU → 3x3 (stride) → GN+ReLU → 1x1 → GN, plus the shortcut (a `BitDownsampleConv` on the
/// first layer of a stage), then ReLU of the sum.
struct BitBottleneckLayer {
    let downsample: BitDownsampleConv?
    let conv1: WeightStandardizedConv2d, norm1: BitGroupNormActivation
    let conv2: WeightStandardizedConv2d, norm2: BitGroupNormActivation
    let conv3: WeightStandardizedConv2d, norm3: BitGroupNormActivation

    init(_ binder: WeightBinder, config: BitConfig, inChannels: Int, outChannels: Int, stride: Int, isFirstLayer: Bool) throws {
        let mid = bitMakeDivisible(Double(outChannels) * 0.25)
        let pad = config.globalPadding
        downsample = isFirstLayer
            ? try BitDownsampleConv(binder.scope("downsample"), config: config, inChannels: inChannels, outChannels: outChannels, stride: stride)
            : nil
        conv1 = try WeightStandardizedConv2d(binder.scope("conv1"), inChannels: inChannels, outChannels: mid, kernelSize: 1, globalPadding: pad)
        norm1 = try BitGroupNormActivation(binder.scope("norm1"), config: config, channels: mid)
        conv2 = try WeightStandardizedConv2d(binder.scope("conv2"), inChannels: mid, outChannels: mid, kernelSize: 3, stride: stride, globalPadding: pad)
        norm2 = try BitGroupNormActivation(binder.scope("norm2"), config: config, channels: mid)
        conv3 = try WeightStandardizedConv2d(binder.scope("conv3"), inChannels: mid, outChannels: outChannels, kernelSize: 1, globalPadding: pad)
        norm3 = try BitGroupNormActivation(binder.scope("norm3"), config: config, channels: outChannels, applyActivation: false)
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        let shortcut = try downsample.map { try $0(x) } ?? x
        var h = try norm1(conv1(x))
        h = try norm2(conv2(h))
        h = try norm3(conv3(h))
        return try x.backend.apply(.relu, x.backend.add(h, shortcut))
    }
}

/// transformers `BitDownsampleConv` with `preact=False`: a 1x1 weight-standardised conv and GroupNorm.
struct BitDownsampleConv {
    let conv: WeightStandardizedConv2d
    let norm: BitGroupNormActivation

    init(_ binder: WeightBinder, config: BitConfig, inChannels: Int, outChannels: Int, stride: Int) throws {
        conv = try WeightStandardizedConv2d(binder.scope("conv"), inChannels: inChannels, outChannels: outChannels,
                                            kernelSize: 1, stride: stride, globalPadding: config.globalPadding)
        norm = try BitGroupNormActivation(binder.scope("norm"), config: config, channels: outChannels, applyActivation: false)
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor { try norm(conv(x)) }
}

/// transformers `make_div(value, 8)`: rounds channel counts to a multiple of 8, never below 90 %.
func bitMakeDivisible(_ value: Double, divisor: Int = 8) -> Int {
    var v = max(divisor, Int(value + Double(divisor) / 2) / divisor * divisor)
    if Double(v) < 0.9 * value { v += divisor }
    return v
}
