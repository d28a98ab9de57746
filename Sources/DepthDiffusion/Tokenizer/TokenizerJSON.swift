import Foundation

/// The parts of a Hugging Face `tokenizers` file (`tokenizer.json`) that the CLIP tokenizer uses, checked
/// against the CLIP configuration that ``CLIPTokenizer`` implements.
///
/// Accepted: a `BPE` model with `end_of_word_suffix` `"</w>"` (no dropout, no byte fallback, no
/// continuing-subword prefix), `vocab` as token → id and `merges` either as `["a", "b"]` pairs or as
/// `"a b"` strings; the normalizer `Sequence[NFC, Replace(\s+ → " "), Lowercase]`; the pre-tokenizer
/// `Sequence[Split(CLIP pattern, Removed, invert), ByteLevel(add_prefix_space: false)]`; added tokens
/// without `lstrip`, `rstrip` or `single_word`; a `RobertaProcessing`/`TemplateProcessing` post-processor
/// or none. Anything else is ``TokenizerError/unsupportedTokenizerJSON(_:field:found:)`` naming the field.
/// `truncation`, `padding` and `decoder` do not affect the ids the pipeline uses and are not read.
struct TokenizerJSON {
    struct AddedToken { var content: String; var id: Int32; var normalized: Bool }

    var vocabulary: [String: Int32]
    var merges: [(String, String)]
    var addedTokens: [AddedToken]
    var unknownToken: String?
    /// `(cls id, sep id)` of the post-processor when it names them.
    var postProcessorIDs: (first: Int32, last: Int32)?

    /// The CLIP split pattern, as transformers writes it (with and without the special tokens in front).
    static let clipPattern = "'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+"
    static let acceptedPatterns: Set<String> = [clipPattern, "<\\|startoftext\\|>|<\\|endoftext\\|>|" + clipPattern]

    init(url: URL) throws {
        guard FileManager.default.fileExists(atPath: url.path) else { throw TokenizerError.missingFile(url) }
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw TokenizerError.unreadableFile(url, "\(error.localizedDescription)") }
        guard let root = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw TokenizerError.malformedTokenizerJSON(url, field: "(file)", "not a JSON object; re-download tokenizer.json")
        }
        func unsupported(_ field: String, _ value: Any?) -> TokenizerError {
            .unsupportedTokenizerJSON(url, field: field, found: Self.describe(value))
        }
        func malformed(_ field: String, _ reason: String) -> TokenizerError { .malformedTokenizerJSON(url, field: field, reason) }

        // The model.
        guard let model = root["model"] as? [String: Any] else { throw malformed("model", "missing or not an object") }
        guard model["type"] as? String == "BPE" else { throw unsupported("model.type", model["type"]) }
        guard model["end_of_word_suffix"] as? String == "</w>" else { throw unsupported("model.end_of_word_suffix", model["end_of_word_suffix"]) }
        for (key, allowed) in [("dropout", [NSNull()] as [Any]), ("continuing_subword_prefix", [NSNull(), ""]),
                               ("byte_fallback", [NSNull(), false]), ("fuse_unk", [NSNull(), false]),
                               ("ignore_merges", [NSNull(), false])] {
            guard let value = model[key] else { continue }
            guard allowed.contains(where: { Self.same($0, value) }) else { throw unsupported("model.\(key)", value) }
        }
        unknownToken = model["unk_token"] as? String
        guard let vocab = model["vocab"] as? [String: Any], !vocab.isEmpty else {
            throw malformed("model.vocab", "expected a non-empty object of token → id")
        }
        var vocabulary: [String: Int32] = [:]
        vocabulary.reserveCapacity(vocab.count)
        for (token, value) in vocab {
            guard let n = value as? NSNumber, let id = Int32(exactly: n.doubleValue), id >= 0 else {
                throw malformed("model.vocab", "the id of token '\(token)' is \(value), not a non-negative integer")
            }
            vocabulary[token] = id
        }
        self.vocabulary = vocabulary
        guard let rawMerges = model["merges"] as? [Any], !rawMerges.isEmpty else {
            throw malformed("model.merges", "expected a non-empty list of merges")
        }
        var merges: [(String, String)] = []
        merges.reserveCapacity(rawMerges.count)
        for (i, entry) in rawMerges.enumerated() {
            if let pair = entry as? [Any], pair.count == 2, let a = pair[0] as? String, let b = pair[1] as? String, !a.isEmpty, !b.isEmpty {
                merges.append((a, b))
            } else if let s = entry as? String {
                let parts = s.split(separator: " ", omittingEmptySubsequences: false)
                guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                    throw malformed("model.merges[\(i)]", "expected \"a b\" (two tokens, one space), found '\(s.prefix(80))'")
                }
                merges.append((String(parts[0]), String(parts[1])))
            } else {
                throw malformed("model.merges[\(i)]", "expected a [\"a\", \"b\"] pair or an \"a b\" string")
            }
        }
        self.merges = merges

        // Normalizer and pre-tokenizer: exactly CLIP's.
        try Self.checkNormalizer(root["normalizer"], unsupported)
        try Self.checkPreTokenizer(root["pre_tokenizer"], unsupported)

        // Added tokens.
        var added: [AddedToken] = []
        if let list = root["added_tokens"], !(list is NSNull) {
            guard let list = list as? [Any] else { throw malformed("added_tokens", "expected a list") }
            for (i, item) in list.enumerated() {
                guard let token = item as? [String: Any], let content = token["content"] as? String, !content.isEmpty,
                      let n = token["id"] as? NSNumber, let id = Int32(exactly: n.doubleValue), id >= 0 else {
                    throw malformed("added_tokens[\(i)]", "expected an object with a non-empty 'content' and a non-negative 'id'")
                }
                for flag in ["lstrip", "rstrip", "single_word"] where (token[flag] as? Bool) == true {
                    throw unsupported("added_tokens[\(i)].\(flag)", true)
                }
                added.append(AddedToken(content: content, id: id, normalized: (token["normalized"] as? Bool) ?? true))
            }
        }
        addedTokens = added

        // Post-processor: bos … eos is what CLIPTokenizer.encode adds; the ids are checked by the caller.
        postProcessorIDs = nil
        if let post = root["post_processor"], !(post is NSNull) {
            guard let object = post as? [String: Any] else { throw unsupported("post_processor", post) }
            switch object["type"] as? String {
            case "RobertaProcessing", "BertProcessing":
                guard let cls = object["cls"] as? [Any], cls.count == 2, let c = (cls[1] as? NSNumber).flatMap({ Int32(exactly: $0.doubleValue) }),
                      let sep = object["sep"] as? [Any], sep.count == 2, let s = (sep[1] as? NSNumber).flatMap({ Int32(exactly: $0.doubleValue) }) else {
                    throw malformed("post_processor", "cls and sep must be [token, id] pairs")
                }
                postProcessorIDs = (c, s)
            case "TemplateProcessing":
                break
            default:
                throw unsupported("post_processor.type", object["type"])
            }
        }
    }

    private static func checkNormalizer(_ value: Any?, _ unsupported: (String, Any?) -> TokenizerError) throws {
        guard let object = value as? [String: Any], object["type"] as? String == "Sequence",
              let steps = object["normalizers"] as? [[String: Any]] else { throw unsupported("normalizer", value) }
        let types = steps.map { $0["type"] as? String ?? "?" }
        guard types == ["NFC", "Replace", "Lowercase"] else { throw unsupported("normalizer.normalizers", types) }
        let replace = steps[1]
        guard (replace["pattern"] as? [String: Any])?["Regex"] as? String == "\\s+" else {
            throw unsupported("normalizer.normalizers[1].pattern", replace["pattern"])
        }
        guard replace["content"] as? String == " " else { throw unsupported("normalizer.normalizers[1].content", replace["content"]) }
    }

    private static func checkPreTokenizer(_ value: Any?, _ unsupported: (String, Any?) -> TokenizerError) throws {
        guard let object = value as? [String: Any], object["type"] as? String == "Sequence",
              let steps = object["pretokenizers"] as? [[String: Any]] else { throw unsupported("pre_tokenizer", value) }
        let types = steps.map { $0["type"] as? String ?? "?" }
        guard types == ["Split", "ByteLevel"] else { throw unsupported("pre_tokenizer.pretokenizers", types) }
        let split = steps[0], byteLevel = steps[1]
        guard let pattern = (split["pattern"] as? [String: Any])?["Regex"] as? String, acceptedPatterns.contains(pattern) else {
            throw unsupported("pre_tokenizer.pretokenizers[0].pattern", split["pattern"])
        }
        guard split["behavior"] as? String == "Removed" else { throw unsupported("pre_tokenizer.pretokenizers[0].behavior", split["behavior"]) }
        guard split["invert"] as? Bool == true else { throw unsupported("pre_tokenizer.pretokenizers[0].invert", split["invert"]) }
        // After the CLIP split every piece is letters, one digit or a punctuation run without spaces, which
        // the byte-level regex (use_regex) leaves whole; a prefix space would change the ids.
        if let prefix = byteLevel["add_prefix_space"], !same(prefix, false) {
            throw unsupported("pre_tokenizer.pretokenizers[1].add_prefix_space", prefix)
        }
    }

    private static func same(_ a: Any, _ b: Any) -> Bool {
        switch (a, b) {
        case (is NSNull, is NSNull): return true
        case let (x as Bool, y as Bool): return x == y
        case let (x as String, y as String): return x == y
        default: return false
        }
    }

    static func describe(_ value: Any?) -> String {
        guard let value, !(value is NSNull) else { return "null (absent)" }
        if let s = value as? String { return "\"\(s)\"" }
        if JSONSerialization.isValidJSONObject(value),
           let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys]),
           let text = String(data: data, encoding: .utf8) {
            return String(text.prefix(200))
        }
        return "\(value)"
    }
}
