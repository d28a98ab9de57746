import Foundation
import XCTest
@testable import DepthDiffusion

final class CLIPTokenizerTests: XCTestCase {
    private struct Cases: Decodable {
        struct Case: Decodable { var text: String; var ids: [Int32]; var untruncated: [Int32]? }
        var transformers: String
        var cases: [Case]
    }

    private static let folder = fixtureURL("tokenizer/clip")
    // Loading the 49408-entry vocabulary once for the whole class (a static let is initialised once, thread-safely).
    private static let shared = Result { try CLIPTokenizer(folder: folder) }
    private func tokenizer() throws -> CLIPTokenizer { try Self.shared.get() }

    func testLoadsStableDiffusion2Configuration() throws {
        let t = try tokenizer()
        XCTAssertEqual(t.vocabularySize, 49408)
        XCTAssertEqual(t.bosID, 49406)
        XCTAssertEqual(t.eosID, 49407)
        XCTAssertEqual(t.padID, 0)
        XCTAssertEqual(t.maxLength, 77)
    }

    /// Exact ids against transformers' `CLIPTokenizer(text, padding="max_length", max_length=77, truncation=True)`.
    func testMatchesTransformersOnEveryFixtureString() throws {
        try checkCases(fixtureURL("tokenizer/cases.json"), minimum: 200)
    }

    /// Opt-in: `TOKENIZER_EXTRA_CASES=/path/cases.json` checks a larger file in the same format (for example
    /// thousands of random strings over many Unicode blocks, written with the reference env).
    func testMatchesTransformersOnExtraCases() throws {
        guard let path = ProcessInfo.processInfo.environment["TOKENIZER_EXTRA_CASES"] else {
            throw XCTSkip("set TOKENIZER_EXTRA_CASES to a cases.json file to run")
        }
        try checkCases(URL(fileURLWithPath: path), minimum: 1)
    }

    private func checkCases(_ url: URL, minimum: Int) throws {
        let t = try tokenizer()
        let data = try Data(contentsOf: url)
        let fixture = try JSONDecoder().decode(Cases.self, from: data)
        XCTAssertGreaterThanOrEqual(fixture.cases.count, minimum)
        var failures = 0
        let start = Date()
        for c in fixture.cases {
            let ids = t.encode(c.text)
            if ids != c.ids {
                failures += 1
                let first = (0..<min(ids.count, c.ids.count)).first { ids[$0] != c.ids[$0] } ?? min(ids.count, c.ids.count)
                XCTFail("\(c.text.debugDescription): ids differ from index \(first): got \(ids[first...].prefix(12)), expected \(c.ids[first...].prefix(12))")
            }
            if let full = c.untruncated {
                XCTAssertEqual([t.bosID] + t.tokenize(c.text) + [t.eosID], full, "untruncated \(c.text.debugDescription)")
                XCTAssertEqual(t.encode(c.text, padding: false), c.ids, "no padding needed past 77 ids")
            }
        }
        print("[tokenizer] \(fixture.cases.count) strings (transformers \(fixture.transformers)), \(failures) mismatches, "
              + String(format: "%.1f ms", Date().timeIntervalSince(start) * 1000))
    }

    func testEmptyPromptAndPadQuirk() throws {
        let t = try tokenizer()
        XCTAssertEqual(t.encode(""), [49406, 49407] + [Int32](repeating: 0, count: 75))
        XCTAssertEqual(t.encode("   \n\t"), t.encode(""))
        // "!" is the pad token, a special token cut out of the raw text: id 0, not BPE's "!</w>" (256).
        XCTAssertEqual(Array(t.encode("hello!").prefix(4)), [49406, 3306, 0, 49407])
        XCTAssertEqual(t.tokenize("!!!"), [0, 0, 0])
        XCTAssertEqual(t.encode("a photograph of an astronaut riding a horse", padding: false),
                       [49406, 320, 8853, 539, 550, 18376, 6765, 320, 4558, 49407])
    }

    func testTruncationKeepsEndOfText() throws {
        let t = try tokenizer()
        let ids = t.encode(String(repeating: "word ", count: 200))
        XCTAssertEqual(ids.count, 77)
        XCTAssertEqual(ids.first, 49406)
        XCTAssertEqual(ids.last, 49407)
        XCTAssertEqual(t.encode("a b c", length: 4), [49406, 320, 321, 49407])
    }

    /// BPE is O(n log n) per word: a 100 000-letter word (not cached) tokenizes quickly.
    func testVeryLongWordIsFast() throws {
        let t = try tokenizer()
        var random = TestRandom(seed: 5)
        let word = String(String.UnicodeScalarView((0..<100_000).map { _ in Unicode.Scalar(UInt8(97 + random.int(0...25))) }))
        let start = Date()
        let ids = t.encode(word)
        let seconds = Date().timeIntervalSince(start)
        XCTAssertEqual(ids.count, 77)
        XCTAssertLessThan(seconds, 5, "took \(seconds) s")
        print(String(format: "[tokenizer] 100 000-letter word: %.0f ms", seconds * 1000))
    }

    func testInMemoryVocabulary() throws {
        var vocabulary: [String: Int32] = [:]
        for (i, c) in ByteLevelAlphabet.characters.enumerated() {
            vocabulary[String(c)] = Int32(i)
            vocabulary[String(c) + "</w>"] = Int32(256 + i)
        }
        vocabulary["ab</w>"] = 512; vocabulary["<|startoftext|>"] = 513; vocabulary["<|endoftext|>"] = 514
        let t = try CLIPTokenizer(vocabulary: vocabulary, merges: [("a", "b</w>")])
        XCTAssertEqual(t.tokenize("AB ab a"), [512, 512, vocabulary["a</w>"]!])
        XCTAssertEqual(t.padID, 514)
    }

    // MARK: Bad files

    private func tempFolder(copying files: [String] = ["vocab.json", "merges.txt", "special_tokens_map.json", "tokenizer_config.json"]) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("clip-tok-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        for f in files {
            try FileManager.default.copyItem(at: Self.folder.appendingPathComponent(f), to: dir.appendingPathComponent(f))
        }
        return dir
    }

    private func assertTokenizerError(_ dir: URL, contains text: String, file: StaticString = #filePath, line: UInt = #line,
                                      _ match: (TokenizerError) -> Bool) {
        XCTAssertThrowsError(try CLIPTokenizer(folder: dir), file: file, line: line) { error in
            guard let e = error as? TokenizerError else { return XCTFail("unexpected error \(error)", file: file, line: line) }
            XCTAssertTrue(match(e), "\(e)", file: file, line: line)
            XCTAssertTrue(e.description.contains(text), e.description, file: file, line: line)
        }
    }

    func testMissingVocabulary() throws {
        let dir = try tempFolder(copying: ["merges.txt"])
        assertTokenizerError(dir, contains: "vocab.json") { if case .missingFile = $0 { return true }; return false }
        let noMerges = try tempFolder(copying: ["vocab.json"])
        assertTokenizerError(noMerges, contains: "merges.txt") { if case .missingFile = $0 { return true }; return false }
    }

    func testMalformedVocabulary() throws {
        let dir = try tempFolder()
        try Data("{\"a\": 1, ".utf8).write(to: dir.appendingPathComponent("vocab.json"))
        assertTokenizerError(dir, contains: "not valid JSON") { if case .malformedVocabulary = $0 { return true }; return false }
        try Data("{\"a\": \"one\"}".utf8).write(to: dir.appendingPathComponent("vocab.json"))
        assertTokenizerError(dir, contains: "not a non-negative integer") { if case .malformedVocabulary = $0 { return true }; return false }
        try Data("[1, 2]".utf8).write(to: dir.appendingPathComponent("vocab.json"))
        assertTokenizerError(dir, contains: "JSON object") { if case .malformedVocabulary = $0 { return true }; return false }
    }

    func testMalformedMerges() throws {
        let dir = try tempFolder()
        try Data("#version: 0.2\ni n\nt he extra\n".utf8).write(to: dir.appendingPathComponent("merges.txt"))
        assertTokenizerError(dir, contains: "line 3") { if case .malformedMerges(_, 3, _) = $0 { return true }; return false }
        try Data("#version: 0.2\ni n\nzzzqqq xxyy\n".utf8).write(to: dir.appendingPathComponent("merges.txt"))
        assertTokenizerError(dir, contains: "not in vocab.json") { if case .malformedMerges(_, 3, _) = $0 { return true }; return false }
        try Data("#version: 0.2\n".utf8).write(to: dir.appendingPathComponent("merges.txt"))
        assertTokenizerError(dir, contains: "no merges") { if case .malformedMerges = $0 { return true }; return false }
    }

    func testBadSpecialTokens() throws {
        let dir = try tempFolder()
        try Data("{\"pad_token\": \"<pad>\"}".utf8).write(to: dir.appendingPathComponent("special_tokens_map.json"))
        assertTokenizerError(dir, contains: "'<pad>' is not in vocab.json") { if case .invalidConfiguration = $0 { return true }; return false }
        try Data("{\"pad_token\": 5}".utf8).write(to: dir.appendingPathComponent("special_tokens_map.json"))
        XCTAssertThrowsError(try CLIPTokenizer(folder: dir)) { error in
            guard case ConfigError.unreadable(_, let reason) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(reason.contains("pad_token"), reason)
        }
        try Data("{\"pad_token\": {\"content\": \"!\", \"lstrip\": true}}".utf8).write(to: dir.appendingPathComponent("special_tokens_map.json"))
        XCTAssertThrowsError(try CLIPTokenizer(folder: dir)) { error in
            guard case ConfigError.unsupported(_, "special token lstrip", _, _) = error else { return XCTFail("\(error)") }
        }
        try Data("{\"model_max_length\": -3}".utf8).write(to: dir.appendingPathComponent("tokenizer_config.json"))
        try FileManager.default.removeItem(at: dir.appendingPathComponent("special_tokens_map.json"))
        XCTAssertThrowsError(try CLIPTokenizer(folder: dir)) { error in
            guard case ConfigError.inconsistent(_, let detail) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(detail.contains("model_max_length"), detail)
        }
    }

    /// special_tokens_map.json overrides tokenizer_config.json; without either, CLIP's defaults apply.
    func testSpecialTokenResolution() throws {
        let dir = try tempFolder(copying: ["vocab.json", "merges.txt"])
        let defaults = try CLIPTokenizer(folder: dir)
        XCTAssertEqual(defaults.padID, 49407)
        XCTAssertEqual(defaults.tokenize("a!"), [320, 256])
        try Data("{\"pad_token\": \"<|endoftext|>\", \"model_max_length\": 77}".utf8).write(to: dir.appendingPathComponent("tokenizer_config.json"))
        try Data("{\"pad_token\": \"!\"}".utf8).write(to: dir.appendingPathComponent("special_tokens_map.json"))
        let sd2 = try CLIPTokenizer(folder: dir)
        XCTAssertEqual(sd2.padID, 0)
        XCTAssertEqual(sd2.tokenize("a!"), [320, 0])
    }
}
