import Foundation

/// The CLIP byte-level BPE tokenizer, matching transformers' `CLIPTokenizer` (transformers 5.x, which is
/// backed by the `tokenizers` library) as `StableDiffusionDepth2ImgPipeline` loads it from a model's
/// `tokenizer/` folder.
///
/// Pipeline, in transformers' order:
/// 1. special tokens written as plain strings (the pad token `"!"` of stable-diffusion-2) are cut out of
///    the raw text, so every literal `!` becomes id 0;
/// 2. each remaining piece is normalized (``CLIPPreTokenizer/normalize(_:)``: NFC, white space collapsed,
///    lowercased) and the normalized special tokens (`<|startoftext|>`, `<|endoftext|>`) are cut out;
/// 3. the rest is split into words (``CLIPPreTokenizer/split(_:)``) and each word is byte-level BPE encoded
///    with `</w>` on its last symbol;
/// 4. ``encode(_:)`` adds `bos … eos`, truncates to ``maxLength`` keeping `eos` last and pads with the pad id.
///
/// ```swift
/// let tokenizer = try CLIPTokenizer(folder: modelFolder.appendingPathComponent("tokenizer"))
/// let ids = tokenizer.encode("a photo of a cat")   // 77 ids: [49406, 320, 1125, 539, 320, 2368, 49407, 0, …]
/// ```
public final class CLIPTokenizer: Sendable {
    /// Id of `<|startoftext|>` (49406 for CLIP).
    public let bosID: Int32
    /// Id of `<|endoftext|>` (49407 for CLIP).
    public let eosID: Int32
    /// Id used for padding (0, `"!"`, for stable-diffusion-2; 49407 for stable-diffusion-1).
    public let padID: Int32
    /// Length of every sequence ``encode(_:)`` returns (`model_max_length`, 77).
    public let maxLength: Int
    /// Number of entries in the vocabulary (`vocab.json`, or `model.vocab` of `tokenizer.json`).
    public let vocabularySize: Int

    private let bpe: BytePairEncoder
    /// Special tokens matched in the raw text, and after normalization.
    private let rawSpecials: [(scalars: [Unicode.Scalar], id: Int32)]
    private let normalizedSpecials: [(scalars: [Unicode.Scalar], id: Int32)]

    /// Loads a tokenizer folder (a diffusers model's `tokenizer/`): `tokenizer.json` when present (what
    /// transformers 5 writes, and what it prefers), otherwise `vocab.json` and `merges.txt`; plus the optional
    /// `tokenizer_config.json` / `special_tokens_map.json` for the special tokens and the maximum length.
    public convenience init(folder: URL) throws {
        let jsonURL = folder.appendingPathComponent("tokenizer.json")
        if FileManager.default.fileExists(atPath: jsonURL.path) {
            try self.init(tokenizerJSON: jsonURL, configuration: CLIPTokenizerConfiguration(folder: folder))
            return
        }
        let vocabURL = folder.appendingPathComponent("vocab.json")
        let mergesURL = folder.appendingPathComponent("merges.txt")
        let vocabulary = try Self.readVocabulary(vocabURL)
        let (merges, lines) = try Self.readMerges(mergesURL)
        try self.init(vocabulary: vocabulary, merges: merges, configuration: CLIPTokenizerConfiguration(folder: folder),
                      added: nil, vocabularyName: "vocab.json",
                      mergeError: { .malformedMerges(mergesURL, line: lines[$0], $1) }, configURL: folder)
    }

    /// Loads a Hugging Face `tokenizers` file (`tokenizer.json`) holding the CLIP configuration (see
    /// ``TokenizerError/unsupportedTokenizerJSON(_:field:found:)`` for anything else). Its added tokens decide
    /// which special strings are cut out of the text; `configuration` names the bos, eos and pad tokens.
    public convenience init(tokenizerJSON url: URL, configuration: CLIPTokenizerConfiguration = .init()) throws {
        let file = try TokenizerJSON(url: url)
        try self.init(vocabulary: file.vocabulary, merges: file.merges, configuration: configuration,
                      added: file.addedTokens, unknownToken: file.unknownToken, vocabularyName: "tokenizer.json's model.vocab",
                      mergeError: { .malformedTokenizerJSON(url, field: "model.merges[\($0)]", $1) }, configURL: url)
        if let (first, last) = file.postProcessorIDs, first != bosID || last != eosID {
            throw TokenizerError.unsupportedTokenizerJSON(url, field: "post_processor",
                found: "cls id \(first) and sep id \(last), while the bos/eos tokens have ids \(bosID) and \(eosID)")
        }
    }

    /// A tokenizer from an in-memory vocabulary and merge list (in rank order).
    public convenience init(vocabulary: [String: Int32], merges: [(String, String)],
                            configuration: CLIPTokenizerConfiguration = .init()) throws {
        let here = URL(fileURLWithPath: "<memory>")
        try self.init(vocabulary: vocabulary, merges: merges, configuration: configuration, added: nil,
                      vocabularyName: "the vocabulary", mergeError: { .malformedMerges(here, line: $0 + 1, $1) }, configURL: here)
    }

    /// - Parameter added: the added tokens of a `tokenizer.json` (matched in the text instead of the
    ///   configuration's special tokens), or nil.
    private init(vocabulary: [String: Int32], merges: [(String, String)], configuration c: CLIPTokenizerConfiguration,
                 added: [TokenizerJSON.AddedToken]?, unknownToken: String? = nil, vocabularyName: String,
                 mergeError: (Int, String) -> TokenizerError, configURL: URL) throws {
        var known = vocabulary
        for token in added ?? [] { known[token.content] = token.id }
        func id(_ content: String, _ role: String) throws -> Int32 {
            guard let id = known[content] else {
                throw TokenizerError.invalidConfiguration(configURL,
                    "the \(role) token '\(content)' is not in \(vocabularyName); use tokenizer files from the same model")
            }
            return id
        }
        bosID = try id(c.bos.content, "bos"); eosID = try id(c.eos.content, "eos"); padID = try id(c.pad.content, "pad")
        let unkID = try id(unknownToken ?? c.unk.content, "unk")
        maxLength = c.maxLength
        vocabularySize = vocabulary.count
        bpe = try BytePairEncoder(vocabulary: vocabulary, merges: merges, unknownID: unkID,
                                  vocabularyName: vocabularyName, mergeError: mergeError)
        var raw: [(scalars: [Unicode.Scalar], id: Int32)] = [], normalized = raw
        var seen = Set<String>()
        let matched: [(content: String, id: Int32, normalized: Bool)]
        if let added {
            matched = added.map { ($0.content, $0.id, $0.normalized) }
        } else {
            matched = [(c.pad.content, padID, c.pad.normalized), (c.bos.content, bosID, c.bos.normalized),
                       (c.eos.content, eosID, c.eos.normalized), (c.unk.content, unkID, c.unk.normalized)]
        }
        for token in matched where seen.insert(token.content).inserted {
            if token.normalized { normalized.append((Array(token.content.unicodeScalars), token.id)) }
            else { raw.append((Array(token.content.unicodeScalars), token.id)) }
        }
        rawSpecials = raw
        normalizedSpecials = normalized
    }

    /// The ids of `text` without `bos`/`eos`, truncation or padding (transformers' `add_special_tokens=False`).
    public func tokenize(_ text: String) -> [Int32] {
        var ids: [Int32] = []
        Self.splitOnSpecials(Array(text.unicodeScalars)[...], rawSpecials, into: &ids) { piece, ids in
            let normalized = CLIPPreTokenizer.normalize(String(String.UnicodeScalarView(piece)))
            Self.splitOnSpecials(normalized[...], normalizedSpecials, into: &ids) { rest, ids in
                for word in CLIPPreTokenizer.split(rest) { ids += bpe.encode(word: word) }
            }
        }
        return ids
    }

    /// `[bos] + ids + [eos]`, truncated to `length` ids (eos kept last) and, when `padding` is on, padded
    /// with ``padID`` to `length` — what `tokenizer(text, padding="max_length", max_length=length,
    /// truncation=True)` returns. `length` defaults to ``maxLength`` (77) and is at least 2.
    public func encode(_ text: String, length: Int? = nil, padding: Bool = true) -> [Int32] {
        let length = max(length ?? maxLength, 2)
        var ids = [bosID] + tokenize(text).prefix(length - 2) + [eosID]
        if padding && ids.count < length { ids += [Int32](repeating: padID, count: length - ids.count) }
        return ids
    }

    /// Cuts the leftmost-longest occurrences of `specials` out of `text`; pieces between them go to `body`.
    private static func splitOnSpecials(_ text: ArraySlice<Unicode.Scalar>, _ specials: [(scalars: [Unicode.Scalar], id: Int32)],
                                        into ids: inout [Int32],
                                        _ body: (ArraySlice<Unicode.Scalar>, inout [Int32]) -> Void) {
        guard !specials.isEmpty else { body(text, &ids); return }
        var start = text.startIndex, i = text.startIndex
        while i < text.endIndex {
            var match: (length: Int, id: Int32)? = nil
            for s in specials where s.scalars.count <= text.endIndex - i && (match == nil || s.scalars.count > match!.length) {
                if text[i..<(i + s.scalars.count)].elementsEqual(s.scalars) { match = (s.scalars.count, s.id) }
            }
            if let match {
                if start < i { body(text[start..<i], &ids) }
                ids.append(match.id)
                i += match.length
                start = i
            } else {
                i += 1
            }
        }
        if start < text.endIndex { body(text[start..<text.endIndex], &ids) }
    }

    // MARK: Files

    static func readVocabulary(_ url: URL) throws -> [String: Int32] {
        let data = try readFile(url)
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: data) } catch {
            throw TokenizerError.malformedVocabulary(url, "not valid JSON (\(error.localizedDescription))")
        }
        guard let dict = object as? [String: Any], !dict.isEmpty else {
            throw TokenizerError.malformedVocabulary(url, "expected a non-empty JSON object of token → id")
        }
        var vocabulary: [String: Int32] = [:]
        vocabulary.reserveCapacity(dict.count)
        for (token, value) in dict {
            guard let n = value as? NSNumber, let id = Int32(exactly: n.doubleValue), id >= 0 else {
                throw TokenizerError.malformedVocabulary(url, "the id of token '\(token)' is \(value), not a non-negative integer")
            }
            vocabulary[token] = id
        }
        return vocabulary
    }

    /// The merge pairs and, for each, its 1-based line number in the file.
    static func readMerges(_ url: URL) throws -> ([(String, String)], [Int]) {
        let data = try readFile(url)
        guard let text = String(data: data, encoding: .utf8) else {
            throw TokenizerError.malformedMerges(url, line: 1, "the file is not UTF-8 text")
        }
        var merges: [(String, String)] = [], lines: [Int] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = line.hasSuffix("\r") ? line.dropLast() : line
            if line.isEmpty || (index == 0 && line.hasPrefix("#version")) { continue }
            let parts = line.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw TokenizerError.malformedMerges(url, line: index + 1, "expected two tokens separated by one space, found '\(line.prefix(80))'")
            }
            merges.append((String(parts[0]), String(parts[1])))
            lines.append(index + 1)
        }
        guard !merges.isEmpty else { throw TokenizerError.malformedMerges(url, line: 1, "the file holds no merges") }
        return (merges, lines)
    }

    private static func readFile(_ url: URL) throws -> Data {
        guard FileManager.default.fileExists(atPath: url.path) else { throw TokenizerError.missingFile(url) }
        do { return try Data(contentsOf: url) } catch { throw TokenizerError.unreadableFile(url, "\(error.localizedDescription)") }
    }
}
