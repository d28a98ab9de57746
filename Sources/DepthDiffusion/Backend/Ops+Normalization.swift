// Tensor-level normalisation and softmax.

extension ComputeBackend {
    /// PyTorch `GroupNorm(groups, C, eps)` on `[N, C, ...]`, optionally fused with SiLU.
    public func groupNorm(_ x: Tensor, groups: Int, gamma: Tensor?, beta: Tensor?, eps: Float,
                          silu: Bool = false) throws -> Tensor {
        try requireOwned("groupNorm", x, gamma, beta)
        guard x.rank >= 2, groups > 0, x.shape[1] % groups == 0 else {
            throw TensorError.shapeMismatch(operation: "groupNorm", detail: "input \(x.shape) with \(groups) groups")
        }
        let c = x.shape[1]
        guard gamma.map({ $0.count == c }) ?? true, beta.map({ $0.count == c }) ?? true else {
            throw TensorError.shapeMismatch(operation: "groupNorm", detail: "affine parameters must have \(c) elements")
        }
        let d = GroupNormDescriptor(batch: x.shape[0], channels: c, spatial: x.shape.dropFirst(2).reduce(1, *),
                                    groups: groups, eps: eps, silu: silu)
        let out = try Tensor(uninitializedShape: x.shape, on: self)
        if out.count > 0 { try groupNorm(d, input: x.buffer, gamma: gamma?.buffer, beta: beta?.buffer, output: out.buffer) }
        return out
    }

    /// PyTorch `LayerNorm(last dimension, eps)`.
    public func layerNorm(_ x: Tensor, gamma: Tensor?, beta: Tensor?, eps: Float) throws -> Tensor {
        try requireOwned("layerNorm", x, gamma, beta)
        guard let cols = x.shape.last, cols > 0, gamma.map({ $0.count == cols }) ?? true,
              beta.map({ $0.count == cols }) ?? true else {
            throw TensorError.shapeMismatch(operation: "layerNorm", detail: "input \(x.shape)")
        }
        let out = try Tensor(uninitializedShape: x.shape, on: self)
        try layerNorm(rows: x.count / cols, cols: cols, eps: eps, input: x.buffer, gamma: gamma?.buffer,
                      beta: beta?.buffer, output: out.buffer)
        return out
    }

    /// Softmax over the last dimension.
    public func softmax(_ x: Tensor) throws -> Tensor {
        try requireOwned("softmax", x)
        guard let cols = x.shape.last, cols > 0 else {
            throw TensorError.shapeMismatch(operation: "softmax", detail: "input \(x.shape)")
        }
        let out = try Tensor(uninitializedShape: x.shape, on: self)
        try softmax(rows: x.count / cols, cols: cols, input: x.buffer, output: out.buffer)
        return out
    }

    /// Weight standardisation per output channel (dimension 0): `(w - mean) / sqrt(var + eps)`.
    public func standardizeWeight(_ w: Tensor, eps: Float) throws -> Tensor {
        try requireOwned("standardizeWeight", w)
        guard w.rank >= 2, w.shape[0] > 0, w.count > 0 else {
            throw TensorError.shapeMismatch(operation: "standardizeWeight", detail: "weight \(w.shape)")
        }
        let out = try Tensor(uninitializedShape: w.shape, on: self)
        try standardize(rows: w.shape[0], cols: w.count / w.shape[0], eps: eps, input: w.buffer, output: out.buffer)
        return out
    }
}
