// Tensor-level embeddings and reductions.

extension ComputeBackend {
    /// Looks up rows of a `[vocabulary, dim]` table (PyTorch `nn.Embedding`); the result is `[ids.count, dim]`.
    ///
    /// A 16-bit table (``BackendCapability/weights16``) is widened to float32 for the lookup
    /// (``widen16(_:output:)``, a temporary copy of the table) and read as the float32 values of its 16-bit ones.
    public func embedding(_ table: Tensor, ids: [Int32]) throws -> Tensor {
        guard table.rank == 2 else {
            throw TensorError.shapeMismatch(operation: "embedding", detail: "table \(table.shape) must be [vocabulary, dim]")
        }
        if table.storage != .fp32 {
            try requireWeight("embedding", table)
            let wide = try Tensor(uninitializedShape: table.shape, on: self)
            if wide.count > 0 { try widen16(table.buffer, output: wide.buffer) }
            return try embedding(wide, ids: ids)
        }
        try requireOwned("embedding", table)
        if let bad = ids.first(where: { $0 < 0 || Int($0) >= table.shape[0] }) {
            throw TensorError.invalidArgument(operation: "embedding", detail: "id \(bad) outside 0..<\(table.shape[0])")
        }
        let out = try Tensor(uninitializedShape: [ids.count, table.shape[1]], on: self)
        if out.count > 0 { try gather(table: table.buffer, dim: table.shape[1], ids: ids, output: out.buffer) }
        return out
    }

    /// diffusers `get_timestep_embedding` for each timestep: `[timesteps.count, d.dim]`.
    public func timestepEmbedding(_ timesteps: [Float], _ d: TimestepEmbeddingDescriptor) throws -> Tensor {
        guard d.dim >= 2, Float(d.dim / 2) != d.downscaleFreqShift else {
            throw TensorError.invalidArgument(operation: "timestepEmbedding", detail: "dim \(d.dim), shift \(d.downscaleFreqShift)")
        }
        let out = try Tensor(uninitializedShape: [timesteps.count, d.dim], on: self)
        if out.count > 0 { try timestepEmbedding(d, timesteps: timesteps, output: out.buffer) }
        return out
    }

    /// Minimum and maximum over the trailing `x.rank - leadingAxes` dimensions, per leading index.
    public func minMax(_ x: Tensor, leadingAxes: Int = 1) throws -> (min: [Float], max: [Float]) {
        try requireOwned("minMax", x)
        guard leadingAxes >= 0, leadingAxes < x.rank, x.count > 0 else {
            throw TensorError.invalidArgument(operation: "minMax", detail: "\(leadingAxes) leading axes of \(x.shape)")
        }
        let rows = x.shape[..<leadingAxes].reduce(1, *)
        let lo = try Tensor(uninitializedShape: [rows], on: self), hi = try Tensor(uninitializedShape: [rows], on: self)
        try minMax(rows: rows, cols: x.count / rows, input: x.buffer, min: lo.buffer, max: hi.buffer)
        return (try lo.toArray(), try hi.toArray())
    }
}
