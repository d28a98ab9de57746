/// Errors raised by tensor operations and backends.
public enum TensorError: Error, CustomStringConvertible, Equatable {
    /// Operands whose shapes do not fit the operation.
    case shapeMismatch(operation: String, detail: String)
    /// A parameter outside its valid range (negative size, zero stride, bad axis...).
    case invalidArgument(operation: String, detail: String)
    /// Tensors that live on different backends were combined.
    case backendMismatch(operation: String)
    /// The device could not provide memory.
    case outOfMemory(bytes: Int, device: String)
    /// A backend failed (driver error, lost device...).
    case backendFailure(String)
    /// An optional kernel was called on a backend that does not claim its ``BackendCapability``.
    case unsupported(operation: String, backend: String)

    public var description: String {
        switch self {
        case let .shapeMismatch(op, detail): return "\(op): shape mismatch: \(detail)"
        case let .invalidArgument(op, detail): return "\(op): invalid argument: \(detail)"
        case let .backendMismatch(op):
            return "\(op): tensors live on different backends; move them to one backend with `to(_:)` first"
        case let .outOfMemory(bytes, device):
            return "out of memory allocating \(bytes) bytes on \(device); use a smaller image or batch, or enable VAE tiling"
        case let .backendFailure(message): return message
        case let .unsupported(op, backend):
            return "\(op): the \(backend) backend has no such kernel; check `supports(.\(op))` before calling it, "
                + "or use the tensor-level operation, which falls back to mandatory kernels"
        }
    }
}
