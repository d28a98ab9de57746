import Foundation
import XCTest
@testable import DepthDiffusion

final class CLIPTextEncoderTests: XCTestCase {
    private func expected(_ name: String) throws -> [Float] {
        let data = try Data(contentsOf: fixtureURL("text_encoder/\(name)/expected.bin"))
        return data.withUnsafeBytes { raw in
            (0..<(data.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
        }
    }

    /// transformers `CLIPTextModel(...).last_hidden_state` on every backend.
    private func checkFixture(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let folder = fixtureURL("text_encoder/\(name)")
        let ids = try JSONDecoder().decode([[Int32]].self, from: Data(contentsOf: folder.appendingPathComponent("input_ids.json")))
        let want = try expected(name)
        for backend in try conformanceBackends() {
            let encoder = try CLIPTextEncoder(folder: folder, backend: backend)
            let out = try encoder(ids: ids.flatMap { $0 }, batch: ids.count)
            XCTAssertEqual(out.shape, [ids.count, ids[0].count, encoder.config.hiddenSize], file: file, line: line)
            let scale = Double(want.map { abs($0) }.max() ?? 1)
            // Measured: ~5e-7 of the scale (DOCS.md, "Models and their measured accuracy"); the bound is 1e-4 of the scale.
            let stats = assertClose(try out.toArray(), want.map(Double.init), atol: 1e-4 * scale, rtol: 0,
                                    "\(name) on \(backend.name)", file: file, line: line)
            print("[text-encoder] \(name) on \(backend.name): \(stats)")
        }
    }

    func testTinyGeluMatchesTransformers() throws { try checkFixture("tiny_gelu") }
    func testTinyQuickGeluMatchesTransformers() throws { try checkFixture("tiny_quick_gelu") }

    func testConfigParsing() throws {
        let config = try CLIPTextConfig(url: fixtureURL("text_encoder/tiny_quick_gelu/config.json"))
        XCTAssertEqual(config.hiddenSize, 32)
        XCTAssertEqual(config.hiddenAct, "quick_gelu")
        XCTAssertEqual(config.numHiddenLayers, 2)
        XCTAssertEqual(config.vocabSize, 100)
    }

    /// The stable-diffusion-2 configuration with random weights: 2 of its 23 layers to keep the test quick
    /// (1.5 GB for all 23), or all of them with `TEXT_ENCODER_FULL_SIZE=1`; `depth-bench text-encoder` runs all 23.
    func testFullSizeConfigurationRuns() throws {
        var config = CLIPTextConfig.stableDiffusion2
        if ProcessInfo.processInfo.environment["TEXT_ENCODER_FULL_SIZE"] == nil { config.numHiddenLayers = 2 }
        for backend in try conformanceBackends() {
            let binder = WeightBinder(source: RandomWeightSource(seed: 3), backend: backend)
            let encoder = try CLIPTextEncoder(config: config, binder: binder)
            try binder.finish()
            let ids = [Int32]([49406, 320, 2368, 49407]) + [Int32](repeating: 0, count: 73)
            let out = try encoder(ids: ids + ids, batch: 2)
            XCTAssertEqual(out.shape, [2, 77, 1024])
            let values = try out.toArray()
            XCTAssertTrue(values.allSatisfy { $0.isFinite })
            // Identical prompts give the same output within float32 rounding. Not always the same bits: a GEMM
            // row's summation order can depend on where the row falls in the CPU backend's blocks (measured: at
            // most 2.6e-6 on values of magnitude up to 3.6).
            let first = Array(values[0..<(77 * 1024)]), second = Array(values[(77 * 1024)...])
            assertClose(second, first.map(Double.init), atol: 1e-5, rtol: 1e-5, "identical prompts on \(backend.name)")
        }
        XCTAssertEqual(CLIPTextEncoder.flopsEstimate(config: .stableDiffusion2, batch: 2, length: 77) / 1e9, 90, accuracy: 1.5)
    }

    // MARK: Bad input

    private func copyFixture(_ name: String) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("clip-te-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: fixtureURL("text_encoder/\(name)"), to: dir)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        return dir
    }

    private func rewriteConfig(_ dir: URL, _ edit: (inout [String: Any]) -> Void) throws {
        let url = dir.appendingPathComponent("config.json")
        var object = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        edit(&object)
        try JSONSerialization.data(withJSONObject: object).write(to: url)
    }

    func testWrongShapesListEveryMismatch() throws {
        let dir = try copyFixture("tiny_quick_gelu")
        try rewriteConfig(dir) { $0["intermediate_size"] = 48; $0["num_hidden_layers"] = 3 }
        XCTAssertThrowsError(try CLIPTextEncoder(folder: dir, backend: try CPUBackend())) { error in
            guard let e = error as? WeightBindingError else { return XCTFail("\(error)") }
            XCTAssertTrue(e.shapeMismatches.contains { $0.name == "encoder.layers.0.mlp.fc1.weight" && $0.expected == [48, 32] && $0.found == [64, 32] })
            XCTAssertTrue(e.missing.contains("encoder.layers.2.self_attn.q_proj.weight"), e.description)
            XCTAssertTrue(e.description.contains("wrong shape"), e.description)
        }
    }

    /// The prefixed (published SD2) layout, with its int64 position_ids buffer.
    func testFewerLayersThanCheckpointIsReported() throws {
        let dir = try copyFixture("tiny_gelu")
        try rewriteConfig(dir) { $0["num_hidden_layers"] = 1 }
        XCTAssertThrowsError(try CLIPTextEncoder(folder: dir, backend: try CPUBackend())) { error in
            guard let e = error as? WeightBindingError else { return XCTFail("\(error)") }
            XCTAssertTrue(e.unexpected.contains("text_model.encoder.layers.1.mlp.fc1.weight"), e.description)
            XCTAssertFalse(e.unexpected.contains("text_model.embeddings.position_ids"), e.description)
            XCTAssertTrue(e.missing.isEmpty && e.shapeMismatches.isEmpty, e.description)
        }
    }

    func testBadConfigs() throws {
        let dir = try copyFixture("tiny_gelu")
        try rewriteConfig(dir) { $0["hidden_act"] = "mish" }
        XCTAssertThrowsError(try CLIPTextEncoder(folder: dir, backend: try CPUBackend())) { error in
            XCTAssertTrue("\(error)".contains("hidden_act = mish is not supported"), "\(error)")
        }
        try rewriteConfig(dir) { $0["hidden_act"] = "gelu"; $0["num_attention_heads"] = 5 }
        XCTAssertThrowsError(try CLIPTextEncoder(folder: dir, backend: try CPUBackend())) { error in
            XCTAssertTrue("\(error)".contains("not a multiple of num_attention_heads"), "\(error)")
        }
        try rewriteConfig(dir) { $0["num_attention_heads"] = 4; $0["hidden_size"] = "wide" }
        XCTAssertThrowsError(try CLIPTextEncoder(folder: dir, backend: try CPUBackend())) { error in
            guard case ConfigError.unreadable = error else { return XCTFail("\(error)") }
            XCTAssertTrue("\(error)".contains("hidden_size"), "\(error)")
        }
        try FileManager.default.removeItem(at: dir.appendingPathComponent("config.json"))
        XCTAssertThrowsError(try CLIPTextEncoder(folder: dir, backend: try CPUBackend())) { error in
            guard case ConfigError.unreadable(_, let reason) = error, reason.contains("missing") else { return XCTFail("\(error)") }
        }
    }

    func testMissingWeights() throws {
        let dir = try copyFixture("tiny_gelu")
        try FileManager.default.removeItem(at: dir.appendingPathComponent("model.safetensors"))
        XCTAssertThrowsError(try CLIPTextEncoder(folder: dir, backend: try CPUBackend()))
    }

    func testBadIDs() throws {
        let encoder = try CLIPTextEncoder(folder: fixtureURL("text_encoder/tiny_quick_gelu"), backend: try CPUBackend())
        XCTAssertThrowsError(try encoder(ids: [1, 2, 100], batch: 1)) { XCTAssertTrue("\($0)".contains("outside the vocabulary")) }
        XCTAssertThrowsError(try encoder(ids: [Int32](repeating: 1, count: 78), batch: 1)) { XCTAssertTrue("\($0)".contains("positions")) }
        XCTAssertThrowsError(try encoder(ids: [1, 2, 3], batch: 2))
        XCTAssertThrowsError(try encoder(ids: [], batch: 1))
    }
}
