import XCTest
@testable import DepthDiffusion

/// Tiny random-weight DPT models against transformers 5.24 (`Scripts/fixtures/make_dpt_fixtures.py`).
final class DPTForDepthEstimationTests: XCTestCase {
    /// Runs fixture `name` on every backend; `weightsFrom` names the case whose config and weights it shares.
    private func check(_ name: String, weightsFrom: String? = nil, interpolate: Bool = false,
                       file: StaticString = #filePath, line: UInt = #line) throws {
        let meta = try loadFixtureMeta("dpt/\(name)/meta.json")
        let inputShape = (meta["input_shape"] as? [Int]) ?? []
        let outputShape = (meta["output_shape"] as? [Int]) ?? []
        let input = try loadFloat32Fixture("dpt/\(name)/input.bin")
        let expected = try loadFloat32Fixture("dpt/\(name)/expected.bin")
        let folder = fixtureURL("dpt/\(weightsFrom ?? name)")
        for backend in try conformanceBackends() {
            let model = try DPTForDepthEstimation(folder: folder, backend: backend)
            let x = try Tensor(shape: inputShape, data: input, on: backend)
            let y = try model(x, interpolatePositionEncoding: interpolate)
            XCTAssertEqual(y.shape, outputShape, file: file, line: line)
            // Measured errors: DOCS.md, "Models and their measured accuracy"; the bound is 1e-4 of the output scale.
            let scale = Double(expected.map { abs($0) }.max() ?? 1)
            let stats = assertClose(try y.toArray(), expected.map(Double.init), atol: 1e-4 * scale, rtol: 0,
                                    "dpt \(name) on \(backend)", file: file, line: line)
            print("[dpt] \(name) \(type(of: backend)): \(stats)")
        }
    }

    func testHybridA() throws { try check("hybrid_a") }

    /// Odd BiT maps (48 → 12/6/3), residuals resized in the fusion stage, no q/k/v bias, repeated out index.
    func testHybridB() throws { try check("hybrid_b") }

    /// 48x80 input with hybrid_a's 64x64 model: position embeddings interpolated to a 3x5 grid.
    func testHybridNonSquareInterpolated() throws { try check("hybrid_nonsquare", weightsFrom: "hybrid_a", interpolate: true) }

    /// Plain ViT DPT (dpt-large layout): transposed-conv reassembly (factors 4 and 2) and strided conv.
    func testPlainDPT() throws { try check("plain") }

    func testWrongInputSizeIsRejected() throws {
        let backend = try conformanceBackends()[0]
        let model = try DPTForDepthEstimation(folder: fixtureURL("dpt/hybrid_a"), backend: backend)
        let x = try Tensor(shape: [1, 3, 48, 80], repeating: 0, on: backend)
        XCTAssertThrowsError(try model(x)) { error in
            guard case PipelineError.invalidImage = error else { return XCTFail("unexpected \(error)") }
        }
    }

    func testMissingWeightsAreListed() throws {
        let backend = try conformanceBackends()[0]
        let config = try DPTConfig(contentsOf: fixtureURL("dpt/hybrid_a/config.json"))
        let binder = WeightBinder(source: try SafeTensorsCollection(url: fixtureURL("dpt/plain")), backend: backend)
        _ = try DPTForDepthEstimation(config: config, binder: binder)
        XCTAssertThrowsError(try binder.finish()) { error in
            XCTAssertTrue(String(describing: error).contains("dpt.embeddings.backbone.bit.embedder.convolution.weight"))
        }
    }

    func testBadConfigGivesTypedError() throws {
        XCTAssertThrowsError(try DPTConfig(json: Data(#"{"hidden_size": "big"}"#.utf8))) { error in
            guard case ConfigError.unreadable(_, let message) = error else { return XCTFail("unexpected \(error)") }
            XCTAssertTrue(message.contains("hidden_size"), message)
        }
        XCTAssertThrowsError(try DPTConfig(json: Data(#"{"is_hybrid": true, "backbone_config": {"layer_type": "preactivation"}}"#.utf8))) { error in
            guard case ConfigError.unsupported(_, "layer_type", "preactivation", _) = error else { return XCTFail("unexpected \(error)") }
        }
    }

    func testHybridMidasConfigMatchesDesignNotes() throws {
        let c = DPTConfig.dptHybridMidas
        try c.validate()
        XCTAssertEqual(c.backbone?.depths, [3, 4, 9])
        XCTAssertEqual(c.imageSize.height, 384)
    }
}
