// Tensor-level resampling of NCHW tensors.

extension ComputeBackend {
    /// Resizes the two trailing dimensions of `[..., H, W]` to `height x width` (PyTorch `F.interpolate`).
    public func resize(_ x: Tensor, height: Int, width: Int, mode: ResizeMode) throws -> Tensor {
        try requireOwned("resize", x)
        guard x.rank >= 2, height > 0, width > 0, x.shape[x.rank - 1] > 0, x.shape[x.rank - 2] > 0 else {
            throw TensorError.invalidArgument(operation: "resize", detail: "\(x.shape) -> \(height)x\(width)")
        }
        let planes = x.shape.dropLast(2).reduce(1, *)
        let out = try Tensor(uninitializedShape: Array(x.shape.dropLast(2)) + [height, width], on: self)
        if out.count > 0 {
            try resize(ResizeDescriptor(planes: planes, inH: x.shape[x.rank - 2], inW: x.shape[x.rank - 1],
                                        outH: height, outW: width, mode: mode), input: x.buffer, output: out.buffer)
        }
        return out
    }

    /// Nearest-neighbour ×2 upsampling of the two trailing dimensions (diffusers `Upsample2D`).
    public func upsampleNearest2x(_ x: Tensor) throws -> Tensor {
        guard x.rank >= 2 else { throw TensorError.invalidArgument(operation: "upsampleNearest2x", detail: "shape \(x.shape)") }
        return try resize(x, height: 2 * x.shape[x.rank - 2], width: 2 * x.shape[x.rank - 1], mode: .nearest)
    }
}
