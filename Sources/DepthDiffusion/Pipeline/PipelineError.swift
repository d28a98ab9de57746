import Foundation

/// Errors of the depth-to-image pipeline, of model-folder loading, and of the inputs given to the pipeline or
/// to a model directly (prompts, token ids, embeddings, images, depth maps). Configuration files fail with
/// ``ConfigError``, weight files with `SafeTensorsError` or `WeightBindingError`.
public enum PipelineError: Error, CustomStringConvertible, Equatable {
    /// The folder is not a diffusers model folder (no `model_index.json`).
    case notAModelFolder(path: String)
    /// `model_index.json` names another pipeline class.
    case wrongPipeline(path: String, found: String)
    /// A component folder or file the pipeline needs is missing.
    case missingComponent(name: String, path: String)
    /// A component has weights only in a format this library cannot read.
    case unsupportedWeights(component: String, path: String, detail: String)
    /// A generation parameter, prompt or token sequence is out of range.
    case invalidParameter(String)
    /// Prompt embeddings given instead of text have the wrong shape.
    case invalidPromptEmbeddings(String)
    /// The input image cannot be used.
    case invalidImage(String)
    /// The user's depth map cannot be used.
    case invalidDepthMap(String)
    /// The progress handler asked to stop.
    case cancelled
    /// The latents held NaN or infinite values after denoising step `step` (1-based) of `totalSteps`.
    case nonFiniteLatents(step: Int, totalSteps: Int)
    /// A network (`"text encoder"`, `"VAE encoder"`, `"VAE decoder"`, `"depth estimator"`) produced NaN or
    /// infinite values.
    case nonFiniteOutput(component: String)
    /// The request needs more memory than is available (``GenerationMemoryEstimate``); `advice` says what to change.
    case insufficientMemory(neededBytes: Int, availableBytes: Int, advice: String)

    public var description: String {
        switch self {
        case let .notAModelFolder(path):
            return "'\(path)' is not a diffusers model folder (no model_index.json); download stabilityai/stable-diffusion-2-depth in diffusers format and pass its folder"
        case let .wrongPipeline(path, found):
            return "'\(path)' holds a \(found) model, not StableDiffusionDepth2ImgPipeline; use the stable-diffusion-2-depth model folder"
        case let .missingComponent(name, path):
            return "the model folder is missing its '\(name)' component (looked for \(path)); re-download the complete folder"
        case let .unsupportedWeights(component, path, detail):
            return "cannot load the '\(component)' weights in \(path): \(detail)"
        case let .invalidPromptEmbeddings(detail): return "invalid prompt embeddings: \(detail)"
        case let .invalidParameter(detail): return "invalid parameter: \(detail)"
        case let .invalidImage(detail): return "invalid input image: \(detail)"
        case let .invalidDepthMap(detail): return "invalid depth map: \(detail)"
        case .cancelled: return "generation was cancelled"
        case let .nonFiniteLatents(step, totalSteps):
            return "the latents became NaN or infinite at denoising step \(step) of \(totalSteps); the guidance scale may be too large "
                + "(values of 5 to 15 are usual), or the UNet weights hold NaN or infinite values or overflow in float16 "
                + "(re-download the weights, or use the float32 files)"
        case let .nonFiniteOutput(component):
            return "the \(component) produced NaN or infinite values; its weights may be corrupt or overflow in float16 "
                + "(re-download the weights, or use the float32 files)"
        case let .insufficientMemory(needed, available, advice):
            let gb = { (bytes: Int) in String(format: "%.1f GB", Double(bytes) / 1e9) }
            return "this request needs about \(gb(needed)) of memory for its activations but only \(gb(available)) is available; \(advice)"
        }
    }
}
