/// transformers `DPTFeatureFusionStage`: fuses the neck maps from the coarsest to the finest; each
/// `DPTFeatureFusionLayer` returns a map twice the size of its input.
struct DPTFeatureFusionStage {
    let layers: [DPTFeatureFusionLayer]

    init(_ binder: WeightBinder, config: DPTConfig) throws {
        let useBias = config.useBiasInFusionResidual ?? !config.useBatchNormInFusionResidual
        layers = try (0..<config.neckHiddenSizes.count).map {
            try DPTFeatureFusionLayer(binder.scope("layers").scope($0), channels: config.fusionHiddenSize, bias: useBias)
        }
    }

    /// All fused maps, coarsest first.
    func callAsFunction(_ maps: [Tensor]) throws -> [Tensor] {
        var fused = [Tensor]()
        for (map, layer) in zip(maps.reversed(), layers) {
            fused.append(try layer(fused.last ?? map, residual: fused.isEmpty ? nil : map))
        }
        return fused
    }
}

/// transformers `DPTFeatureFusionLayer`: `h + residual_layer1(residual)` (the residual bilinearly resized,
/// align_corners false, when its size differs), `residual_layer2`, x2 bilinear upsampling with
/// align_corners **true**, and a 1x1 projection.
struct DPTFeatureFusionLayer {
    let projection: Conv2d
    let residualLayer1: DPTPreActResidualLayer
    let residualLayer2: DPTPreActResidualLayer

    init(_ binder: WeightBinder, channels: Int, bias: Bool) throws {
        projection = try Conv2d(binder.scope("projection"), inChannels: channels, outChannels: channels, kernelSize: 1)
        residualLayer1 = try DPTPreActResidualLayer(binder.scope("residual_layer1"), channels: channels, bias: bias)
        residualLayer2 = try DPTPreActResidualLayer(binder.scope("residual_layer2"), channels: channels, bias: bias)
    }

    func callAsFunction(_ x: Tensor, residual: Tensor? = nil) throws -> Tensor {
        let b = x.backend
        var h = x
        if var residual {
            if residual.shape != h.shape {
                residual = try b.resize(residual, height: h.shape[2], width: h.shape[3], mode: .bilinear(alignCorners: false))
            }
            h = try b.add(h, residualLayer1(residual))
        }
        h = try residualLayer2(h)
        h = try b.resize(h, height: h.shape[2] * 2, width: h.shape[3] * 2, mode: .bilinear(alignCorners: true))
        return try projection(h)
    }
}

/// transformers `DPTPreActResidualLayer` (MiDaS `ResidualConvUnit`): `x + conv2(relu(conv1(relu(x))))`.
struct DPTPreActResidualLayer {
    let convolution1: Conv2d
    let convolution2: Conv2d

    init(_ binder: WeightBinder, channels: Int, bias: Bool) throws {
        convolution1 = try Conv2d(binder.scope("convolution1"), inChannels: channels, outChannels: channels, kernelSize: 3, padding: .uniform(1), bias: bias)
        convolution2 = try Conv2d(binder.scope("convolution2"), inChannels: channels, outChannels: channels, kernelSize: 3, padding: .uniform(1), bias: bias)
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        let b = x.backend
        let h = try convolution2(b.apply(.relu, convolution1(b.apply(.relu, x))))
        return try b.add(h, x)
    }
}
