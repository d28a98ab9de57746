/// Why ``PickleReader`` refused a pickle stream. Offsets are byte positions in the stream.
public enum PickleError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The stream names a global other than the few a PyTorch state dict needs (e.g. `os.system`).
    case forbiddenGlobal(module: String, name: String, offset: Int)
    /// `REDUCE` (a call) on something that may not be called, or with arguments it does not accept.
    case forbiddenCall(callee: String, offset: Int)
    /// An opcode that builds arbitrary objects (`INST`, `OBJ`, `NEWOBJ`, `BUILD` on a non-dict, extensions).
    case forbiddenOpcode(name: String, offset: Int)
    /// An opcode a PyTorch state dict never contains.
    case unsupportedOpcode(byte: UInt8, offset: Int)
    /// The stream ends in the middle of an opcode or without `STOP`.
    case truncated(offset: Int)
    /// The stream is inconsistent (empty stack, missing mark, bad persistent id, bad tensor arguments...).
    case malformed(reason: String, offset: Int)

    public var description: String {
        switch self {
        case let .forbiddenGlobal(module, name, offset):
            return "it refers to the Python global \(module).\(name) (byte \(offset)), which a PyTorch state dict never needs (loading the file with torch.load could run code)"
        case let .forbiddenCall(callee, offset):
            return "it calls \(callee) (byte \(offset)), which a PyTorch state dict never does"
        case let .forbiddenOpcode(name, offset):
            return "it constructs Python objects with \(name) (byte \(offset)), which a PyTorch state dict never does"
        case let .unsupportedOpcode(byte, offset):
            return "it uses pickle opcode 0x\(String(byte, radix: 16)) (byte \(offset)), which PyTorch state dicts do not use"
        case let .truncated(offset):
            return "the pickle data ends early (at byte \(offset)); the file is incomplete"
        case let .malformed(reason, offset):
            return "the pickle data is malformed at byte \(offset): \(reason)"
        }
    }
}
