/// Errors of loading a single-file checkpoint and the files around it.
public enum SingleFileError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The checkpoint file does not exist.
    case fileNotFound(String)
    /// A folder was given where a checkpoint file was expected.
    case isAFolder(String)
    /// The file is not in the original latent-diffusion layout.
    case notOriginalLayout(file: String, detail: String)
    /// Two checkpoint keys map to the same model parameter.
    case duplicateTarget(file: String, name: String, source: String)
    /// No CLIP vocabulary (`vocab.json` + `merges.txt`) was found in any of the places searched.
    case tokenizerNotFound(searched: [String])
    /// The file has no depth model and none was named, or the named one was not found.
    case depthModelNotFound(file: String, detail: String)
    /// A component's tensors do not fit its configuration.
    case weightsDoNotMatch(file: String, component: String, detail: String)

    public var description: String {
        switch self {
        case let .fileNotFound(path): return "checkpoint file \(path) does not exist"
        case let .isAFolder(path):
            return "\(path) is a folder; pass a single checkpoint file (.ckpt or .safetensors), or use the folder as a diffusers model folder"
        case let .notOriginalLayout(file, detail):
            return "\(file) is not a Stable Diffusion checkpoint in the original single-file layout: \(detail)"
        case let .duplicateTarget(file, name, source):
            return "\(file) holds two tensors for the model parameter \(name) (one is \(source)); the file is inconsistent"
        case let .tokenizerNotFound(searched):
            return "the CLIP tokenizer vocabulary (vocab.json and merges.txt) is not in the checkpoint and was not found locally; "
                + "pass a folder that has them (--tokenizer DIR, e.g. the tokenizer/ folder of stabilityai/stable-diffusion-2-depth), "
                + "a diffusers model folder (--config DIR), or download the model into the Hugging Face cache "
                + "(huggingface-cli download stabilityai/stable-diffusion-2-depth --include 'tokenizer/*'). Searched: "
                + (searched.isEmpty ? "nothing" : searched.joined(separator: ", "))
        case let .depthModelNotFound(file, detail):
            return "\(file) has no depth model (depth_model.*) and \(detail); pass --depth-model with a DPT folder "
                + "(e.g. Intel/dpt-hybrid-midas or the depth_estimator/ of stable-diffusion-2-depth), a diffusers model folder, "
                + "or the id of such a model in the Hugging Face cache"
        case let .weightsDoNotMatch(file, component, detail):
            return "the \(component) weights of \(file) do not fit the \(component) configuration (for a fine-tune with other "
                + "shapes, pass its diffusers configuration folder with --config): \(detail)"
        }
    }
}
