/// Progress of the denoising loop, passed to the progress handler after each step.
public struct DepthToImageProgress: Sendable {
    /// Steps done (1-based).
    public var step: Int
    /// Steps in this run.
    public var totalSteps: Int
    /// The timestep just computed.
    public var timestep: Double
    /// Seconds since the denoising loop began.
    public var elapsed: Double
}
