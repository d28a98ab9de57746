import Foundation

/// The special tokens and maximum length of a tokenizer folder, resolved the way transformers does.
///
/// `tokenizer_config.json` is read first and `special_tokens_map.json` overrides it key by key (so the
/// stable-diffusion-2 folders pad with `"!"`, id 0). A token is a string or an `AddedToken` object
/// (`content`, `normalized`, `lstrip`, `rstrip`, `single_word`). Missing keys take `CLIPTokenizer`'s
/// defaults: `<|startoftext|>`, `<|endoftext|>` (also unknown and padding). A missing
/// `model_max_length` means 77, the text encoder's number of positions.
public struct CLIPTokenizerConfiguration: Equatable, Sendable {
    /// A special token as the tokenizer matches it in text.
    public struct SpecialToken: Equatable, Sendable {
        /// The token's text.
        public var content: String
        /// Whether it is matched after normalization (lowercasing) rather than in the raw text.
        public var normalized: Bool
        public init(_ content: String, normalized: Bool) { self.content = content; self.normalized = normalized }
    }

    public var bos = SpecialToken("<|startoftext|>", normalized: true)
    public var eos = SpecialToken("<|endoftext|>", normalized: true)
    public var unk = SpecialToken("<|endoftext|>", normalized: true)
    public var pad = SpecialToken("<|endoftext|>", normalized: true)
    /// `model_max_length`: sequences are truncated and padded to this many ids.
    public var maxLength = 77

    public init() {}

    /// Reads `tokenizer_config.json` and `special_tokens_map.json` from `folder` (both optional).
    public init(folder: URL) throws {
        let configURL = folder.appendingPathComponent("tokenizer_config.json")
        let mapURL = folder.appendingPathComponent("special_tokens_map.json")
        for url in [configURL, mapURL] {
            guard let object = try Self.readObject(url) else { continue }
            for (key, path) in [("bos_token", \Self.bos), ("eos_token", \Self.eos), ("unk_token", \Self.unk),
                                ("pad_token", \Self.pad)] as [(String, WritableKeyPath<Self, SpecialToken>)] {
                guard let value = object[key], !(value is NSNull) else { continue }
                self[keyPath: path] = try Self.token(value, key: key, url: url)
            }
            if url == configURL, let value = object["model_max_length"] {
                guard let n = (value as? NSNumber)?.doubleValue, n >= 2, n.rounded() == n else {
                    throw TokenizerError.invalidConfiguration(url, "model_max_length \(value) must be an integer ≥ 2")
                }
                // transformers writes a huge sentinel (1e30) when there is no limit: use the CLIP default then.
                maxLength = n > 1_000_000 ? 77 : Int(n)
            }
        }
    }

    private static func readObject(_ url: URL) throws -> [String: Any]? {
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw TokenizerError.unreadableFile(url, "\(error)") }
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw TokenizerError.invalidConfiguration(url, "the file is not a JSON object; re-download it")
        }
        return object
    }

    private static func token(_ value: Any, key: String, url: URL) throws -> SpecialToken {
        // A plain string becomes a special AddedToken that transformers matches in the raw text.
        if let s = value as? String, !s.isEmpty { return SpecialToken(s, normalized: false) }
        guard let dict = value as? [String: Any], let content = dict["content"] as? String, !content.isEmpty else {
            throw TokenizerError.invalidConfiguration(url, "\(key) must be a non-empty string or an object with a 'content' string")
        }
        for flag in ["lstrip", "rstrip", "single_word"] where (dict[flag] as? Bool) == true {
            throw TokenizerError.invalidConfiguration(url, "\(key) sets \(flag): true, which this tokenizer does not support")
        }
        return SpecialToken(content, normalized: (dict["normalized"] as? Bool) ?? true)
    }
}
