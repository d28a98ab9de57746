/// A deterministic source of standard-normal noise for latents and stochastic samplers.
///
/// Implementations are classes so that a scheduler and the pipeline can share one stream:
/// every call advances the same state, exactly like a `torch.Generator` passed around in diffusers.
public protocol RandomSource: AnyObject {
    /// Draws `count` independent samples from N(0, 1), as `torch.randn(count)` would for a
    /// contiguous float32 tensor with `count` elements.
    ///
    /// - Parameter count: Number of values to draw (the element count of the tensor shape).
    /// - Returns: `count` normally distributed values.
    func normal(count: Int) -> [Float]
}
