import Foundation

/// The text normalisation and word splitting of transformers' `CLIPTokenizer` (transformers 5, backed by
/// the `tokenizers` library).
///
/// Normalizer: `NFC`, then every run of Unicode white space (`\s+`, the `White_Space` property) becomes one
/// space, then each code point is lowercased on its own (full case mapping without context, so `Σ` is
/// always `σ` and `İ` becomes `i̇`). There is no ftfy fix-up and no HTML unescaping: `&amp;` stays three
/// words. Pre-tokenizer: the CLIP pattern
/// `'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+` keeps its matches and drops the rest
/// (the spaces); each digit is its own word.
///
/// Unicode versions: the reference matches `\p{L}`/`\p{N}` with Oniguruma's Unicode 16 tables, while Swift 6.3
/// knows Unicode 17, so code points first assigned after Unicode 16 are neither letters nor numbers here
/// (checked over every code point against tokenizers 0.23); lowercasing (Rust's tables) already knows them.
/// Its NFC uses Unicode 9.0 tables: see ``referenceNFC(_:)``.
enum CLIPPreTokenizer {
    /// Whether `scalar` was assigned after the reference's Unicode version (16.0).
    static func isNewerThanReference(_ p: Unicode.Scalar.Properties) -> Bool {
        guard let age = p.age else { return false }
        return age.major > 16
    }

    /// NFC, white-space collapse and per-code-point lowercasing, as a list of code points.
    static func normalize<S: StringProtocol>(_ text: S) -> [Unicode.Scalar] {
        let nfc = referenceNFC(String(text))
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(nfc.unicodeScalars.count)
        var inSpace = false
        for scalar in composingHangulLVT(nfc.unicodeScalars) {
            if scalar.value < 0x80 {
                let v = scalar.value
                if v == 0x20 || (0x09...0x0D).contains(v) {
                    if !inSpace { out.append(" ") }
                    inSpace = true
                    continue
                }
                inSpace = false
                out.append((0x41...0x5A).contains(v) ? Unicode.Scalar(UInt8(v + 0x20)) : scalar)
                continue
            }
            if scalar.properties.isWhitespace {
                if !inSpace { out.append(" ") }
                inSpace = true
                continue
            }
            inSpace = false
            if scalar.properties.changesWhenLowercased {
                out.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
            } else {
                out.append(scalar)
            }
        }
        return out
    }

    /// Whether the reference's normalization tables (Unicode 9.0, in the `unicode-normalization-alignments`
    /// crate) lack this combining mark's class: marks from Unicode 10 on count as starters (class 0) there.
    static func isMarkUnknownToReferenceNFC(_ s: Unicode.Scalar) -> Bool {
        guard s.value >= 0x300 else { return false }
        let p = s.properties
        guard p.canonicalCombiningClass.rawValue > 0, let age = p.age else { return false }
        return age.major > 9
    }

    /// NFC as the reference computes it: marks it does not know (``isMarkUnknownToReferenceNFC(_:)``) are
    /// starters, so nothing is reordered across them. The text is normalized in pieces split before and
    /// after each such mark, which is left as it is.
    ///
    /// The Tibetan vowel signs U+0F73, U+0F75 and U+0F81 (class 0, decomposing to two marks, excluded from
    /// composition) are decomposed first: Foundation on Linux does not reorder the marks that follow them.
    static func referenceNFC(_ original: String) -> String {
        var text = original
        if text.unicodeScalars.contains(where: { $0.value == 0x0F73 || $0.value == 0x0F75 || $0.value == 0x0F81 }) {
            var view = String.UnicodeScalarView()
            for s in text.unicodeScalars {
                switch s.value {
                case 0x0F73: view.append(contentsOf: ["\u{0F71}", "\u{0F72}"])
                case 0x0F75: view.append(contentsOf: ["\u{0F71}", "\u{0F74}"])
                case 0x0F81: view.append(contentsOf: ["\u{0F71}", "\u{0F80}"])
                default: view.append(s)
                }
            }
            text = String(view)
        }
        guard text.unicodeScalars.contains(where: isMarkUnknownToReferenceNFC) else {
            return text.precomposedStringWithCanonicalMapping
        }
        var result = String.UnicodeScalarView(), piece = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if isMarkUnknownToReferenceNFC(scalar) {
                result.append(contentsOf: String(piece).precomposedStringWithCanonicalMapping.unicodeScalars)
                result.append(scalar)
                piece = String.UnicodeScalarView()
            } else {
                piece.append(scalar)
            }
        }
        result.append(contentsOf: String(piece).precomposedStringWithCanonicalMapping.unicodeScalars)
        return String(result)
    }

    /// Completes Foundation's NFC on Linux, which leaves an LV Hangul syllable followed by a trailing
    /// consonant jamo (U+AC70 U+11B1) uncomposed; NFC (and the reference) gives one LVT syllable (U+AC7A).
    static func composingHangulLVT(_ scalars: String.UnicodeScalarView) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(scalars.count)
        for scalar in scalars {
            if let lv = out.last?.value, (0xAC00...0xD7A3).contains(lv), (lv - 0xAC00) % 28 == 0,
               (0x11A8...0x11C2).contains(scalar.value), let lvt = Unicode.Scalar(lv + scalar.value - 0x11A7) {
                out[out.count - 1] = lvt
            } else {
                out.append(scalar)
            }
        }
        return out
    }

    static func isLetter(_ s: Unicode.Scalar) -> Bool {
        if s.value < 0x80 { return (0x61...0x7A).contains(s.value) || (0x41...0x5A).contains(s.value) }
        let p = s.properties
        switch p.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return !isNewerThanReference(p)
        default: return false
        }
    }

    static func isNumber(_ s: Unicode.Scalar) -> Bool {
        if s.value < 0x80 { return (0x30...0x39).contains(s.value) }
        let p = s.properties
        switch p.generalCategory {
        case .decimalNumber, .letterNumber, .otherNumber: return !isNewerThanReference(p)
        default: return false
        }
    }

    static func isSpace(_ s: Unicode.Scalar) -> Bool {
        s.value < 0x80 ? (s.value == 0x20 || (0x09...0x0D).contains(s.value)) : s.properties.isWhitespace
    }

    /// Splits normalized code points into words with the CLIP pattern (matches kept, the rest dropped).
    static func split(_ scalars: ArraySlice<Unicode.Scalar>) -> [String] {
        var words: [String] = []
        var i = scalars.startIndex
        let end = scalars.endIndex
        func word(_ range: Range<Int>) -> String {
            var s = String.UnicodeScalarView()
            s.append(contentsOf: scalars[range])
            return String(s)
        }
        while i < end {
            let c = scalars[i]
            // Contractions come first in the alternation: 's 't 'm 'd 're 've 'll.
            if c == "'" && i + 1 < end {
                let n = scalars[i + 1]
                if n == "s" || n == "t" || n == "m" || n == "d" { words.append(word(i..<(i + 2))); i += 2; continue }
                if i + 2 < end {
                    let m = scalars[i + 2]
                    if (n == "r" && m == "e") || (n == "v" && m == "e") || (n == "l" && m == "l") {
                        words.append(word(i..<(i + 3))); i += 3; continue
                    }
                }
            }
            if isLetter(c) {
                var j = i + 1
                while j < end && isLetter(scalars[j]) { j += 1 }
                words.append(word(i..<j)); i = j
            } else if isNumber(c) {
                words.append(word(i..<(i + 1))); i += 1
            } else if isSpace(c) {
                i += 1
            } else {
                var j = i + 1
                while j < end, !isSpace(scalars[j]), !isLetter(scalars[j]), !isNumber(scalars[j]) { j += 1 }
                words.append(word(i..<j)); i = j
            }
        }
        return words
    }
}
