/// diffusers `Timesteps` (sinusoidal projection, `time_proj`) followed by `TimestepEmbedding`
/// (`time_embedding.linear_1` → SiLU → `time_embedding.linear_2`).
public struct TimestepEmbedding: Sendable {
    public let projection: TimestepEmbeddingDescriptor
    public let linear1: Linear
    public let linear2: Linear

    /// `binder` is the `time_embedding` scope; the projection has `channels` features.
    public init(_ binder: WeightBinder, channels: Int, timeEmbedDim: Int, flipSinToCos: Bool, freqShift: Float) throws {
        projection = TimestepEmbeddingDescriptor(dim: channels, flipSinToCos: flipSinToCos, downscaleFreqShift: freqShift)
        linear1 = try Linear(binder.scope("linear_1"), inFeatures: channels, outFeatures: timeEmbedDim)
        linear2 = try Linear(binder.scope("linear_2"), inFeatures: timeEmbedDim, outFeatures: timeEmbedDim)
    }

    /// One embedding row per timestep: `[timesteps.count, timeEmbedDim]`.
    public func callAsFunction(_ timesteps: [Float], on backend: ComputeBackend) throws -> Tensor {
        let t = try backend.timestepEmbedding(timesteps, projection)
        return try linear2(backend.apply(.silu, linear1(t)))
    }
}
