/// Why a PyTorch checkpoint (`.ckpt`, `.pt`, `.bin` written by `torch.save`) was not loaded.
///
/// Every case names the file; ``description`` says what is wrong and what to do.
public enum PyTorchCheckpointError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The file could not be opened or mapped.
    case cannotOpen(file: String, reason: String)
    /// A pre-1.6 `torch.save` file (a bare pickle stream rather than a ZIP archive).
    case legacyFormat(file: String)
    /// The ZIP container is not a `torch.save` archive or is damaged.
    case invalidArchive(file: String, detail: String)
    /// The pickled object graph holds something other than a state dict (see ``PickleError``).
    case refusedPickle(file: String, error: PickleError)
    /// A tensor's description does not fit its storage.
    case invalidTensor(file: String, tensor: String, reason: String)
    /// The checkpoint holds no tensors at its top level or under `state_dict`.
    case noTensors(file: String)
    /// No tensor of that name.
    case tensorNotFound(file: String, tensor: String)
    /// The tensor's element type cannot be read as floating point.
    case unsupportedDType(file: String, tensor: String, dtype: SafeTensorsDType)

    public var description: String {
        switch self {
        case let .cannotOpen(file, reason): return "cannot open checkpoint \(file): \(reason)"
        case let .legacyFormat(file):
            return "\(file) uses the legacy (before PyTorch 1.6) torch.save format, which is not supported; re-save it with a current PyTorch (torch.save(torch.load(f, weights_only=True), f)) or convert it to .safetensors"
        case let .invalidArchive(file, detail):
            return "\(file) is not a readable torch.save checkpoint: \(detail)"
        case let .refusedPickle(file, error):
            return "refused to load \(file): \(error). Only checkpoints holding plain tensors are read; convert trusted files to .safetensors"
        case let .invalidTensor(file, tensor, reason):
            return "tensor \(tensor) in \(file) is invalid: \(reason); the file is damaged or crafted"
        case let .noTensors(file): return "\(file) holds no tensors (neither at its top level nor under 'state_dict')"
        case let .tensorNotFound(file, tensor): return "\(file) has no tensor named \(tensor)"
        case let .unsupportedDType(file, tensor, dtype):
            return "tensor \(tensor) in \(file) has element type \(dtype), which cannot be used as model weights"
        }
    }
}
