// Tensor-level attention.

extension ComputeBackend {
    /// Multi-head scaled-dot-product attention on token-major tensors.
    ///
    /// `q` is `[batch, queryLength, heads * headDim]`, `k` and `v` are `[batch, keyLength, heads * headDim]`;
    /// the result has the shape of `q`. `scale` defaults to `1/sqrt(headDim)`. `bf16Products` lets a backend with
    /// bf16 arithmetic multiply in bf16 (see ``AttentionDescriptor/bf16Products``).
    public func attention(q: Tensor, k: Tensor, v: Tensor, heads: Int, scale: Float? = nil,
                          causal: Bool = false, bf16Products: Bool = false) throws -> Tensor {
        try requireOwned("attention", q, k, v)
        guard q.rank == 3, k.rank == 3, v.shape == k.shape, q.shape[0] == k.shape[0], q.shape[2] == k.shape[2],
              heads > 0, q.shape[2] % heads == 0 else {
            throw TensorError.shapeMismatch(operation: "attention", detail: "q \(q.shape), k \(k.shape), v \(v.shape), \(heads) heads")
        }
        let d = AttentionDescriptor(batch: q.shape[0], heads: heads, queryLength: q.shape[1], keyLength: k.shape[1],
                                    headDim: q.shape[2] / heads, scale: scale, causal: causal,
                                    bf16Products: bf16Products)
        let out = try Tensor(uninitializedShape: q.shape, on: self)
        if out.count > 0 && d.keyLength > 0 { try attention(d, q: q.buffer, k: k.buffer, v: v.buffer, output: out.buffer) }
        return out
    }
}
