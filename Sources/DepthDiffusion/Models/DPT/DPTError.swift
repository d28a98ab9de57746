/// Problems loading or running a DPT depth estimator; each message says what to do.
public enum DPTError: Error, Equatable, CustomStringConvertible {
    /// `config.json` / `preprocessor_config.json` is missing, unreadable or inconsistent.
    case invalidConfig(String)
    /// The configuration asks for a variant this implementation does not provide.
    case unsupported(String)
    /// The input tensor or image does not fit the model.
    case invalidInput(String)

    public var description: String {
        switch self {
        case .invalidConfig(let d): return "invalid DPT configuration: \(d)"
        case .unsupported(let d): return "unsupported DPT configuration: \(d)"
        case .invalidInput(let d): return "invalid DPT input: \(d)"
        }
    }
}
