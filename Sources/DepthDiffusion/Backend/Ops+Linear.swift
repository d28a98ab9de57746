// Tensor-level matrix products: validation and output allocation over ``ComputeBackend/gemm``.

extension ComputeBackend {
    /// Checks that every tensor lives on this backend and holds float32 elements.
    func requireOwned(_ op: String, _ tensors: Tensor?...) throws {
        for case let t? in tensors {
            guard t.backend === self else { throw TensorError.backendMismatch(operation: op) }
            guard t.storage == .fp32 else {
                throw TensorError.invalidArgument(operation: op,
                    detail: "a \(t.storage.rawValue) tensor \(t.shape); 16-bit tensors are weights for linear and conv2d only")
            }
        }
    }

    /// Checks the weight of a linear or convolution layer: on this backend, float32 or (when the backend
    /// claims ``BackendCapability/weights16``) 16-bit.
    func requireWeight(_ op: String, _ weight: Tensor) throws {
        guard weight.backend === self else { throw TensorError.backendMismatch(operation: op) }
        guard weight.storage == .fp32 || supports(.weights16) else {
            throw TensorError.unsupported(operation: BackendCapability.weights16.rawValue, backend: name)
        }
    }

    /// Batched matrix product of `[..., m, k]` and `[..., k, n]` (either side may be a plain matrix,
    /// which is then shared by the whole batch). Transposes swap the last two axes of an operand.
    public func matmul(_ a: Tensor, _ b: Tensor, transposeA: Bool = false, transposeB: Bool = false,
                       alpha: Float = 1) throws -> Tensor {
        try requireOwned("matmul", a, b)
        guard a.rank >= 2, b.rank >= 2 else {
            throw TensorError.shapeMismatch(operation: "matmul", detail: "operands need rank ≥ 2, got \(a.shape) and \(b.shape)")
        }
        let (ar, ac) = (a.shape[a.rank - 2], a.shape[a.rank - 1])
        let (br, bc) = (b.shape[b.rank - 2], b.shape[b.rank - 1])
        let (m, k) = transposeA ? (ac, ar) : (ar, ac)
        let (k2, n) = transposeB ? (bc, br) : (br, bc)
        let aBatch = Array(a.shape.dropLast(2)), bBatch = Array(b.shape.dropLast(2))
        guard k == k2, aBatch.isEmpty || bBatch.isEmpty || aBatch == bBatch else {
            throw TensorError.shapeMismatch(operation: "matmul",
                detail: "\(a.shape)\(transposeA ? "ᵀ" : "") x \(b.shape)\(transposeB ? "ᵀ" : "")")
        }
        let batchShape = aBatch.isEmpty ? bBatch : aBatch
        let batch = batchShape.reduce(1, *)
        let out = try Tensor(uninitializedShape: batchShape + [m, n], on: self)
        let d = GEMMDescriptor(batch: batch, m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB,
                               broadcastA: aBatch.isEmpty, broadcastB: bBatch.isEmpty, alpha: alpha)
        if out.count > 0 { try gemm(d, a: a.buffer, b: b.buffer, bias: nil, c: out.buffer) }
        return out
    }

    /// A PyTorch `nn.Linear`: `x [..., in] · weightᵀ + bias`, with `weight` shaped `[out, in]`, optionally
    /// followed by `activation` and then the addition of `residual` (shaped like the output):
    /// `activation(x · weightᵀ + bias) + residual`.
    ///
    /// A backend that claims ``BackendCapability/gemmEpilogue`` applies the activation and the residual
    /// inside its GEMM; any other backend runs them as separate elementwise kernels. A 16-bit `weight`
    /// (``Tensor/storage``) runs on ``ComputeBackend/linear16(_:x:weight:bias:output:)``.
    public func linear(_ x: Tensor, weight: Tensor, bias: Tensor?, activation: UnaryOp? = nil,
                       residual: Tensor? = nil) throws -> Tensor {
        try requireOwned("linear", x, bias, residual)
        try requireWeight("linear", weight)
        guard weight.rank == 2, let inFeatures = x.shape.last, inFeatures == weight.shape[1] else {
            throw TensorError.shapeMismatch(operation: "linear", detail: "input \(x.shape), weight \(weight.shape)")
        }
        let outFeatures = weight.shape[0]
        if let bias, bias.count != outFeatures {
            throw TensorError.shapeMismatch(operation: "linear", detail: "bias \(bias.shape) for \(outFeatures) outputs")
        }
        let outShape = Array(x.shape.dropLast()) + [outFeatures]
        if let residual, residual.shape != outShape {
            throw TensorError.shapeMismatch(operation: "linear", detail: "residual \(residual.shape) for output \(outShape)")
        }
        let rows = x.count / max(inFeatures, 1)
        let out = try Tensor(uninitializedShape: outShape, on: self)
        guard out.count > 0 else { return out }
        let d = GEMMDescriptor(m: rows, n: outFeatures, k: inFeatures, transposeB: true,
                               bias: bias == nil ? .none : .perColumn)
        if weight.storage != .fp32 {
            try linear16(d, x: x.buffer, weight: weight.buffer, bias: bias?.buffer, output: out.buffer)
            let activated = try activation.map { try apply($0, out) } ?? out
            return try residual.map { try add(activated, $0) } ?? activated
        }
        let fused = (activation != nil || residual != nil) && supports(.gemmEpilogue)
        if fused {
            try gemm(d, a: x.buffer, b: weight.buffer, bias: bias?.buffer, activation: activation,
                     residual: residual?.buffer, c: out.buffer)
            return out
        }
        try gemm(d, a: x.buffer, b: weight.buffer, bias: bias?.buffer, c: out.buffer)
        let activated = try activation.map { try apply($0, out) } ?? out
        return try residual.map { try add(activated, $0) } ?? activated
    }

    /// A linear layer at every position of a channel-major map: `x` `[B, in, *spatial]` to tokens
    /// `[B, L, out]` (`L` the product of the spatial sizes), the value of
    /// `linear(permute(x.reshaped([B, in, L]), [0, 2, 1]), weight:bias:)` without the permuted copy: the product
    /// reads `x` transposed. A 16-bit `weight` takes that permute-then-linear path.
    public func linear(channelMajor x: Tensor, weight: Tensor, bias: Tensor?) throws -> Tensor {
        try requireOwned("linear", x, bias)
        try requireWeight("linear", weight)
        guard x.rank >= 2, weight.rank == 2, x.shape[1] == weight.shape[1], bias.map({ $0.count == weight.shape[0] }) ?? true else {
            throw TensorError.shapeMismatch(operation: "linear",
                detail: "channel-major input \(x.shape), weight \(weight.shape), bias \(bias?.shape ?? [])")
        }
        let (batch, inFeatures, outFeatures) = (x.shape[0], x.shape[1], weight.shape[0])
        let length = x.shape.dropFirst(2).reduce(1, *)
        if weight.storage != .fp32 {
            return try linear(permute(x.reshaped([batch, inFeatures, length]), [0, 2, 1]), weight: weight, bias: bias)
        }
        let out = try Tensor(uninitializedShape: [batch, length, outFeatures], on: self)
        guard out.count > 0 else { return out }
        // Per image, [L, in] (stored [in, L]) x [in, out] (stored [out, in]).
        let d = GEMMDescriptor(batch: batch, m: length, n: outFeatures, k: inFeatures, transposeA: true, transposeB: true,
                               broadcastB: true, bias: bias == nil ? .none : .perColumn)
        try gemm(d, a: x.buffer, b: weight.buffer, bias: bias?.buffer, c: out.buffer)
        return out
    }

    /// A linear layer from tokens `[B, L, in]` back to a channel-major `[B, out, L]`, plus `residual` (with the
    /// output's elements, e.g. `[B, out, H, W]` with `H·W = L`) when given: the value of
    /// `add(permute(linear(x, weight:bias:), [0, 2, 1]), residual)` without the permuted copy. The residual is
    /// added inside the product on a backend with ``BackendCapability/gemmEpilogue``. A 16-bit `weight` takes
    /// the linear-then-permute path.
    public func linearToChannelMajor(_ x: Tensor, weight: Tensor, bias: Tensor?, adding residual: Tensor? = nil) throws -> Tensor {
        try requireOwned("linear", x, bias, residual)
        try requireWeight("linear", weight)
        guard x.rank == 3, weight.rank == 2, x.shape[2] == weight.shape[1], bias.map({ $0.count == weight.shape[0] }) ?? true,
              residual.map({ $0.count == x.shape[0] * weight.shape[0] * x.shape[1] && $0.shape.first == x.shape[0] }) ?? true else {
            throw TensorError.shapeMismatch(operation: "linear",
                detail: "tokens \(x.shape), weight \(weight.shape), bias \(bias?.shape ?? []), residual \(residual?.shape ?? [])")
        }
        let (batch, length, inFeatures, outFeatures) = (x.shape[0], x.shape[1], x.shape[2], weight.shape[0])
        let flatResidual = try residual?.reshaped([batch, outFeatures, length])
        if weight.storage != .fp32 {
            let out = try permute(linear(x, weight: weight, bias: bias), [0, 2, 1])
            return try flatResidual.map { try add(out, $0) } ?? out
        }
        let out = try Tensor(uninitializedShape: [batch, outFeatures, length], on: self)
        guard out.count > 0 else { return out }
        // Per image, [out, in] x [in, L] (stored [L, in]).
        let d = GEMMDescriptor(batch: batch, m: outFeatures, n: length, k: inFeatures, transposeB: true, broadcastA: true,
                               bias: bias == nil ? .none : .perRow)
        if let flatResidual, supports(.gemmEpilogue) {
            try gemm(d, a: weight.buffer, b: x.buffer, bias: bias?.buffer, activation: nil, residual: flatResidual.buffer,
                     c: out.buffer)
            return out
        }
        try gemm(d, a: weight.buffer, b: x.buffer, bias: bias?.buffer, c: out.buffer)
        return try flatResidual.map { try add(out, $0) } ?? out
    }
}
