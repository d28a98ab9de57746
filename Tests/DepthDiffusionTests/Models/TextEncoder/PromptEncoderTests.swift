import Foundation
import XCTest
@testable import DepthDiffusion

final class PromptEncoderTests: XCTestCase {
    /// The real tokenizer with a narrow random-weight encoder over the full vocabulary.
    private func makeEncoder(_ backend: ComputeBackend) throws -> PromptEncoder {
        let tokenizer = try CLIPTokenizer(folder: fixtureURL("tokenizer/clip"))
        let config = CLIPTextConfig(vocabSize: 49408, hiddenSize: 16, intermediateSize: 32, numHiddenLayers: 1,
                                    numAttentionHeads: 2, hiddenAct: "gelu")
        let binder = WeightBinder(source: RandomWeightSource(seed: 9), backend: backend)
        let encoder = try CLIPTextEncoder(config: config, binder: binder)
        try binder.finish()
        return PromptEncoder(tokenizer: tokenizer, textEncoder: encoder)
    }

    private func rows(_ t: Tensor, _ range: Range<Int>) throws -> [Float] {
        let per = t.shape[1] * t.shape[2]
        return Array(try t.toArray()[(range.lowerBound * per)..<(range.upperBound * per)])
    }

    func testGuidanceBatchIsNegativeThenPositive() throws {
        // A batch encodes each prompt as the prompt alone does, up to the GEMM's rounding: OpenBLAS may sum
        // a row in another order when the batch has more rows (its Haswell kernel does, which some machines
        // select with OPENBLAS_CORETYPE). Measured with Haswell: at most 8.4e-7 on values up to 3.3 (0 with
        // Cooperlake); the prompts differ from each other by more than 0.1.
        let (atol, rtol) = (5e-6, 0.0)
        for backend in try conformanceBackends() {
            let p = try makeEncoder(backend)
            let batch = try p.guidanceBatch(prompt: .text("a castle on a hill"))
            XCTAssertEqual(batch.shape, [2, 77, 16])
            assertClose(try rows(batch, 0..<1), try p.encode([""]).toArray(), atol: atol, rtol: rtol,
                        "empty negative prompt first")
            assertClose(try rows(batch, 1..<2), try p.encode(["a castle on a hill"]).toArray(), atol: atol, rtol: rtol,
                        "prompt second")

            let withNegative = try p.guidanceBatch(prompt: .text(["a", "b"]), negativePrompt: .text("blurry"), imagesPerPrompt: 2)
            XCTAssertEqual(withNegative.shape, [8, 77, 16])
            let blurry = try p.encode(["blurry"]).toArray(), a = try p.encode(["a"]).toArray(), b = try p.encode(["b"]).toArray()
            for i in 0..<4 { assertClose(try rows(withNegative, i..<(i + 1)), blurry, atol: atol, rtol: rtol, "negative \(i)") }
            assertClose(try rows(withNegative, 4..<6), a + a, atol: atol, rtol: rtol, "prompt a twice")
            assertClose(try rows(withNegative, 6..<8), b + b, atol: atol, rtol: rtol, "prompt b twice")
            // The prompts are far apart, so the bounds above tell them apart.
            XCTAssertGreaterThan(zip(a, b).map { abs($0 - $1) }.max() ?? 0, 0.1)
            XCTAssertGreaterThan(zip(a, blurry).map { abs($0 - $1) }.max() ?? 0, 0.1)

            let noGuidance = try p.guidanceBatch(prompt: .text("x"), negativePrompt: .text("y"), classifierFreeGuidance: false)
            XCTAssertEqual(noGuidance.shape, [1, 77, 16])
        }
    }

    func testPrecomputedEmbeddings() throws {
        let backend = try CPUBackend()
        let p = try makeEncoder(backend)
        var random = TestRandom(seed: 1)
        let custom = try Tensor(shape: [1, 77, 16], data: random.floats(77 * 16), on: backend)
        let batch = try p.guidanceBatch(prompt: .embeddings(custom))
        XCTAssertEqual(try rows(batch, 1..<2), try custom.toArray())
        XCTAssertEqual(try rows(batch, 0..<1), try p.encode([""]).toArray())
        let both = try p.guidanceBatch(prompt: .embeddings(custom), negativePrompt: .embeddings(custom))
        XCTAssertEqual(try both.toArray(), try custom.toArray() + custom.toArray())

        // A shorter precomputed sequence: the negative prompt is tokenized to the same length (diffusers).
        let short = try Tensor(shape: [1, 10, 16], repeating: 0.5, on: backend)
        XCTAssertEqual(try p.guidanceBatch(prompt: .embeddings(short)).shape, [2, 10, 16])

        let wrongWidth = try Tensor(shape: [1, 77, 8], repeating: 0, on: backend)
        XCTAssertThrowsError(try p.guidanceBatch(prompt: .embeddings(wrongWidth))) { XCTAssertTrue("\($0)".contains("expected [batch, length, 16]")) }
        let two = try Tensor(shape: [2, 77, 16], repeating: 0, on: backend)
        XCTAssertThrowsError(try p.guidanceBatch(prompt: .embeddings(custom), negativePrompt: .embeddings(two))) {
            XCTAssertTrue("\($0)".contains("must have the prompt embeddings' shape"))
        }
        XCTAssertThrowsError(try p.guidanceBatch(prompt: .text(["a", "b", "c"]), negativePrompt: .text(["x", "y"])))
        XCTAssertThrowsError(try p.guidanceBatch(prompt: .text([String]())))
        XCTAssertThrowsError(try p.guidanceBatch(prompt: .text("a"), imagesPerPrompt: 0))
    }

    /// A diffusers-style folder: tokenizer/ and text_encoder/ load together; mismatched components and
    /// missing folders give clear errors.
    func testModelFolder() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("clip-model-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        XCTAssertThrowsError(try PromptEncoder(modelFolder: dir, backend: try CPUBackend())) { error in
            guard case TokenizerError.missingFile = error else { return XCTFail("\(error)") }
            XCTAssertTrue("\(error)".contains("tokenizer"), "\(error)")
        }
        try FileManager.default.copyItem(at: fixtureURL("tokenizer/clip"), to: dir.appendingPathComponent("tokenizer"))
        XCTAssertThrowsError(try PromptEncoder(modelFolder: dir, backend: try CPUBackend())) { error in
            guard case ConfigError.unreadable(_, let reason) = error, reason.contains("missing") else { return XCTFail("\(error)") }
        }
        try FileManager.default.copyItem(at: fixtureURL("text_encoder/tiny_gelu"), to: dir.appendingPathComponent("text_encoder"))
        let p = try PromptEncoder(modelFolder: dir, backend: try CPUBackend())
        // The tiny encoder's 100-entry vocabulary cannot take real CLIP ids: a clear error, not a crash.
        XCTAssertThrowsError(try p.guidanceBatch(prompt: .text("a cat"))) { error in
            XCTAssertTrue("\(error)".contains("outside the vocabulary of 100"), "\(error)")
        }
    }
}
