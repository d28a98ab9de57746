/// transformers `WeightStandardizedConv2d` (BiT): a bias-free convolution whose kernel is standardised per
/// output channel, `(w - mean) / sqrt(var + eps)` with the biased variance (`batch_norm` in training mode
/// on the weight), with BiT's padding rule.
///
/// The kernel does not depend on the input, so it is standardised once when the layer is built.
struct WeightStandardizedConv2d {
    let weight: Tensor
    let stride: Int
    let padding: BitPadding

    init(_ binder: WeightBinder, inChannels: Int, outChannels: Int, kernelSize: Int, stride: Int = 1,
         eps: Float = 1e-8, globalPadding: String?) throws {
        let raw = try binder.tensor("weight", shape: [outChannels, inChannels, kernelSize, kernelSize])
        let rows = try raw.reshaped([outChannels, -1])
        weight = try binder.backend.layerNorm(rows, gamma: nil, beta: nil, eps: eps).reshaped(raw.shape)
        self.stride = stride
        padding = BitPadding(globalPadding: globalPadding, kernel: kernelSize, stride: stride)
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        try x.backend.conv2d(x, weight: weight, bias: nil, stride: (stride, stride),
                             padding: padding.padding(height: x.shape[2], width: x.shape[3]))
    }
}

/// transformers `BitGroupNormActivation`: `GroupNorm(num_groups, C, eps=1e-5)` optionally followed by ReLU.
struct BitGroupNormActivation {
    let norm: GroupNorm
    let applyActivation: Bool

    init(_ binder: WeightBinder, config: BitConfig, channels: Int, applyActivation: Bool = true) throws {
        guard channels % config.numGroups == 0 else {
            throw ConfigError.inconsistent(component: "depth_estimator", detail: "BiT num_groups \(config.numGroups) does not divide \(channels) channels")
        }
        norm = try GroupNorm(binder, groups: config.numGroups, channels: channels, eps: 1e-5)
        self.applyActivation = applyActivation
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        let y = try norm(x)
        return applyActivation ? try x.backend.apply(.relu, y) : y
    }
}
