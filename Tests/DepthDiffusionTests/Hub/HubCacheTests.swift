import DepthDiffusionImageIO
import Foundation
import XCTest
@testable import DepthDiffusion
@testable import DepthDiffusionHub

/// The cache layout, settings from the environment, repository ids, file selection and SHA-256, without a server.
final class HubCacheTests: XCTestCase {
    func testSettingsFollowHuggingFaceHubEnvironment() throws {
        let home = ["HOME": "/home/u"]
        XCTAssertEqual(HubSettings.fromEnvironment(home).cache.root.path, "/home/u/.cache/huggingface/hub")
        XCTAssertEqual(HubSettings.fromEnvironment(home.merging(["XDG_CACHE_HOME": "/x"]) { $1 }).cache.root.path, "/x/huggingface/hub")
        XCTAssertEqual(HubSettings.fromEnvironment(home.merging(["HF_HOME": "/h"]) { $1 }).cache.root.path, "/h/hub")
        XCTAssertEqual(HubSettings.fromEnvironment(home.merging(["HF_HOME": "/h", "HF_HUB_CACHE": "/c"]) { $1 }).cache.root.path, "/c")
        let defaults = HubSettings.fromEnvironment(home.merging(["HF_HOME": "/nonexistent-hf-home"]) { $1 })
        XCTAssertEqual(defaults.endpoint.absoluteString, "https://huggingface.co")
        XCTAssertNil(defaults.token)
        XCTAssertFalse(defaults.offline)
        let custom = HubSettings.fromEnvironment(["HOME": "/u", "HF_ENDPOINT": "http://127.0.0.1:8080/", "HF_TOKEN": "hf_x", "HF_HUB_OFFLINE": "1"])
        XCTAssertEqual(custom.endpoint.absoluteString, "http://127.0.0.1:8080")
        XCTAssertEqual(custom.token, "hf_x")
        XCTAssertTrue(custom.offline)
        XCTAssertTrue(HubSettings.fromEnvironment(["HOME": "/u", "TRANSFORMERS_OFFLINE": "true"]).offline)
        // The token file `hf auth login` writes.
        let hfHome = FileManager.default.temporaryDirectory.appendingPathComponent("hf-home-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: hfHome, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: hfHome) }
        try Data("hf_from_file\n".utf8).write(to: hfHome.appendingPathComponent("token"))
        XCTAssertEqual(HubSettings.fromEnvironment(["HOME": "/u", "HF_HOME": hfHome.path]).token, "hf_from_file")
    }

    func testRepositoryIDs() throws {
        let id = try HubRepositoryID("stabilityai/stable-diffusion-2-depth")
        XCTAssertEqual(id.cacheFolderName, "models--stabilityai--stable-diffusion-2-depth")
        for bad in ["name", "a/b/c", "/abs", "a/", "../x", "a/b c", "a--b/c", "a/.hidden", "a/b..c", "./model"] {
            XCTAssertFalse(HubRepositoryID.isValid(bad), bad)
            XCTAssertThrowsError(try HubRepositoryID(bad)) { XCTAssertTrue("\($0)".contains("org/name"), "\($0)") }
        }
    }

    func testSHA256KnownAnswers() {
        XCTAssertEqual(SHA256.hex([UInt8]()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256.hex(Array("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(SHA256.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        // One million 'a' in uneven pieces: the streaming state must carry partial blocks.
        var hash = SHA256()
        var left = 1_000_000, piece = 1
        while left > 0 { let n = min(piece, left); hash.update([UInt8](repeating: 97, count: n)); left -= n; piece = piece * 3 % 1000 + 1 }
        XCTAssertEqual(hash.finalize().hexString, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        // Throughput, for the record (downloads are hashed as they arrive).
        let block = [UInt8](repeating: 7, count: 1 << 20)
        var timed = SHA256()
        let start = Date()
        for _ in 0..<64 { timed.update(block) }
        _ = timed.finalize()
        print(String(format: "[sha256] %.0f MB/s", 64 * 1.048576 / Date().timeIntervalSince(start)))
    }

    func testFileSelectionFollowsTheLocalLoadingRules() throws {
        let configs = ["model_index.json", "unet/config.json", "vae/config.json", "text_encoder/config.json", "depth_estimator/config.json",
                       "tokenizer/tokenizer.json", "tokenizer/vocab.json", "tokenizer/merges.txt", "tokenizer/tokenizer_config.json",
                       "feature_extractor/preprocessor_config.json", "scheduler/scheduler_config.json", "README.md", "512-depth-ema.ckpt"]
        let weights = ["unet/diffusion_pytorch_model.safetensors", "unet/diffusion_pytorch_model.fp16.safetensors", "unet/diffusion_pytorch_model.bin",
                       "vae/diffusion_pytorch_model.safetensors", "vae/diffusion_pytorch_model.fp16.safetensors",
                       "text_encoder/model.safetensors.index.json", "text_encoder/model-00001-of-00002.safetensors",
                       "text_encoder/model.fp16.safetensors",
                       "depth_estimator/model.safetensors", "depth_estimator/model.fp16.safetensors"]
        let available = Set(configs + weights)
        let fp32 = try PipelineFiles.select(from: available, components: PipelineFiles.allComponents, variant: nil, repo: "r")
        XCTAssertEqual(Set(fp32.filter { !$0.hasSuffix(".json") && !$0.hasSuffix(".txt") }),
                       ["unet/diffusion_pytorch_model.safetensors", "vae/diffusion_pytorch_model.safetensors", "depth_estimator/model.safetensors"])
        XCTAssertTrue(fp32.contains("text_encoder/model.safetensors.index.json"))
        XCTAssertTrue(fp32.contains("tokenizer/tokenizer.json"))
        XCTAssertFalse(fp32.contains("tokenizer/vocab.json"), "tokenizer.json is preferred")
        XCTAssertFalse(fp32.contains("512-depth-ema.ckpt"))
        let fp16 = try PipelineFiles.select(from: available, components: PipelineFiles.allComponents, variant: "fp16", repo: "r")
        XCTAssertTrue(fp16.contains("text_encoder/model.fp16.safetensors"))
        XCTAssertTrue(fp16.contains("unet/diffusion_pytorch_model.fp16.safetensors"))
        let depthOnly = try PipelineFiles.select(from: available, components: PipelineFiles.depthComponents, variant: nil, repo: "r")
        XCTAssertEqual(Set(depthOnly), ["model_index.json", "depth_estimator/config.json", "depth_estimator/model.safetensors",
                                        "feature_extractor/preprocessor_config.json"])
        // Only pickle weights, or no weights at all: a clear error.
        let binOnly = available.subtracting(["unet/diffusion_pytorch_model.safetensors", "unet/diffusion_pytorch_model.fp16.safetensors"])
        XCTAssertThrowsError(try PipelineFiles.select(from: binOnly, components: ["unet"], variant: nil, repo: "r")) {
            XCTAssertTrue("\($0)".contains(".bin"), "\($0)")
        }
        // A variant falls back to the standard files (as when loading a folder), but not to another variant.
        XCTAssertTrue(try PipelineFiles.select(from: available, components: ["vae"], variant: "bf16", repo: "r")
            .contains("vae/diffusion_pytorch_model.safetensors"))
        let fp16Only = available.subtracting(["vae/diffusion_pytorch_model.safetensors"])
        XCTAssertTrue(try PipelineFiles.select(from: fp16Only, components: ["vae"], variant: nil, repo: "r")
            .contains("vae/diffusion_pytorch_model.fp16.safetensors"))
        XCTAssertThrowsError(try PipelineFiles.select(from: fp16Only, components: ["vae"], variant: "bf16", repo: "r")) {
            XCTAssertTrue("\($0)".contains("'bf16' variant"), "\($0)")
        }
        XCTAssertEqual(try PipelineFiles.shards(ofIndex: Data(#"{"weight_map": {"a": "m-1.safetensors", "b": "m-2.safetensors", "c": "m-1.safetensors"}}"#.utf8),
                                                path: "text_encoder/model.safetensors.index.json"),
                       ["text_encoder/m-1.safetensors", "text_encoder/m-2.safetensors"])
        XCTAssertThrowsError(try PipelineFiles.shards(ofIndex: Data(#"{"weight_map": {"a": "../../etc/passwd"}}"#.utf8), path: "x/i.json"))
    }

    /// A cache written by huggingface_hub's `snapshot_download` (Scripts/fixtures/make_hub_fixtures.py --hf-cache)
    /// is read as it is, offline: refs/main → snapshots/<commit>/… → ../../blobs/<etag>.
    func testReadsCacheWrittenByHuggingFaceHub() throws {
        let root = try copyOfFixtureCache()
        var settings = HubSettings(cache: HubCache(root: root), offline: true)
        settings.endpoint = URL(string: "http://127.0.0.1:9")!   // never contacted
        let client = HubClient(settings: settings)
        let repo = try HubRepositoryID("tiny-org/tiny-depth")
        let folder = try client.snapshot(repo: repo, components: PipelineFiles.depthComponents)
        XCTAssertEqual(folder.deletingLastPathComponent().lastPathComponent, "snapshots")
        let link = try FileManager.default.destinationOfSymbolicLink(atPath: folder.appendingPathComponent("depth_estimator/model.fp16.safetensors").path)
        XCTAssertTrue(link.hasPrefix("../../../blobs/"), link)
        // What it holds is usable: the tokenizer and the depth estimator load and run from the snapshot.
        let tokenizer = try CLIPTokenizer(folder: folder.appendingPathComponent("tokenizer"))
        XCTAssertEqual(tokenizer.vocabularySize, 814)
        let estimator = try DPTDepthEstimator(pipelineFolder: folder, backend: CPUBackend())
        let image = try ImageFile.readRGBImage(fixtureURL("hub/saved_model_case/image.png"))
        let direct = try DPTDepthEstimator(pipelineFolder: fixtureURL("hub/saved_model"), backend: CPUBackend())
        XCTAssertEqual(try estimator.estimate(image).resized.values, try direct.estimate(image).resized.values)
        // The full pipeline needs the UNet, which that cache does not hold: a clear error naming it.
        XCTAssertThrowsError(try client.snapshot(repo: repo)) { error in
            guard case let HubError.notCached(_, _, missing, _)? = error as? HubError else { return XCTFail("\(error)") }
            XCTAssertTrue(missing.contains("unet"), missing)
            XCTAssertTrue("\(error)".contains("HF_HUB_OFFLINE"), "\(error)")
        }
        XCTAssertThrowsError(try client.snapshot(repo: repo, revision: "v2", components: PipelineFiles.depthComponents)) {
            XCTAssertTrue("\($0)".contains("refs/v2"), "\($0)")
        }
    }

    /// A copy of the committed huggingface_hub cache (symlinks kept) in a temporary folder.
    private func copyOfFixtureCache() throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("hf-cache-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: fixtureURL("hub/hf_cache"), to: root)
        addTeardownBlock { try? FileManager.default.removeItem(at: root) }
        return root
    }
}
