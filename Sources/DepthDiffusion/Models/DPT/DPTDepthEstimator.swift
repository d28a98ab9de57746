import Foundation

/// Monocular depth from an RGB image: ``DPTImageProcessor`` → ``DPTForDepthEstimation``.
///
/// ```swift
/// let estimator = try DPTDepthEstimator(pipelineFolder: modelFolder, backend: try CPUBackend())
/// let result = try estimator.estimate(image)
/// let preview = try result.resized.grayscale8()
/// ```
public final class DPTDepthEstimator: Sendable {
    /// The depth network.
    public let model: DPTForDepthEstimation
    /// The preprocessing of `feature_extractor/preprocessor_config.json`.
    public let processor: DPTImageProcessor

    /// The depth of one image.
    public struct Result: Sendable {
        /// `predicted_depth` at the model's output resolution (384x384 for DPT-Hybrid).
        public var atModelResolution: DepthMap
        /// The same map resized to the input image's size (PyTorch bicubic, align_corners false, as in
        /// transformers' `post_process_depth_estimation`).
        public var resized: DepthMap
    }

    public init(model: DPTForDepthEstimation, processor: DPTImageProcessor) {
        self.model = model; self.processor = processor
    }

    /// Loads `depth_estimator/` and `feature_extractor/` from a diffusers model folder
    /// (e.g. stable-diffusion-2-depth).
    /// `variant` picks `*.VARIANT.safetensors` weights (e.g. `fp16`); `nil` prefers float32 files, then `fp16`.
    /// `precision` sets how layer weights are held (see ``WeightPrecision``).
    public convenience init(pipelineFolder: URL, backend: ComputeBackend, variant: String? = nil,
                            precision: WeightPrecision = .fp32) throws {
        // Only the two components it needs: a download of just these (estimate-depth) is enough.
        let depthFolder = pipelineFolder.appendingPathComponent("depth_estimator")
        let model = try DPTForDepthEstimation(config: DPTConfig(contentsOf: depthFolder.appendingPathComponent("config.json")),
                                              weights: ModelFolder.weights(in: depthFolder, component: "depth_estimator",
                                                                           variant: variant),
                                              backend: backend, precision: precision)
        let processor = try DPTImageProcessor(contentsOf: pipelineFolder.appendingPathComponent("feature_extractor")
                                                .appendingPathComponent("preprocessor_config.json"))
        self.init(model: model, processor: processor)
    }

    /// Loads a transformers DPT folder (`config.json` + safetensors) and a `preprocessor_config.json` folder.
    public convenience init(depthEstimatorFolder: URL, featureExtractorFolder: URL, backend: ComputeBackend,
                            variant: String? = nil, precision: WeightPrecision = .fp32) throws {
        let model = try DPTForDepthEstimation(folder: depthEstimatorFolder, backend: backend, variant: variant,
                                              precision: precision)
        let processor = try DPTImageProcessor(contentsOf: featureExtractorFolder.appendingPathComponent("preprocessor_config.json"))
        self.init(model: model, processor: processor)
    }

    /// `predicted_depth` `[B, H, W]` for images that preprocess to the same size (the pipeline's path).
    public func predictedDepth(_ images: [RGBImage]) throws -> Tensor {
        let pixels = try processor.pixelValues(images, on: model.backend)
        let interpolate = pixels.shape[2] != model.config.imageSize.height || pixels.shape[3] != model.config.imageSize.width
        return try model(pixels, interpolatePositionEncoding: interpolate)
    }

    /// The relative depth of `image`, at the model resolution and at the image's size.
    public func estimate(_ image: RGBImage) throws -> Result {
        let depth = try predictedDepth([image])
        let (h, w) = (depth.shape[1], depth.shape[2])
        let atModel = try DepthMap(width: w, height: h, values: depth.toArray())
        guard atModel.isFinite else { throw PipelineError.nonFiniteOutput(component: "depth estimator") }
        let full = try model.backend.resize(depth.reshaped([1, 1, h, w]), height: image.height, width: image.width,
                                      mode: .bicubic(alignCorners: false))
        return Result(atModelResolution: atModel, resized: try DepthMap(width: image.width, height: image.height, values: full.toArray()))
    }
}
