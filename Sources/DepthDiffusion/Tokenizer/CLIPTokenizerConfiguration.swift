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
    ///
    /// - Throws: ``ConfigError`` when a file is not valid JSON, a token is neither a string nor an `AddedToken`
    ///   object, a token sets options this tokenizer does not implement, or `model_max_length` is not an
    ///   integer of at least 2.
    public init(folder: URL) throws {
        for name in ["tokenizer_config.json", "special_tokens_map.json"] {
            let url = folder.appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: url.path) else { continue }
            let raw = try ConfigFile.decode(Raw.self, from: url)
            for (token, path) in [(raw.bosToken, \Self.bos), (raw.eosToken, \Self.eos), (raw.unkToken, \Self.unk),
                                  (raw.padToken, \Self.pad)] as [(TokenValue?, WritableKeyPath<Self, SpecialToken>)] {
                if let token { self[keyPath: path] = try token.special(file: name) }
            }
            if name == "tokenizer_config.json", let n = raw.modelMaxLength {
                guard n >= 2, n.rounded() == n else {
                    throw ConfigError.inconsistent(component: "tokenizer (\(name))", detail: "model_max_length \(n) must be an integer ≥ 2")
                }
                // transformers writes a huge sentinel (1e30) when there is no limit: use the CLIP default then.
                maxLength = n > 1_000_000 ? 77 : Int(n)
            }
        }
    }

    /// The keys of `tokenizer_config.json` / `special_tokens_map.json` this tokenizer reads.
    private struct Raw: Decodable {
        var bosToken: TokenValue?, eosToken: TokenValue?, unkToken: TokenValue?, padToken: TokenValue?
        var modelMaxLength: Double?
    }

    /// A special token: a plain string, or transformers' `AddedToken` object.
    private enum TokenValue: Decodable {
        case text(String)
        case added(content: String, normalized: Bool?, unsupportedFlag: String?)

        private struct Added: Decodable {
            var content: String
            var normalized: Bool?, lstrip: Bool?, rstrip: Bool?, singleWord: Bool?
        }

        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let s = try? c.decode(String.self) { self = .text(s); return }
            let a = try c.decode(Added.self)
            let flag = [("lstrip", a.lstrip), ("rstrip", a.rstrip), ("single_word", a.singleWord)].first { $0.1 == true }?.0
            self = .added(content: a.content, normalized: a.normalized, unsupportedFlag: flag)
        }

        func special(file: String) throws -> SpecialToken {
            switch self {
            case .text(let s) where !s.isEmpty:
                // A plain string becomes a special AddedToken that transformers matches in the raw text.
                return SpecialToken(s, normalized: false)
            case let .added(content, normalized, nil) where !content.isEmpty:
                return SpecialToken(content, normalized: normalized ?? true)
            case let .added(_, _, flag?):
                throw ConfigError.unsupported(component: "tokenizer (\(file))", field: "special token \(flag)", value: "true",
                                              supported: "false")
            default:
                throw ConfigError.inconsistent(component: "tokenizer (\(file))", detail: "a special token is empty")
            }
        }
    }
}
