import Foundation

/// diffusers `DiagonalGaussianDistribution`: the VAE posterior given by the encoder's moments
/// `[B, 2·latent, h, w]` (mean, then log-variance clamped to [-30, 20]).
public struct DiagonalGaussianDistribution: Sendable {
    /// The raw moments as the encoder (and `quant_conv`) produced them.
    public let moments: Tensor
    public let mean: Tensor
    /// Clamped to [-30, 20] as diffusers does.
    public let logvar: Tensor

    public init(moments: Tensor) throws {
        let backend = moments.backend
        guard moments.rank == 4, moments.shape[1] % 2 == 0 else {
            throw TensorError.shapeMismatch(operation: "DiagonalGaussianDistribution", detail: "moments \(moments.shape)")
        }
        self.moments = moments
        let parts = try backend.chunk(moments, 2, axis: 1)
        mean = parts[0]
        // The backend has no clamp; the latent is small (4·h·w per image), so clamp on the host.
        let clamped = try parts[1].toArray().map { Swift.min(Swift.max($0, -30), 20) }
        logvar = try Tensor(shape: parts[1].shape, data: clamped, on: backend)
    }

    /// `mean + exp(0.5 · logvar) · noise`, with `noise` shaped like `mean` (diffusers draws it with `randn`).
    public func sample(noise: Tensor) throws -> Tensor {
        let backend = mean.backend
        guard noise.shape == mean.shape else {
            throw TensorError.shapeMismatch(operation: "DiagonalGaussianDistribution.sample", detail: "noise \(noise.shape) for \(mean.shape)")
        }
        // exp is computed on the host (no backend op); float32 as in PyTorch.
        let std = try logvar.toArray().map { Foundation.exp(0.5 * $0) }
        return try backend.add(mean, backend.mul(Tensor(shape: mean.shape, data: std, on: backend), noise))
    }
}
