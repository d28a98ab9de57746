/// Wall-clock seconds per pipeline stage.
public struct StageTimings: Sendable {
    public var textEncoding = 0.0
    public var depth = 0.0
    public var vaeEncode = 0.0
    public var denoising = 0.0
    public var vaeDecode = 0.0
    /// Sum of the stages.
    public var total: Double { textEncoding + depth + vaeEncode + denoising + vaeDecode }
}
