import Foundation

/// Errors thrown while loading or running the text encoder.
public enum TextEncoderError: Error, CustomStringConvertible, Equatable {
    /// `text_encoder/config.json` is missing.
    case missingConfig(URL)
    /// `config.json` could not be parsed or holds an unusable value.
    case invalidConfig(URL, String)
    /// The token ids do not fit the model (wrong length, id outside the vocabulary, empty batch).
    case invalidInput(String)
    /// Precomputed embeddings do not have the shape the pipeline needs.
    case invalidEmbeddings(String)

    /// A message that says what went wrong and what to do about it.
    public var description: String {
        switch self {
        case let .missingConfig(url):
            return "text encoder configuration \(url.path) is missing: point at a diffusers model folder with a complete text_encoder/ component"
        case let .invalidConfig(url, reason):
            return "text encoder configuration \(url.path) is not usable: \(reason)"
        case let .invalidInput(reason):
            return "invalid text encoder input: \(reason)"
        case let .invalidEmbeddings(reason):
            return "invalid prompt embeddings: \(reason)"
        }
    }
}
