// Tensor-level layout operations built on ``ComputeBackend/copy(_:from:to:)``.

extension ComputeBackend {
    /// Reorders axes: `result.shape[i] = x.shape[axes[i]]` (PyTorch `permute`, materialised).
    public func permute(_ x: Tensor, _ axes: [Int]) throws -> Tensor {
        try requireOwned("permute", x)
        guard axes.sorted() == Array(0..<x.rank), x.rank <= BinaryDescriptor.maxRank else {
            throw TensorError.invalidArgument(operation: "permute", detail: "axes \(axes) for shape \(x.shape)")
        }
        let strides = contiguousStrides(x.shape)
        let shape = axes.map { x.shape[$0] }
        let out = try Tensor(uninitializedShape: shape, on: self)
        if out.count > 0 {
            try copy(CopyDescriptor(shape: shape, srcStrides: axes.map { strides[$0] }, dstStrides: contiguousStrides(shape)),
                     from: x.buffer, to: out.buffer)
        }
        return out
    }

    /// Joins tensors along `axis`; all other dimensions must agree.
    public func concat(_ parts: [Tensor], axis: Int) throws -> Tensor {
        guard let first = parts.first, axis >= 0, axis < first.rank else {
            throw TensorError.invalidArgument(operation: "concat", detail: "\(parts.count) tensors, axis \(axis)")
        }
        for p in parts {
            try requireOwned("concat", p)
            guard p.rank == first.rank,
                  p.shape.enumerated().allSatisfy({ $0.offset == axis || $0.element == first.shape[$0.offset] }) else {
                throw TensorError.shapeMismatch(operation: "concat", detail: "\(parts.map(\.shape)) along axis \(axis)")
            }
        }
        var shape = first.shape
        shape[axis] = parts.reduce(0) { $0 + $1.shape[axis] }
        let out = try Tensor(uninitializedShape: shape, on: self)
        let outer = shape[..<axis].reduce(1, *), inner = shape[(axis + 1)...].reduce(1, *)
        var offset = 0
        for p in parts {
            let n = p.shape[axis] * inner
            if n > 0 && outer > 0 {
                try copy(CopyDescriptor(shape: [outer, n], srcStrides: [n, 1], dstStrides: [shape[axis] * inner, 1],
                                        dstOffset: offset), from: p.buffer, to: out.buffer)
            }
            offset += n
        }
        return out
    }

    /// The slice `start ..< start + length` of `axis` (PyTorch `narrow`), materialised.
    public func narrow(_ x: Tensor, axis: Int, start: Int, length: Int) throws -> Tensor {
        try requireOwned("narrow", x)
        guard axis >= 0, axis < x.rank, start >= 0, length >= 0, start + length <= x.shape[axis] else {
            throw TensorError.invalidArgument(operation: "narrow", detail: "axis \(axis) range \(start)..<\(start + length) of \(x.shape)")
        }
        var shape = x.shape
        shape[axis] = length
        let out = try Tensor(uninitializedShape: shape, on: self)
        let outer = shape[..<axis].reduce(1, *), inner = shape[(axis + 1)...].reduce(1, *)
        if out.count > 0 {
            try copy(CopyDescriptor(shape: [outer, length * inner], srcStrides: [x.shape[axis] * inner, 1],
                                    srcOffset: start * inner, dstStrides: [length * inner, 1]),
                     from: x.buffer, to: out.buffer)
        }
        return out
    }

    /// Splits `axis` into `count` equal parts (PyTorch `chunk` with an exact split).
    public func chunk(_ x: Tensor, _ count: Int, axis: Int) throws -> [Tensor] {
        guard count > 0, axis >= 0, axis < x.rank, x.shape[axis] % count == 0 else {
            throw TensorError.invalidArgument(operation: "chunk", detail: "\(count) parts of axis \(axis) of \(x.shape)")
        }
        let n = x.shape[axis] / count
        return try (0..<count).map { try narrow(x, axis: axis, start: $0 * n, length: n) }
    }
}
