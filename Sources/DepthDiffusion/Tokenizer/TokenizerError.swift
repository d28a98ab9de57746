import Foundation

/// Errors thrown while loading a tokenizer folder.
public enum TokenizerError: Error, CustomStringConvertible, Equatable {
    /// A required file (`tokenizer.json`, or `vocab.json` and `merges.txt`) is not in the tokenizer folder.
    case missingFile(URL)
    /// A file exists but could not be read.
    case unreadableFile(URL, String)
    /// `vocab.json` is not a JSON object of token → non-negative integer id.
    case malformedVocabulary(URL, String)
    /// A line of `merges.txt` is not two space-separated tokens of the vocabulary.
    case malformedMerges(URL, line: Int, String)
    /// `tokenizer_config.json` or `special_tokens_map.json` holds a value the tokenizer cannot use.
    case invalidConfiguration(URL, String)
    /// `tokenizer.json` is not valid: the field and what is wrong with it.
    case malformedTokenizerJSON(URL, field: String, String)
    /// `tokenizer.json` asks for a normalizer, pre-tokenizer, model or option that this CLIP tokenizer does
    /// not implement: the field and the value found.
    case unsupportedTokenizerJSON(URL, field: String, found: String)

    /// A message that says what went wrong and what to do about it.
    public var description: String {
        switch self {
        case let .missingFile(url):
            return "tokenizer file \(url.path) is missing: point at a diffusers model folder whose tokenizer/ "
                + "folder holds tokenizer.json, or vocab.json and merges.txt (download the complete 'tokenizer' component)"
        case let .unreadableFile(url, reason):
            return "cannot read tokenizer file \(url.path): \(reason); check the file's permissions or re-download it"
        case let .malformedVocabulary(url, reason):
            return "vocab.json \(url.path) is malformed: \(reason); re-download the tokenizer files"
        case let .malformedMerges(url, line, reason):
            return "merges.txt \(url.path) is malformed at line \(line): \(reason); re-download the tokenizer files "
                + "(vocab.json and merges.txt must come from the same tokenizer)"
        case let .invalidConfiguration(url, reason):
            return "tokenizer configuration \(url.path) is not usable: \(reason)"
        case let .malformedTokenizerJSON(url, field, reason):
            return "tokenizer.json \(url.path) is malformed at \(field): \(reason); re-download the tokenizer files"
        case let .unsupportedTokenizerJSON(url, field, found):
            return "tokenizer.json \(url.path) sets \(field) to \(found), which this CLIP tokenizer does not implement; "
                + "use the tokenizer of a stable-diffusion-2 model (CLIP byte-level BPE with the CLIP normalizer and pre-tokenizer)"
        }
    }
}
