import Foundation
import Synchronization

/// Byte-level BPE with an end-of-word suffix, as in the Hugging Face `tokenizers` `BPE` model that
/// transformers' `CLIPTokenizer` uses (`end_of_word_suffix = "</w>"`, no dropout, no prefix).
///
/// A word's bytes start as one symbol each, the last one spelled with `</w>`. The adjacent pair with the
/// lowest merge rank is merged (the leftmost on ties) until no pair has a rank. Merges are looked up in
/// a rank table keyed by the two symbol ids, and results are cached per word.
final class BytePairEncoder: Sendable {
    struct Merge { var rank: Int32; var result: Int32 }

    /// Id of each byte's symbol inside a word, and at the end of a word (with `</w>`).
    private let byteIDs: [Int32], finalByteIDs: [Int32]
    private let merges: [UInt64: Merge]
    // Keyed by bytes: Swift `String` equality is canonical equivalence, which would merge distinct words.
    private let cache = Mutex<[[UInt8]: [Int32]]>([:])
    /// Words longer than this (in bytes) are not cached; the cache is emptied when it holds `cacheLimit` words.
    private let cacheLimit = 10_000, cacheableLength = 256

    /// - Parameters:
    ///   - vocabulary: token → id (`vocab.json`).
    ///   - merges: the merge pairs in rank order (`merges.txt` without its `#version` line).
    ///   - unknownID: id used for a byte symbol missing from the vocabulary (`unk_token`).
    ///   - vocabularyName: where the vocabulary came from, for errors (`vocab.json`, `tokenizer.json's model.vocab`).
    ///   - mergeError: the error for merge number `i` (0-based) with a reason.
    init(vocabulary: [String: Int32], merges pairs: [(String, String)], unknownID: Int32,
         vocabularyName: String, mergeError: (Int, String) -> TokenizerError) throws {
        byteIDs = ByteLevelAlphabet.characters.map { vocabulary[String($0)] ?? unknownID }
        finalByteIDs = ByteLevelAlphabet.characters.map { vocabulary[String($0) + "</w>"] ?? unknownID }
        var table: [UInt64: Merge] = [:]
        table.reserveCapacity(pairs.count)
        for (rank, (a, b)) in pairs.enumerated() {
            guard let ia = vocabulary[a], let ib = vocabulary[b] else {
                throw mergeError(rank, "token '\(vocabulary[a] == nil ? a : b)' is not in \(vocabularyName)")
            }
            guard let merged = vocabulary[a + b] else {
                throw mergeError(rank, "merged token '\(a + b)' is not in \(vocabularyName)")
            }
            let key = Self.key(ia, ib)
            if table[key] == nil { table[key] = Merge(rank: Int32(rank), result: merged) }
        }
        merges = table
    }

    private static func key(_ a: Int32, _ b: Int32) -> UInt64 { UInt64(UInt32(bitPattern: a)) << 32 | UInt64(UInt32(bitPattern: b)) }

    /// A merge candidate: the pair starting at symbol `position`, which would become `result`.
    private struct Candidate {
        var rank: Int32, position: Int32, result: Int32
        /// Lower rank first, then the leftmost position (the order of `tokenizers`' priority queue).
        func precedes(_ o: Candidate) -> Bool { rank != o.rank ? rank < o.rank : position < o.position }
    }

    /// Applies merges to a word's symbols in O(n log n): a doubly linked list of symbols and a binary
    /// min-heap of candidate pairs; stale candidates (a side already merged away) are skipped when popped.
    private func merge(_ initial: [Int32]) -> [Int32] {
        let n = initial.count
        guard n > 1 else { return initial }
        var ids = initial
        var next = (0..<n).map { Int32($0 + 1) }, prev = (0..<n).map { Int32($0 - 1) }
        next[n - 1] = -1
        var alive = [Bool](repeating: true, count: n)
        var heap: [Candidate] = []
        heap.reserveCapacity(n)
        func push(_ c: Candidate) {
            heap.append(c)
            var i = heap.count - 1
            while i > 0 {
                let parent = (i - 1) / 2
                guard heap[i].precedes(heap[parent]) else { break }
                heap.swapAt(i, parent); i = parent
            }
        }
        func pop() -> Candidate {
            let top = heap[0]
            let last = heap.removeLast()
            if !heap.isEmpty {
                heap[0] = last
                var i = 0
                while true {
                    let l = 2 * i + 1, r = l + 1
                    var m = i
                    if l < heap.count && heap[l].precedes(heap[m]) { m = l }
                    if r < heap.count && heap[r].precedes(heap[m]) { m = r }
                    if m == i { break }
                    heap.swapAt(i, m); i = m
                }
            }
            return top
        }
        func consider(_ left: Int) {
            let right = Int(next[left])
            guard right >= 0, let m = merges[Self.key(ids[left], ids[right])] else { return }
            push(Candidate(rank: m.rank, position: Int32(left), result: m.result))
        }
        for i in 0..<(n - 1) { consider(i) }
        while !heap.isEmpty {
            let c = pop()
            let left = Int(c.position)
            guard alive[left], next[left] >= 0 else { continue }
            let right = Int(next[left])
            guard let m = merges[Self.key(ids[left], ids[right])], m.result == c.result else { continue }
            ids[left] = c.result
            alive[right] = false
            next[left] = next[right]
            if next[right] >= 0 { prev[Int(next[right])] = Int32(left) }
            if prev[left] >= 0 { consider(Int(prev[left])) }
            consider(left)
        }
        var out: [Int32] = []
        var i = 0
        while i >= 0 { out.append(ids[i]); i = Int(next[i]) }
        return out
    }

    /// The token ids of one pre-tokenized word.
    func encode(word: String) -> [Int32] {
        let bytes = Array(word.utf8)
        guard !bytes.isEmpty else { return [] }
        let cacheable = bytes.count <= cacheableLength
        if cacheable {
            let hit = cache.withLock { $0[bytes] }
            if let hit { return hit }
        }
        let symbols = merge(bytes.indices.map { $0 == bytes.count - 1 ? finalByteIDs[Int(bytes[$0])] : byteIDs[Int(bytes[$0])] })
        if cacheable {
            cache.withLock { cache in
                if cache.count >= cacheLimit { cache.removeAll(keepingCapacity: true) }
                cache[bytes] = symbols
            }
        }
        return symbols
    }
}
