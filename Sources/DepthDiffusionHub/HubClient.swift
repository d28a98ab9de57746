import DepthDiffusion
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif

/// Finds a model repository in the Hugging Face cache and downloads what is missing, into the same cache
/// layout as `huggingface_hub` (see ``HubCache``), so that a model diffusers already downloaded is used
/// as it is and Python tools reuse what this downloads.
///
/// ```swift
/// let hub = HubClient()                       // HF_HUB_CACHE, HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE
/// let folder = try hub.snapshot(repo: HubRepositoryID("stabilityai/stable-diffusion-2-depth"), variant: "fp16")
/// let pipeline = try DepthToImagePipeline(modelFolder: folder, backend: backend, variant: "fp16")
/// ```
///
/// Online, the revision's file list comes from the hub's API; only the files ``PipelineFiles`` selects
/// are fetched, each into `blobs/<etag>.incomplete` (resumed with `Range` when a previous attempt was
/// cut), checked (size; sha256 for LFS files), renamed to `blobs/<etag>`, then linked from
/// `snapshots/<commit>/<path>`; `refs/<revision>` is written last. Files already in the snapshot with
/// the right size are not fetched again. Offline (`HF_HUB_OFFLINE=1`), or when the hub cannot be
/// reached, the cached snapshot of the revision is used if it holds every needed file.
///
/// `@unchecked Sendable`: ``settings``, ``progress`` and ``notice`` are configuration, set before the first
/// download; a download reads them on its own thread and keeps no other mutable state in the client.
public final class HubClient: @unchecked Sendable {
    /// Endpoint, token, cache and options.
    public var settings: HubSettings
    /// Called with each download's progress (see ``HubProgressBar``).
    public var progress: ((HubDownloadProgress) -> Void)?
    /// Called with notes for the user (for example that the cache is used because the hub is unreachable).
    public var notice: ((String) -> Void)?
    /// Free bytes at a path (tests replace it to simulate a full disk).
    var freeSpace: (URL) -> Int64? = HubClient.availableBytes

    /// A client with `settings` (by default from the environment).
    public init(settings: HubSettings = .fromEnvironment()) { self.settings = settings }

    /// The snapshot folder of `repo` at `revision` holding every file the given components need, downloading
    /// missing files unless offline.
    /// - Parameters:
    ///   - revision: a branch, tag or commit hash.
    ///   - variant: the weights variant to fetch (`"fp16"`); nil fetches the float32 files, or `fp16` when
    ///     the repository has no float32 files.
    ///   - components: the pipeline components needed (``PipelineFiles/allComponents`` by default).
    /// - Throws: ``HubError``.
    public func snapshot(repo: HubRepositoryID, revision: String = "main", variant: String? = nil,
                         components: [String] = PipelineFiles.allComponents) throws -> URL {
        guard !revision.isEmpty, HubCache.isSafeRelativePath(revision) else {
            throw HubError.notFound(repo: repo.description, what: "the revision '\(revision)'")
        }
        if settings.offline {
            return try cachedSnapshot(repo: repo, revision: revision, variant: variant, components: components)
        }
        let listing: HubRepositoryListing
        do {
            listing = try fetchListing(repo: repo, revision: revision)
        } catch let error as HubError {
            guard case .network = error,
                  let cached = try? cachedSnapshot(repo: repo, revision: revision, variant: variant, components: components) else { throw error }
            notice?("warning: \(error); using the cached snapshot \(cached.path)")
            return cached
        }
        let cache = settings.cache
        let available = Set(listing.files.keys)
        var wanted = try PipelineFiles.select(from: available, components: components, variant: variant, repo: repo.description)
        var index = 0
        while index < wanted.count {
            let path = wanted[index]
            index += 1
            guard let file = listing.files[path] else { continue }   // optional files absent from this revision
            let local = try ensure(file, repo: repo, commit: listing.commit)
            if PipelineFiles.isShardIndex(path) {
                let data: Data
                do { data = try Data(contentsOf: local) } catch { throw HubError.cache(path: local.path, detail: error.localizedDescription) }
                for shard in try PipelineFiles.shards(ofIndex: data, path: path) where !wanted.contains(shard) {
                    guard available.contains(shard) else { throw HubError.notFound(repo: repo.description, what: "the shard \(shard)") }
                    wanted.append(shard)
                }
            }
        }
        try cache.writeRef(repo, revision: revision, commit: listing.commit)
        return cache.snapshotFolder(repo, commit: listing.commit)
    }

    // MARK: The cache alone

    /// The cached snapshot of `revision` if it holds every file the components need, without the network.
    public func cachedSnapshot(repo: HubRepositoryID, revision: String = "main", variant: String? = nil,
                               components: [String] = PipelineFiles.allComponents) throws -> URL {
        let cache = settings.cache
        func missing(_ what: String) -> HubError {
            .notCached(repo: repo.description, revision: revision, missing: what, cache: cache.root.path)
        }
        guard let commit = cache.commit(repo, revision: revision) else {
            throw missing(HubCache.isCommitHash(revision) ? "snapshots/\(revision)" : "refs/\(revision)")
        }
        let folder = cache.snapshotFolder(repo, commit: commit)
        let paths = (try? FileManager.default.subpathsOfDirectory(atPath: folder.path)) ?? []
        let available = Set(paths.filter { HubCache.size(folder.appendingPathComponent($0)) != nil })
        let files: [String]
        do {
            files = try PipelineFiles.select(from: available, components: components, variant: variant, repo: repo.description)
        } catch let HubError.notFound(_, what) {
            throw missing(what)
        } catch let HubError.unsupportedRepository(_, detail) {
            throw missing(detail)
        }
        for path in files where PipelineFiles.isShardIndex(path) {
            let data = (try? Data(contentsOf: folder.appendingPathComponent(path))) ?? Data()
            for shard in try PipelineFiles.shards(ofIndex: data, path: path) where !available.contains(shard) { throw missing(shard) }
        }
        return folder
    }

    // MARK: Network

    private var hubHost: String? { settings.endpoint.host }

    private func endpointURL(_ path: String) throws -> URL {
        guard let url = URL(string: settings.endpoint.absoluteString + path) else {
            throw HubError.badResponse(url: settings.endpoint.absoluteString + path, status: 0, detail: "cannot form the URL")
        }
        return url
    }

    private static func encode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    private static func encodePath(_ path: String) -> String { path.split(separator: "/").map { encode(String($0)) }.joined(separator: "/") }

    func fetchListing(repo: HubRepositoryID, revision: String) throws -> HubRepositoryListing {
        let url = try endpointURL("/api/models/\(repo)/revision/\(Self.encode(revision))?blobs=true")
        let response: HubTransfer.Response
        do { response = try HubTransfer(token: settings.token, hubHost: hubHost).get(url) } catch {
            throw networkError(error, file: nil)
        }
        let what = response.firstHeaders["x-error-code"] == "RepoNotFound" ? "the repository" : "the revision '\(revision)'"
        try check(response.status, repo: repo, what: what, url: url)
        return try HubRepositoryListing(json: response.body, url: url.absoluteString)
    }

    private func check(_ status: Int, repo: HubRepositoryID, what: String, url: URL) throws {
        switch status {
        case 200...299: return
        case 401, 403: throw HubError.unauthorized(repo: repo.description, status: status, tokenSet: settings.token != nil)
        case 404: throw HubError.notFound(repo: repo.description, what: what)
        default: throw HubError.badResponse(url: url.absoluteString, status: status, detail: "the hub did not serve \(what)")
        }
    }

    private func networkError(_ error: Error, file: HubRepositoryListing.File?, received: Int64 = 0) -> HubError {
        switch error {
        case let error as HubError: return error
        case HubTransfer.Failure.transport(_, let detail):
            return .network(endpoint: settings.endpoint.absoluteString, detail: detail)
        case HubTransfer.Failure.cut(let detail):
            return .interrupted(file: file?.path ?? "?", received: received, expected: file?.size ?? 0, detail: detail)
        case HubTransfer.Failure.range(let detail):
            return .badResponse(url: settings.endpoint.absoluteString, status: 206, detail: detail)
        case HubTransfer.Failure.write(let code, let detail):
            if code == ENOSPC {
                return .diskFull(path: settings.cache.root.path, needed: file?.size ?? 0, available: freeSpace(settings.cache.root))
            }
            return .cache(path: settings.cache.root.path, detail: detail)
        default:
            return .network(endpoint: settings.endpoint.absoluteString, detail: "\(error)")
        }
    }

    /// The local path of one file of the snapshot, downloading it if the snapshot lacks it.
    private func ensure(_ file: HubRepositoryListing.File, repo: HubRepositoryID, commit: String) throws -> URL {
        let cache = settings.cache
        let pointer = cache.snapshotFolder(repo, commit: commit).appendingPathComponent(file.path)
        if try isValid(pointer, file) { return pointer }
        let blob = cache.blob(repo, etag: file.etag)
        try cache.createFolder(blob.deletingLastPathComponent())
        try cache.withLock(repo, etag: file.etag) {
            if try isValid(blob, file) { return }
            try? FileManager.default.removeItem(at: blob)
            try download(file, repo: repo, commit: commit, to: blob)
        }
        try cache.link(repo, commit: commit, path: file.path, etag: file.etag)
        return pointer
    }

    /// Whether `url` holds the file: the right size and, when ``HubSettings/verifyCachedFiles`` is on, the
    /// right sha256 (LFS files). A wrong file is reported and ignored (it is downloaded again).
    private func isValid(_ url: URL, _ file: HubRepositoryListing.File) throws -> Bool {
        guard let size = HubCache.size(url) else { return false }
        guard size == file.size else {
            notice?("warning: \(file.path) in the cache has \(size) bytes instead of \(file.size); downloading it again")
            return false
        }
        guard settings.verifyCachedFiles && file.isLFS else { return true }
        guard let handle = try? FileHandle(forReadingFrom: url) else { return false }
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try? handle.read(upToCount: 8 << 20), !chunk.isEmpty { hasher.update(chunk) }
        let actual = hasher.finalize().hexString
        if actual != file.etag {
            notice?("warning: \(file.path) in the cache has sha256 \(actual) instead of \(file.etag); downloading it again")
            return false
        }
        return true
    }

    /// Downloads into `blobs/<etag>.incomplete` (resuming it), verifies it and renames it to `blob`.
    private func download(_ file: HubRepositoryListing.File, repo: HubRepositoryID, commit: String, to blob: URL) throws {
        let partial = blob.appendingPathExtension("incomplete")
        let url = try endpointURL("/\(repo)/resolve/\(commit)/\(Self.encodePath(file.path))")
        var attempt = 0
        while true {
            let have = HubCache.size(partial) ?? 0
            if have > file.size { try? FileManager.default.removeItem(at: partial) }
            let needed = file.size - min(have, file.size)
            if let free = freeSpace(blob.deletingLastPathComponent()), free < needed {
                throw HubError.diskFull(path: blob.deletingLastPathComponent().path, needed: needed, available: free)
            }
            let transfer = HubTransfer(token: settings.token, hubHost: hubHost)
            // A failure before the first byte leaves no empty partial file behind.
            defer { if HubCache.size(partial) == 0 { try? FileManager.default.removeItem(at: partial) } }
            do {
                let (response, sha256) = try transfer.download(url, to: partial, total: file.size, name: file.path,
                                                               hash: file.isLFS, progress: progress)
                try check(response.status, repo: repo, what: "the file \(file.path)", url: url)
                // An LFS file's first answer names its sha256 (X-Linked-Etag); it must be the one listed.
                if file.isLFS, let linked = response.firstHeaders["x-linked-etag"].map(Self.unquote), linked != file.etag {
                    try? FileManager.default.removeItem(at: partial)
                    throw HubError.verificationFailed(file: file.path, expected: "ETag \(file.etag)", actual: "ETag \(linked)")
                }
                let size = HubCache.size(partial) ?? 0
                if size < file.size {
                    throw HubError.interrupted(file: file.path, received: size, expected: file.size, detail: "the connection closed early")
                }
                if size != file.size {
                    try? FileManager.default.removeItem(at: partial)
                    throw HubError.verificationFailed(file: file.path, expected: "\(file.size) bytes", actual: "\(size) bytes")
                }
                if let sha256, sha256 != file.etag {
                    try? FileManager.default.removeItem(at: partial)
                    throw HubError.verificationFailed(file: file.path, expected: "sha256 \(file.etag)", actual: "sha256 \(sha256)")
                }
                guard rename(partial.path, blob.path) == 0 else {
                    throw HubError.cache(path: blob.path, detail: String(cString: strerror(errno)))
                }
                return
            } catch let error as HubError {
                guard case .interrupted = error, attempt < settings.retries else { throw error }
            } catch {
                let hubError = networkError(error, file: file, received: transfer.received)
                guard case .interrupted = hubError, attempt < settings.retries else { throw hubError }
                notice?("note: \(hubError); resuming")
            }
            attempt += 1
        }
    }

    private static func unquote(_ etag: String) -> String {
        var value = etag.hasPrefix("W/") ? String(etag.dropFirst(2)) : etag
        if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
        return value
    }

    /// Free bytes on the file system of `url` (`statvfs`).
    static func availableBytes(_ url: URL) -> Int64? {
        var info = statvfs()
        guard statvfs(url.path, &info) == 0 else { return nil }
        return Int64(info.f_bavail) * Int64(info.f_frsize)
    }
}
