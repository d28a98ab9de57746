/// PyTorch `nn.ConvTranspose2d(C_in, C_out, kernel_size=f, stride=f, padding=0)`: with kernel == stride
/// the output blocks do not overlap, so it is one linear layer per input pixel followed by a reshuffle:
/// `out[b, o, y·f + i, x·f + j] = Σ_c in[b, c, y, x] · W[c, o, i, j] + bias[o]`.
///
/// (The backend has no transposed convolution; this composes `linear` and `permute`.)
struct ConvTranspose2dStrideKernel {
    /// `W` rearranged to `[C_out · f · f, C_in]`.
    let matrix: Tensor
    /// `[1, C_out, 1, 1]`.
    let bias: Tensor?
    let factor: Int
    let outChannels: Int

    init(_ binder: WeightBinder, inChannels: Int, outChannels: Int, factor: Int) throws {
        let w = try binder.tensor("weight", shape: [inChannels, outChannels, factor, factor])
        let b = binder.backend
        matrix = try b.permute(w, [1, 2, 3, 0]).reshaped([outChannels * factor * factor, inChannels])
        bias = try binder.tensor("bias", shape: [outChannels]).reshaped([1, outChannels, 1, 1])
        self.factor = factor; self.outChannels = outChannels
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        let b = x.backend
        let (n, h, w, f) = (x.shape[0], x.shape[2], x.shape[3], factor)
        let pixels = try b.permute(x, [0, 2, 3, 1])                                    // [N, h, w, C_in]
        let blocks = try b.linear(pixels, weight: matrix, bias: nil)                   // [N, h, w, C_out·f·f]
            .reshaped([n, h, w, outChannels, f, f])
        let image = try b.permute(blocks, [0, 3, 1, 4, 2, 5]).reshaped([n, outChannels, h * f, w * f])
        return try bias.map { try b.add(image, $0) } ?? image
    }
}
