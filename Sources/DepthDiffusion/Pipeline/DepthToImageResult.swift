/// What one generation produced.
public struct DepthToImageResult: Sendable {
    /// The generated images, `imagesPerPrompt` of them, at the input size floored to multiples of 8.
    public var images: [RGBImage]
    /// The depth the UNet was conditioned on: normalised to [-1, 1] at latent resolution (diffusers' `prepare_depth_map`).
    public var depth: DepthMap
    /// The relative depth before resizing and normalisation (the estimator's output or the user's map).
    public var rawDepth: DepthMap
    /// Seconds spent in each stage.
    public var timings: StageTimings
}
