// Tensor-level elementwise operations with NumPy broadcasting.

extension ComputeBackend {
    /// Applies an activation elementwise.
    public func apply(_ op: UnaryOp, _ x: Tensor) throws -> Tensor {
        try requireOwned(op.rawValue, x)
        let out = try Tensor(uninitializedShape: x.shape, on: self)
        if x.count > 0 { try unary(op, count: x.count, input: x.buffer, output: out.buffer) }
        return out
    }

    /// diffusers `GEGLU` after its projection: splits the last dimension in halves `(h, gate)` and returns `h * gelu(gate)`.
    ///
    /// A backend that claims ``BackendCapability/geglu`` runs it as one kernel; any other backend
    /// splits the halves, applies ``UnaryOp/gelu`` and multiplies.
    public func geglu(_ x: Tensor) throws -> Tensor {
        try requireOwned("geglu", x)
        guard let last = x.shape.last, last % 2 == 0, last > 0 else {
            throw TensorError.shapeMismatch(operation: "geglu", detail: "last dimension of \(x.shape) must be even")
        }
        guard supports(.geglu) else {
            let halves = try chunk(x, 2, axis: x.rank - 1)
            return try mul(halves[0], apply(.gelu, halves[1]))
        }
        let out = try Tensor(uninitializedShape: Array(x.shape.dropLast()) + [last / 2], on: self)
        try geglu(rows: x.count / last, cols: last / 2, input: x.buffer, output: out.buffer)
        return out
    }

    /// `scale * x + shift`.
    public func affine(_ x: Tensor, scale: Float, shift: Float = 0) throws -> Tensor {
        try requireOwned("affine", x)
        let out = try Tensor(uninitializedShape: x.shape, on: self)
        if x.count > 0 { try affine(count: x.count, scale: scale, shift: shift, input: x.buffer, output: out.buffer) }
        return out
    }

    /// Elementwise `a ⊕ b` with NumPy/PyTorch broadcasting (shapes aligned at the trailing dimension).
    public func binary(_ op: BinaryOp, _ a: Tensor, _ b: Tensor) throws -> Tensor {
        try requireOwned(op.rawValue, a, b)
        let rank = max(a.rank, b.rank)
        let aShape = [Int](repeating: 1, count: rank - a.rank) + a.shape
        let bShape = [Int](repeating: 1, count: rank - b.rank) + b.shape
        var shape = [Int]()
        for (x, y) in zip(aShape, bShape) {
            guard x == y || x == 1 || y == 1 else {
                throw TensorError.shapeMismatch(operation: op.rawValue, detail: "cannot broadcast \(a.shape) with \(b.shape)")
            }
            shape.append(x == 1 ? y : x)
        }
        let out = try Tensor(uninitializedShape: shape, on: self)
        if out.count == 0 { return out }
        // Broadcast strides, then merge dimensions that are contiguous in all three operands.
        let aStr = zip(aShape, contiguousStrides(aShape)).map { $0 == 1 ? 0 : $1 }
        let bStr = zip(bShape, contiguousStrides(bShape)).map { $0 == 1 ? 0 : $1 }
        var dims: [(n: Int, a: Int, b: Int)] = []
        for i in 0..<rank where shape[i] != 1 {
            if let last = dims.last, last.a == aStr[i] * shape[i], last.b == bStr[i] * shape[i] {
                dims[dims.count - 1] = (last.n * shape[i], aStr[i], bStr[i])
            } else {
                dims.append((shape[i], aStr[i], bStr[i]))
            }
        }
        if dims.isEmpty { dims = [(1, 0, 0)] }
        guard dims.count <= BinaryDescriptor.maxRank else {
            throw TensorError.invalidArgument(operation: op.rawValue, detail: "broadcast of rank \(dims.count) > \(BinaryDescriptor.maxRank)")
        }
        let d = BinaryDescriptor(shape: dims.map(\.n), aStrides: dims.map(\.a), bStrides: dims.map(\.b))
        try binary(op, d, a: a.buffer, b: b.buffer, output: out.buffer)
        return out
    }

    /// `a + b` with broadcasting.
    public func add(_ a: Tensor, _ b: Tensor) throws -> Tensor { try binary(.add, a, b) }
    /// `a * b` with broadcasting.
    public func mul(_ a: Tensor, _ b: Tensor) throws -> Tensor { try binary(.mul, a, b) }
    /// `a - b` with broadcasting.
    public func sub(_ a: Tensor, _ b: Tensor) throws -> Tensor { try binary(.sub, a, b) }
}
