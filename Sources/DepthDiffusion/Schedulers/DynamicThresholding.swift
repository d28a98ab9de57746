/// diffusers' dynamic thresholding of the predicted original sample (`thresholding`,
/// `dynamic_thresholding_ratio`, `sample_max_value`), as DDIM, DPM-Solver++ and UniPC read it.
struct DynamicThresholding {
    let enabled: Bool
    let ratio: Double
    let maxValue: Double

    init(config: SchedulerConfig) {
        enabled = config.thresholding ?? false
        ratio = config.dynamicThresholdingRatio ?? 0.995
        maxValue = config.sampleMaxValue ?? 1
    }

    /// `x0` thresholded when enabled, unchanged otherwise.
    func apply(_ x0: [Float]) -> [Float] {
        enabled ? LatentMath.threshold(x0, ratio: ratio, maxValue: maxValue) : x0
    }
}
