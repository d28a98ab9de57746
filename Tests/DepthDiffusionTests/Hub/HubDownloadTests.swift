import DepthDiffusionImageIO
import Foundation
import HubFixtureServer
import XCTest
@testable import DepthDiffusion
@testable import DepthDiffusionHub

/// Downloads from a local stand-in for the hub (`HubFixtureServer` on 127.0.0.1) serving the model folder that
/// diffusers' `save_pretrained` wrote (Fixtures/hub/saved_model) as `tiny-org/tiny-depth`.
final class HubDownloadTests: XCTestCase {
    static let repoName = "tiny-org/tiny-depth"
    static let unetPath = "unet/diffusion_pytorch_model.fp16.safetensors"
    var server: HubFixtureServer!
    var cacheRoot: URL!
    var repo: HubRepositoryID!
    var fixture: FixtureRepository!

    override func setUpWithError() throws {
        fixture = try FixtureRepository(folder: fixtureURL("hub/saved_model"))
        server = HubFixtureServer(repositories: [Self.repoName: fixture])
        try server.start()
        cacheRoot = FileManager.default.temporaryDirectory.appendingPathComponent("hub-cache-\(UUID().uuidString)")
        repo = try HubRepositoryID(Self.repoName)
    }

    override func tearDown() {
        server.stop()
        server = nil  // XCTest keeps every test case object until the run ends; do not hold the server through it
        try? FileManager.default.removeItem(at: cacheRoot)
    }

    func client(token: String? = nil, offline: Bool = false, retries: Int = 2) -> HubClient {
        var settings = HubSettings(cache: HubCache(root: cacheRoot), endpoint: server.endpoint, token: token, offline: offline)
        settings.retries = retries
        return HubClient(settings: settings)
    }

    var blobs: URL { cacheRoot.appendingPathComponent("models--tiny-org--tiny-depth/blobs") }
    func blobNames() -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: blobs.path)) ?? []).sorted() }
    var unetSHA: String { fixture.files[Self.unetPath]!.sha256 }

    /// Fresh download into an empty cache, then generation: diffusers' image; the layout is huggingface_hub's.
    func testFreshDownloadThenGeneration() throws {
        let hub = client(token: "hf_secret")
        var reports: [HubDownloadProgress] = []
        hub.progress = { reports.append($0) }
        let folder = try hub.snapshot(repo: repo)
        XCTAssertEqual(folder.lastPathComponent, fixture.commit)
        // refs/main → commit; every snapshot file is a relative symlink to its blob; no partial file.
        let ref = try String(contentsOf: cacheRoot.appendingPathComponent("models--tiny-org--tiny-depth/refs/main"), encoding: .utf8)
        XCTAssertEqual(ref, fixture.commit)
        for (path, file) in fixture.files {
            let link = try FileManager.default.destinationOfSymbolicLink(atPath: folder.appendingPathComponent(path).path)
            XCTAssertEqual(link, String(repeating: "../", count: path.split(separator: "/").count + 1) + "blobs/" + file.etag)
        }
        XCTAssertEqual(blobNames().count, fixture.files.count)
        XCTAssertFalse(blobNames().contains { $0.hasSuffix(".incomplete") })
        XCTAssertTrue(reports.contains { $0.file == Self.unetPath && $0.finished && $0.received == $0.total })
        // The token goes to the hub, never to the storage host the LFS files redirect to.
        let requests = server.requests
        XCTAssertTrue(requests.filter { $0.path.hasPrefix("/cdn/") }.allSatisfy { $0.headers["authorization"] == nil })
        XCTAssertTrue(requests.filter { $0.path.hasPrefix("/api/") }.allSatisfy { $0.headers["authorization"] == "Bearer hf_secret" })
        XCTAssertEqual(requests.filter { $0.path.hasPrefix("/cdn/") }.count, 4, "four LFS weight files")

        let dir = fixtureURL("hub/saved_model_case")
        let pipeline = try DepthToImagePipeline(modelFolder: folder, backend: CPUBackend())
        var request = DepthToImageRequest(prompt: "A Red House, by the lake!", image: try ImageFile.readRGBImage(dir.appendingPathComponent("image.png")))
        request.negativePrompt = "blurry 2x"
        request.steps = 4
        request.seed = 11
        let actual = try pipeline.generate(request).images[0].pixels.map { Int($0) }
        let expected = try Data(contentsOf: dir.appendingPathComponent("expected_images.bin")).map { Int($0) }
        XCTAssertEqual(actual.count, expected.count)
        XCTAssertLessThanOrEqual(zip(actual, expected).map { abs($0 - $1) }.max() ?? 255, 1)

        // A second call needs only the file list: nothing is downloaded again.
        let before = server.requests.count
        XCTAssertEqual(try hub.snapshot(repo: repo), folder)
        XCTAssertEqual(server.requests.count - before, 1)
    }

    /// A transfer cut half-way leaves `<blob>.incomplete`; the next run resumes it with a Range request.
    func testCutDownloadIsResumed() throws {
        server.cutOnce(Self.unetPath)
        XCTAssertThrowsError(try client(retries: 0).snapshot(repo: repo)) { error in
            guard case HubError.interrupted(let file, _, _, _)? = error as? HubError else { return XCTFail("\(error)") }
            XCTAssertEqual(file, Self.unetPath)
            XCTAssertTrue("\(error)".contains("run the command again to resume"), "\(error)")
        }
        let partial = blobs.appendingPathComponent(unetSHA + ".incomplete")
        let size = try XCTUnwrap(HubCache.size(partial))
        let total = Int64(fixture.files[Self.unetPath]!.data.count)
        XCTAssertEqual(size, total / 2)
        XCTAssertNil(HubCache.size(blobs.appendingPathComponent(unetSHA)))
        XCTAssertThrowsError(try client(offline: true).snapshot(repo: repo), "no ref was written for an incomplete snapshot")

        let folder = try client(retries: 0).snapshot(repo: repo)
        XCTAssertTrue(server.requests.contains { $0.path == "/cdn/\(unetSHA)" && $0.headers["range"] == "bytes=\(size)-" })
        XCTAssertEqual(SHA256.hex(try Data(contentsOf: folder.appendingPathComponent(Self.unetPath))), unetSHA)
        XCTAssertFalse(blobNames().contains { $0.hasSuffix(".incomplete") })
    }

    /// With retries (the default), a cut transfer is resumed within the same call.
    func testCutDownloadIsResumedAutomatically() throws {
        server.cutOnce(Self.unetPath)
        let hub = client()
        var notes: [String] = []
        hub.notice = { notes.append($0) }
        let folder = try hub.snapshot(repo: repo)
        XCTAssertEqual(SHA256.hex(try Data(contentsOf: folder.appendingPathComponent(Self.unetPath))), unetSHA)
        XCTAssertTrue(server.requests.contains { $0.path == "/cdn/\(unetSHA)" && $0.headers["range"] != nil })
        XCTAssertTrue(notes.contains { $0.contains("resuming") }, "\(notes)")
    }

    /// Offline (HF_HUB_OFFLINE=1) a downloaded model is used with no request; with the hub unreachable the cache
    /// is used with a warning; with nothing cached the error says what to do.
    func testOfflineReuse() throws {
        XCTAssertThrowsError(try client(offline: true).snapshot(repo: repo)) { error in
            guard case HubError.notCached? = error as? HubError else { return XCTFail("\(error)") }
        }
        let folder = try client().snapshot(repo: repo)
        let count = server.requests.count
        XCTAssertEqual(try client(offline: true).snapshot(repo: repo), folder)
        XCTAssertEqual(try client(offline: true).snapshot(repo: repo, revision: fixture.commit), folder)
        XCTAssertEqual(server.requests.count, count)
        XCTAssertNoThrow(try DepthToImagePipeline(modelFolder: try ModelFolder(repo: Self.repoName, client: client(offline: true)).url,
                                                  backend: CPUBackend()))
        server.stop()
        let hub = client()
        var notes: [String] = []
        hub.notice = { notes.append($0) }
        XCTAssertEqual(try hub.snapshot(repo: repo), folder)
        XCTAssertTrue(notes.contains { $0.contains("cannot reach") && $0.contains("cached snapshot") }, "\(notes)")
    }

    /// A blob with the wrong size (always checked) or the wrong sha256 (checked with verifyCachedFiles) is fetched
    /// again; a download whose sha256 differs from its ETag is refused and removed.
    func testCorruptedBlobIsDetectedAndFetchedAgain() throws {
        let folder = try client().snapshot(repo: repo)
        let blob = blobs.appendingPathComponent(unetSHA)
        // Truncated.
        let handle = try FileHandle(forUpdating: blob)
        try handle.truncate(atOffset: 1000)
        try handle.close()
        let hub = client()
        var notes: [String] = []
        hub.notice = { notes.append($0) }
        _ = try hub.snapshot(repo: repo)
        XCTAssertEqual(SHA256.hex(try Data(contentsOf: folder.appendingPathComponent(Self.unetPath))), unetSHA)
        XCTAssertTrue(notes.contains { $0.contains(Self.unetPath) && $0.contains("downloading it again") }, "\(notes)")
        // Same size, one byte changed: found when cached files are verified.
        var bytes = try Data(contentsOf: blob)
        bytes[bytes.count / 3] ^= 0x55
        try bytes.write(to: blob)
        let verifying = client()
        verifying.settings.verifyCachedFiles = true
        _ = try verifying.snapshot(repo: repo)
        XCTAssertEqual(SHA256.hex(try Data(contentsOf: blob)), unetSHA)
        // Corrupted in transit: refused, nothing left behind, and the next run succeeds.
        try FileManager.default.removeItem(at: cacheRoot)
        server.corruptOnce(Self.unetPath)
        XCTAssertThrowsError(try client().snapshot(repo: repo)) { error in
            guard case HubError.verificationFailed(let file, _, _)? = error as? HubError else { return XCTFail("\(error)") }
            XCTAssertEqual(file, Self.unetPath)
        }
        XCTAssertFalse(blobNames().contains { $0.hasPrefix(unetSHA) })
        XCTAssertNoThrow(try client().snapshot(repo: repo))
    }

    /// A private repository without a token: 401 and an error that says to set HF_TOKEN; nothing is cached.
    func testUnauthorizedWithoutToken() throws {
        server.privateRepositories = [Self.repoName]
        XCTAssertThrowsError(try client().snapshot(repo: repo)) { error in
            XCTAssertEqual(error as? HubError, .unauthorized(repo: Self.repoName, status: 401, tokenSet: false))
            XCTAssertTrue("\(error)".contains("set HF_TOKEN"), "\(error)")
        }
        XCTAssertThrowsError(try client(token: "wrong").snapshot(repo: repo)) { error in
            XCTAssertTrue("\(error)".contains("token in HF_TOKEN was refused"), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: cacheRoot.appendingPathComponent("models--tiny-org--tiny-depth").path))
        XCTAssertNoThrow(try client(token: server.token).snapshot(repo: repo))
    }

    func testNotFoundNoNetworkAndDiskFull() throws {
        XCTAssertThrowsError(try client().snapshot(repo: HubRepositoryID("tiny-org/missing"))) { error in
            XCTAssertEqual(error as? HubError, .notFound(repo: "tiny-org/missing", what: "the repository"))
        }
        XCTAssertThrowsError(try client().snapshot(repo: repo, revision: "no-such-branch")) { error in
            XCTAssertTrue("\(error)".contains("no-such-branch") && "\(error)".contains("404"), "\(error)")
        }
        XCTAssertThrowsError(try client().snapshot(repo: repo, variant: "bf16")) { error in
            guard case HubError.unsupportedRepository? = error as? HubError else { return XCTFail("\(error)") }
        }
        // Disk full before the transfer: nothing written.
        let full = client()
        full.freeSpace = { _ in 1000 }
        XCTAssertThrowsError(try full.snapshot(repo: repo)) { error in
            guard case HubError.diskFull? = error as? HubError else { return XCTFail("\(error)") }
            XCTAssertTrue("\(error)".contains("HF_HUB_CACHE"), "\(error)")
        }
        XCTAssertFalse(blobNames().contains { $0.hasSuffix(".incomplete") || $0.count == 64 })
        // No server listening.
        server.stop()
        XCTAssertThrowsError(try client().snapshot(repo: repo)) { error in
            guard case HubError.network? = error as? HubError else { return XCTFail("\(error)") }
            XCTAssertTrue("\(error)".contains("HF_HUB_OFFLINE=1"), "\(error)")
        }
    }

    /// `--model` resolution: a folder stays a folder, `org/name` goes to the hub.
    func testLocateModelArgument() throws {
        let demo = fixtureURL("hub/saved_model")
        XCTAssertEqual(try ModelFolder.locate(demo.path, client: client()), demo)
        XCTAssertEqual(try ModelFolder.locate("not a repository id", client: client()), URL(fileURLWithPath: "not a repository id"))
        XCTAssertThrowsError(try ModelFolder.locate("tiny-org/elsewhere", client: client(offline: true))) { error in
            guard case HubError.notCached? = error as? HubError else { return XCTFail("\(error)") }
        }
        let folder = try ModelFolder.locate(Self.repoName, components: PipelineFiles.depthComponents, client: client())
        XCTAssertEqual(folder.lastPathComponent, fixture.commit)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("unet").path), "only what was asked for")
    }
}
