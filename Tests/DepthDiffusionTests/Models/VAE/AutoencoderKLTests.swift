import Foundation
import XCTest
@testable import DepthDiffusion

/// The VAE against diffusers' `AutoencoderKL` (4 levels, scale factor 8) on every backend, untiled and tiled.
final class AutoencoderKLTests: XCTestCase {
    /// Limit on the error relative to the output scale. The measured errors (printed as `[measured]`, listed in
    /// DOCS.md, "Models and their measured accuracy") are below 2e-6 on both backends.
    static let relTol = 1e-4

    func load(_ backend: ComputeBackend) throws -> (AutoencoderKL, ModelFixture) {
        let fixture = try ModelFixture("vae/tiny_4level")
        let config = try AutoencoderKLConfig(contentsOf: fixture.folder)
        let binder = WeightBinder(source: try SafeTensorsCollection(url: fixture.folder), backend: backend)
        let vae = try AutoencoderKL(config: config, weights: binder)
        try binder.finish()
        return (vae, fixture)
    }

    func testConfig() throws {
        let config = try AutoencoderKLConfig(contentsOf: fixtureURL("vae/tiny_4level"))
        XCTAssertEqual(config.scaleFactor, 8)
        XCTAssertEqual(config.scalingFactor, 0.18215)
        XCTAssertEqual(VAETileSizes(config: config), VAETileSizes(sampleTile: 32, latentTile: 4))
        XCTAssertThrowsError(try AutoencoderKLConfig(jsonData: Data(#"{"act_fn": "relu"}"#.utf8))) {
            XCTAssertTrue($0 is ConfigError)
        }
    }

    func testEncodeAndDecodeMatchDiffusers() throws {
        for backend in try conformanceBackends() {
            let (vae, fixture) = try load(backend)
            let moments = try vae.encodeMoments(fixture.tensor("image", on: backend))
            try checkAgainstFixture(moments, fixture.tensor("moments"), relTol: Self.relTol, "vae encode on \(backend.name)")
            let decoded = try vae.decode(fixture.tensor("latent", on: backend))
            try checkAgainstFixture(decoded, fixture.tensor("decoded"), relTol: Self.relTol, "vae decode on \(backend.name)")
            let posterior = try vae.encode(fixture.tensor("image", on: backend))
            XCTAssertEqual(posterior.mean.shape, [1, 4, 3, 5])
        }
    }

    /// diffusers' `enable_tiling()` with sample_size 32: 32-pixel / 4-latent tiles, overlap 0.25.
    func testTiledEncodeAndDecodeMatchDiffusers() throws {
        for backend in try conformanceBackends() {
            let (vae, fixture) = try load(backend)
            vae.tiling = .enabled
            let moments = try vae.encodeMoments(fixture.tensor("tiled_image", on: backend))
            try checkAgainstFixture(moments, fixture.tensor("tiled_moments"), relTol: Self.relTol, "vae tiled encode on \(backend.name)")
            let decoded = try vae.decode(fixture.tensor("tiled_latent", on: backend))
            try checkAgainstFixture(decoded, fixture.tensor("tiled_decoded"), relTol: Self.relTol, "vae tiled decode on \(backend.name)")
            // Automatic mode leaves small images untiled (so the tiled result differs).
            vae.tiling = .automatic
            XCTAssertFalse(vae.usesTiles(height: 48, width: 72))
            vae.automaticTilingPixels = 0
            XCTAssertTrue(vae.usesTiles(height: 48, width: 72))
        }
    }

    func testPosteriorSample() throws {
        let backend = try CPUBackend()
        let moments = try Tensor(shape: [1, 2, 1, 2], data: [1, 2, 50, -2], on: backend)
        let posterior = try DiagonalGaussianDistribution(moments: moments)
        XCTAssertEqual(try posterior.logvar.toArray(), [20, -2])
        let s = try posterior.sample(noise: Tensor(shape: [1, 1, 1, 2], data: [1, 1], on: backend)).toArray()
        XCTAssertEqual(s[0], 1 + Foundation.exp(10), accuracy: 1)
        XCTAssertEqual(s[1], 2 + Foundation.exp(-1), accuracy: 1e-6)
    }

    func testSD2DepthPresetInstantiatesWithRandomWeights() throws {
        let binder = WeightBinder(source: RandomWeightSource(seed: 2), backend: try CPUBackend())
        let vae = try AutoencoderKL(config: .sd2Depth, weights: binder)
        try binder.finish()
        XCTAssertEqual(vae.config.scaleFactor, 8)
        XCTAssertEqual(vae.tileSizes, VAETileSizes(sampleTile: 768, latentTile: 96))
        let out = try vae.decode(Tensor(shape: [1, 4, 2, 3], repeating: 0.5, on: try CPUBackend()).to(vae.decoder.convIn.weight.backend))
        XCTAssertEqual(out.shape, [1, 3, 16, 24])
    }
}
