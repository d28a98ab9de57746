import Foundation

/// Byte-level BPE with an end-of-word suffix, as in the Hugging Face `tokenizers` `BPE` model that
/// transformers' `CLIPTokenizer` uses (`end_of_word_suffix = "</w>"`, no dropout, no prefix).
///
/// A word's bytes start as one symbol each, the last one spelled with `</w>`. The adjacent pair with the
/// lowest merge rank is merged (the leftmost on ties) until no pair has a rank. Merges are looked up in
/// a rank table keyed by the two symbol ids, and results are cached per word.
final class BytePairEncoder: @unchecked Sendable {
    struct Merge { var rank: Int32; var result: Int32 }

    /// Id of each byte's symbol inside a word, and at the end of a word (with `</w>`).
    private let byteIDs: [Int32], finalByteIDs: [Int32]
    private let merges: [UInt64: Merge]
    // Keyed by bytes: Swift `String` equality is canonical equivalence, which would merge distinct words.
    private var cache: [[UInt8]: [Int32]] = [:]
    private let lock = NSLock()
    /// Words longer than this (in bytes) are not cached; the cache is emptied when it holds `cacheLimit` words.
    private let cacheLimit = 10_000, cacheableLength = 256

    /// - Parameters:
    ///   - vocabulary: token → id (`vocab.json`).
    ///   - merges: the merge pairs in rank order (`merges.txt` without its `#version` line).
    ///   - unknownID: id used for a byte symbol missing from the vocabulary (`unk_token`).
    ///   - mergeLine: for errors, the merges.txt line of merge `i`.
    init(vocabulary: [String: Int32], merges pairs: [(String, String)], unknownID: Int32,
         mergesURL: URL, mergeLine: (Int) -> Int) throws {
        byteIDs = ByteLevelAlphabet.characters.map { vocabulary[String($0)] ?? unknownID }
        finalByteIDs = ByteLevelAlphabet.characters.map { vocabulary[String($0) + "</w>"] ?? unknownID }
        var table: [UInt64: Merge] = [:]
        table.reserveCapacity(pairs.count)
        for (rank, (a, b)) in pairs.enumerated() {
            guard let ia = vocabulary[a], let ib = vocabulary[b] else {
                throw TokenizerError.malformedMerges(mergesURL, line: mergeLine(rank),
                    "token '\(vocabulary[a] == nil ? a : b)' is not in vocab.json")
            }
            guard let merged = vocabulary[a + b] else {
                throw TokenizerError.malformedMerges(mergesURL, line: mergeLine(rank), "merged token '\(a + b)' is not in vocab.json")
            }
            let key = Self.key(ia, ib)
            if table[key] == nil { table[key] = Merge(rank: Int32(rank), result: merged) }
        }
        merges = table
    }

    private static func key(_ a: Int32, _ b: Int32) -> UInt64 { UInt64(UInt32(bitPattern: a)) << 32 | UInt64(UInt32(bitPattern: b)) }

    /// The token ids of one pre-tokenized word.
    func encode(word: String) -> [Int32] {
        let bytes = Array(word.utf8)
        guard !bytes.isEmpty else { return [] }
        let cacheable = bytes.count <= cacheableLength
        if cacheable {
            lock.lock()
            let hit = cache[bytes]
            lock.unlock()
            if let hit { return hit }
        }
        var symbols = bytes.indices.map { $0 == bytes.count - 1 ? finalByteIDs[Int(bytes[$0])] : byteIDs[Int(bytes[$0])] }
        while symbols.count > 1 {
            var best: (index: Int, merge: Merge)? = nil
            for i in 0..<(symbols.count - 1) {
                if let m = merges[Self.key(symbols[i], symbols[i + 1])], best == nil || m.rank < best!.merge.rank {
                    best = (i, m)
                }
            }
            guard let best else { break }
            symbols[best.index] = best.merge.result
            symbols.remove(at: best.index + 1)
        }
        if cacheable {
            lock.lock()
            if cache.count >= cacheLimit { cache.removeAll(keepingCapacity: true) }
            cache[bytes] = symbols
            lock.unlock()
        }
        return symbols
    }
}
