/// transformers `DPTReassembleStage`: turns the token sequences `[B, 1 + h·w, D]` of the chosen ViT layers
/// into feature maps. The class token is handled by `readout_type` ("project": `GELU(Linear([token, cls]))`,
/// "add": `token + cls`, "ignore"), then each map goes through its `DPTReassembleLayer`. In DPT-Hybrid
/// the stages in `neck_ignore_stages` (the two BiT maps) pass through unchanged.
struct DPTReassembleStage {
    /// Per stage: the readout projection split into its token and class-token halves (nil when not "project"
    /// or the stage is ignored).
    let readouts: [(token: Tensor, cls: Tensor, bias: Tensor)?]
    let layers: [DPTReassembleLayer?]
    let ignored: Set<Int>
    let readoutType: String
    let readoutActivation: UnaryOp

    init(_ binder: WeightBinder, config: DPTConfig) throws {
        let d = config.hiddenSize
        ignored = config.isHybrid ? Set(config.neckIgnoreStages) : []
        if config.isHybrid && ignored != [0, 1] {
            throw ConfigError.unsupported(component: "depth_estimator", field: "neck_ignore_stages",
                                          value: "\(config.neckIgnoreStages)", supported: "[0, 1] for DPT-Hybrid")
        }
        readoutType = config.readoutType
        readoutActivation = try config.activation
        var readouts = [(token: Tensor, cls: Tensor, bias: Tensor)?]()
        var layers = [DPTReassembleLayer?]()
        let b = binder.backend
        for i in 0..<config.neckHiddenSizes.count {
            if ignored.contains(i) { readouts.append(nil); layers.append(nil); continue }
            if readoutType == "project" {
                // The `nn.Linear(2d, d)` is split, so its weight stays float32 whatever the binder's precision.
                let project = binder.scope("readout_projects").scope(i).scope(0)
                let weight = try project.tensor("weight", shape: [d, 2 * d])
                readouts.append((try b.narrow(weight, axis: 1, start: 0, length: d),
                                 try b.narrow(weight, axis: 1, start: d, length: d),
                                 try project.tensor("bias", shape: [d])))
            } else {
                readouts.append(nil)
            }
            layers.append(try DPTReassembleLayer(binder.scope("layers").scope(i), hiddenSize: d,
                                                 channels: config.neckHiddenSizes[i], factor: config.reassembleFactors[i]))
        }
        self.readouts = readouts; self.layers = layers
    }

    /// `states[i]` is a token sequence, or (ignored stages) a feature map; `grid` is the patch grid.
    func callAsFunction(_ states: [Tensor], grid: (height: Int, width: Int)) throws -> [Tensor] {
        var out = [Tensor]()
        for (i, state) in states.enumerated() {
            if ignored.contains(i) { out.append(state); continue }
            let b = state.backend
            let (n, length, d) = (state.shape[0], state.shape[1], state.shape[2])
            guard length == 1 + grid.height * grid.width else {
                throw PipelineError.invalidImage("hidden state \(i) has \(length) tokens for a \(grid.height)x\(grid.width) grid")
            }
            let cls = try b.narrow(state, axis: 1, start: 0, length: 1)
            var tokens = try b.narrow(state, axis: 1, start: 1, length: length - 1)
            switch readoutType {
            case "project":
                let r = readouts[i]!
                // Linear([token, cls]) = W_token·token + (W_cls·cls + bias), the second term shared by all tokens.
                let shared = try b.linear(cls, weight: r.cls, bias: r.bias)
                tokens = try b.apply(readoutActivation, b.add(b.linear(tokens, weight: r.token, bias: nil), shared))
            case "add":
                tokens = try b.add(tokens, cls)
            default:
                break
            }
            let map = try b.permute(tokens.reshaped([n, grid.height, grid.width, d]), [0, 3, 1, 2])
            out.append(try layers[i]!(map))
        }
        return out
    }
}

/// transformers `DPTReassembleLayer`: a 1x1 projection to the stage's channels, then resizing by
/// `factor`: a transposed convolution (factor > 1), nothing (1) or a 3x3 strided convolution (< 1).
struct DPTReassembleLayer {
    let projection: Conv2d
    let upsample: ConvTranspose2dStrideKernel?
    let downsample: Conv2d?

    init(_ binder: WeightBinder, hiddenSize: Int, channels: Int, factor: Double) throws {
        // DPTConfig.validate allows 1, 2...64 and 1/2...1/64; anything else would not convert to a kernel size or stride.
        guard factor >= 1.0 / 64, factor <= 64 else {
            throw ConfigError.inconsistent(component: "depth_estimator", detail: "reassemble factor \(factor) must be in 1/64...64")
        }
        projection = try Conv2d(binder.scope("projection"), inChannels: hiddenSize, outChannels: channels, kernelSize: 1)
        if factor > 1 {
            upsample = try ConvTranspose2dStrideKernel(binder.scope("resize"), inChannels: channels, outChannels: channels, factor: Int(factor))
            downsample = nil
        } else if factor < 1 {
            upsample = nil
            downsample = try Conv2d(binder.scope("resize"), inChannels: channels, outChannels: channels, kernelSize: 3,
                                    stride: Int(1 / factor), padding: .uniform(1))
        } else {
            upsample = nil; downsample = nil
        }
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        let h = try projection(x)
        if let upsample { return try upsample(h) }
        if let downsample { return try downsample(h) }
        return h
    }
}
