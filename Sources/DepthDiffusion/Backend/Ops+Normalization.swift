// Tensor-level normalisation.

extension ComputeBackend {
    /// PyTorch `GroupNorm(groups, C, eps)` on `[N, C, ...]`, optionally followed by SiLU.
    ///
    /// With `silu`, a backend that claims ``BackendCapability/groupNormSiLU`` runs both in one kernel;
    /// any other backend runs ``groupNorm(_:input:gamma:beta:output:)`` and then SiLU.
    public func groupNorm(_ x: Tensor, groups: Int, gamma: Tensor?, beta: Tensor?, eps: Float,
                          silu: Bool = false) throws -> Tensor {
        try requireOwned("groupNorm", x, gamma, beta)
        let d = try groupNormDescriptor(x, groups: groups, gamma: gamma, beta: beta, eps: eps)
        let out = try Tensor(uninitializedShape: x.shape, on: self)
        guard out.count > 0 else { return out }
        if silu && supports(.groupNormSiLU) {
            try groupNormSiLU(d, input: x.buffer, gamma: gamma?.buffer, beta: beta?.buffer, output: out.buffer)
            return out
        }
        try groupNorm(d, input: x.buffer, gamma: gamma?.buffer, beta: beta?.buffer, output: out.buffer)
        return silu ? try apply(.silu, out) : out
    }

    /// Checks a group normalisation of `x` and describes it.
    func groupNormDescriptor(_ x: Tensor, groups: Int, gamma: Tensor?, beta: Tensor?, eps: Float) throws -> GroupNormDescriptor {
        guard x.rank >= 2, groups > 0, x.shape[1] % groups == 0 else {
            throw TensorError.shapeMismatch(operation: "groupNorm", detail: "input \(x.shape) with \(groups) groups")
        }
        let c = x.shape[1]
        guard gamma.map({ $0.count == c }) ?? true, beta.map({ $0.count == c }) ?? true else {
            throw TensorError.shapeMismatch(operation: "groupNorm", detail: "affine parameters must have \(c) elements")
        }
        return GroupNormDescriptor(batch: x.shape[0], channels: c, spatial: x.shape.dropFirst(2).reduce(1, *),
                                   groups: groups, eps: eps)
    }

    /// PyTorch `LayerNorm(last dimension, eps)`; without `gamma` and `beta` each row is standardised
    /// to zero mean and unit (biased) variance.
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
}
