/// How a ``DepthToImagePipeline`` holds its models: the weight precision, and whether they stay loaded.
///
/// In every mode the pipeline empties the backend's buffer caches after each stage.
///
/// ```swift
/// // About 2.5 GB of memory instead of about 7.5 GB, at the cost of loading the models for every request:
/// let options = PipelineOptions(precision: .fp16, lowMemory: true)
/// let pipeline = try DepthToImagePipeline(modelFolder: folder, backend: backend, options: options)
/// ```
public struct PipelineOptions: Sendable, Equatable {
    /// How the weights of linear and convolution layers are held (default ``WeightPrecision/fp32``, exactly the
    /// reference); see ``WeightPrecision`` for the cost and error of each.
    public var precision: WeightPrecision
    /// `false` (default): every model is loaded once and stays in memory, for fast repeated generation.
    /// `true`: each model is loaded from its files when its stage starts and released after it (text encoder,
    /// depth estimator, VAE encoder, UNet, VAE decoder, one at a time), the backend keeps at most 64 MiB of freed
    /// buffers (``ComputeBackend/limitCachedMemory(toBytes:)``, from the pipeline's creation on) and empties them
    /// after every denoising step, and the VAE works in tiles on images of
    /// more than 512x512 pixels that are larger than one tile (``DepthToImagePipeline/lowMemoryTilingPixels``).
    /// Peak memory is then about the largest model plus its activations.
    public var lowMemory: Bool
    /// The `*.VARIANT.safetensors` files to load from a model folder (e.g. `"fp16"`); `nil` prefers the float32
    /// files, then `fp16`. The variant sets what is read from disk; ``precision`` sets what is kept.
    public var variant: String?

    public init(precision: WeightPrecision = .fp32, lowMemory: Bool = false, variant: String? = nil) {
        self.precision = precision; self.lowMemory = lowMemory; self.variant = variant
    }
}

/// One model of a pipeline: kept in memory, or (in low-memory mode) loaded each time it is asked for.
final class PipelineComponent<Model: Sendable>: Sendable {
    private let resident: Model?
    private let load: @Sendable () throws -> Model

    /// A model that stays loaded.
    init(resident model: Model) { resident = model; load = { model } }

    /// A model made by `load`: once now when `keep` is true, otherwise on every ``get()``.
    init(keep: Bool, load: @escaping @Sendable () throws -> Model) throws {
        resident = keep ? try load() : nil
        self.load = load
    }

    /// Whether the model stays loaded.
    var isResident: Bool { resident != nil }

    /// The model: the resident one, or a freshly loaded one the caller releases by dropping it.
    func get() throws -> Model { try resident ?? load() }
}
