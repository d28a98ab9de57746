import Foundation
import XCTest
@testable import DepthDiffusion

/// `tokenizer.json` (the Hugging Face `tokenizers` file that transformers 5 writes) against `vocab.json` +
/// `merges.txt` and against transformers' own ids.
final class TokenizerJSONTests: XCTestCase {
    private struct Cases: Decodable {
        struct Case: Decodable { var text: String; var ids: [Int32] }
        var cases: [Case]
    }

    private func temporaryFolder() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tokenizer-json-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        return dir
    }

    /// transformers' `save_pretrained` output for the real CLIP vocabulary, with `model.vocab` and `model.merges`
    /// filled back in from the committed vocab.json and merges.txt (the fixture script checks that this gives the
    /// saved file); `mergesAsStrings` writes the merges in the older `"a b"` form.
    private func realTokenizerJSON(mergesAsStrings: Bool) throws -> [String: Any] {
        let skeleton = fixtureURL("tokenizer/tokenizer_json/tokenizer.json")
        var root = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: skeleton)) as? [String: Any])
        var model = try XCTUnwrap(root["model"] as? [String: Any])
        let clip = fixtureURL("tokenizer/clip")
        model["vocab"] = try JSONSerialization.jsonObject(with: Data(contentsOf: clip.appendingPathComponent("vocab.json")))
        let (pairs, _) = try CLIPTokenizer.readMerges(clip.appendingPathComponent("merges.txt"))
        model["merges"] = mergesAsStrings ? pairs.map { "\($0.0) \($0.1)" } as [Any] : pairs.map { [$0.0, $0.1] } as [Any]
        root["model"] = model
        return root
    }

    private func write(_ root: [String: Any], to folder: URL, config: URL = fixtureURL("tokenizer/tokenizer_json/tokenizer_config.json")) throws {
        try JSONSerialization.data(withJSONObject: root).write(to: folder.appendingPathComponent("tokenizer.json"))
        let configTarget = folder.appendingPathComponent("tokenizer_config.json")
        if !FileManager.default.fileExists(atPath: configTarget.path) { try FileManager.default.copyItem(at: config, to: configTarget) }
    }

    /// The 294-string corpus: tokenizer.json (both merge forms) gives exactly the ids of vocab.json + merges.txt,
    /// which are transformers' ids.
    func testCorpusGivesTheSameIDsAsVocabAndMerges() throws {
        let fixture = try JSONDecoder().decode(Cases.self, from: Data(contentsOf: fixtureURL("tokenizer/cases.json")))
        XCTAssertGreaterThanOrEqual(fixture.cases.count, 290)
        let files = try CLIPTokenizer(folder: fixtureURL("tokenizer/clip"))
        for asStrings in [false, true] {
            let folder = try temporaryFolder()
            try write(try realTokenizerJSON(mergesAsStrings: asStrings), to: folder)
            let json = try CLIPTokenizer(folder: folder)
            XCTAssertEqual([json.bosID, json.eosID, json.padID], [49406, 49407, 0])
            XCTAssertEqual(json.vocabularySize, 49408)
            var mismatches = 0
            for c in fixture.cases {
                let ids = json.encode(c.text)
                if ids != c.ids || ids != files.encode(c.text) { mismatches += 1; XCTFail("\(c.text.debugDescription) (string merges: \(asStrings))") }
                XCTAssertEqual(json.tokenize(c.text), files.tokenize(c.text))
            }
            print("[tokenizer.json] \(fixture.cases.count) strings, merges as \(asStrings ? "strings" : "pairs"): \(mismatches) mismatches")
        }
    }

    /// A tokenizer folder written by transformers 5.24 `save_pretrained` (tokenizer.json and tokenizer_config.json
    /// only, a tiny vocabulary) gives transformers' ids, including a normalized special token in capitals.
    func testSavedByTransformersGivesItsIDs() throws {
        let tokenizer = try CLIPTokenizer(folder: fixtureURL("hub/saved_model/tokenizer"))
        XCTAssertEqual([tokenizer.bosID, tokenizer.eosID, tokenizer.padID], [812, 813, 0])
        XCTAssertEqual(tokenizer.vocabularySize, 814)
        let cases = try JSONDecoder().decode([Cases.Case].self, from: Data(contentsOf: fixtureURL("hub/saved_model_case/tiny_tokenizer_cases.json")))
        XCTAssertEqual(cases.count, 6)
        for c in cases { XCTAssertEqual(tokenizer.encode(c.text), c.ids, c.text.debugDescription) }
    }

    func testTokenizerJSONIsPreferredOverVocabAndMerges() throws {
        let folder = try temporaryFolder()
        for name in ["vocab.json", "merges.txt", "special_tokens_map.json", "tokenizer_config.json"] {
            try FileManager.default.copyItem(at: fixtureURL("tokenizer/clip/\(name)"), to: folder.appendingPathComponent(name))
        }
        XCTAssertEqual(try CLIPTokenizer(folder: folder).vocabularySize, 49408)
        try FileManager.default.copyItem(at: fixtureURL("hub/saved_model/tokenizer/tokenizer.json"), to: folder.appendingPathComponent("tokenizer.json"))
        XCTAssertEqual(try CLIPTokenizer(folder: folder).vocabularySize, 814)
    }

    /// Every configuration this tokenizer does not implement is an error naming the field.
    func testUnsupportedConfigurationNamesTheField() throws {
        let saved = fixtureURL("hub/saved_model/tokenizer/tokenizer.json")
        let base = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: saved)) as? [String: Any])
        func check(_ field: String, unsupported: Bool = true, _ edit: (inout [String: Any]) -> Void) throws {
            var root = base
            edit(&root)
            let folder = try temporaryFolder()
            try write(root, to: folder, config: fixtureURL("hub/saved_model/tokenizer/tokenizer_config.json"))
            XCTAssertThrowsError(try CLIPTokenizer(folder: folder), field) { error in
                switch error as? TokenizerError {
                case let .unsupportedTokenizerJSON(_, f, _)? where unsupported: XCTAssertEqual(f, field)
                case let .malformedTokenizerJSON(_, f, _)? where !unsupported: XCTAssertEqual(f, field)
                default: XCTFail("\(field): unexpected \(error)")
                }
                XCTAssertTrue("\(error)".contains(field), "\(error)")
            }
        }
        func model(_ key: String, _ value: Any) -> (inout [String: Any]) -> Void {
            { root in var m = root["model"] as! [String: Any]; m[key] = value; root["model"] = m }
        }
        try check("model.type", model("type", "WordPiece"))
        try check("model.dropout", model("dropout", 0.1))
        try check("model.end_of_word_suffix", model("end_of_word_suffix", ""))
        try check("model.byte_fallback", model("byte_fallback", true))
        try check("normalizer") { $0["normalizer"] = NSNull() }
        try check("normalizer.normalizers") { root in
            root["normalizer"] = ["type": "Sequence", "normalizers": [["type": "NFC"], ["type": "Lowercase"]]]
        }
        try check("pre_tokenizer.pretokenizers[0].pattern") { root in
            var pre = root["pre_tokenizer"] as! [String: Any]
            var steps = pre["pretokenizers"] as! [[String: Any]]
            steps[0]["pattern"] = ["Regex": "\\w+"]
            pre["pretokenizers"] = steps
            root["pre_tokenizer"] = pre
        }
        try check("pre_tokenizer.pretokenizers[1].add_prefix_space") { root in
            var pre = root["pre_tokenizer"] as! [String: Any]
            var steps = pre["pretokenizers"] as! [[String: Any]]
            steps[1]["add_prefix_space"] = true
            pre["pretokenizers"] = steps
            root["pre_tokenizer"] = pre
        }
        try check("added_tokens[1].lstrip") { root in
            var added = root["added_tokens"] as! [[String: Any]]
            added[1]["lstrip"] = true
            root["added_tokens"] = added
        }
        try check("post_processor.type") { $0["post_processor"] = ["type": "ByteLevel"] }
        try check("post_processor") { root in
            root["post_processor"] = ["type": "RobertaProcessing", "cls": ["<|startoftext|>", 5], "sep": ["<|endoftext|>", 813]]
        }
        try check("model.merges[1]", unsupported: false, model("merges", [["i", "n"], "t h e"]))
        try check("model.merges[0]", unsupported: false, model("merges", [["zz", "qq"]]))
        try check("model.vocab", unsupported: false, model("vocab", ["a": -1]))
    }
}
