import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The Hugging Face cache layout that `huggingface_hub` writes and reads, so that Python tools and this
/// library share downloads:
///
/// ```
/// <root>/models--org--name/
///     blobs/<etag>                          file contents, named by sha256 (LFS) or git blob id
///     refs/<revision>                       the commit hash a branch or tag pointed to
///     snapshots/<commit>/<path> -> ../../blobs/<etag>   relative symlinks
/// <root>/.locks/models--org--name/<etag>.lock
/// ```
public struct HubCache: Sendable {
    /// The cache folder (`~/.cache/huggingface/hub` by default, see ``HubSettings``).
    public let root: URL

    /// The cache at `root` (nothing is created until something is written).
    public init(root: URL) { self.root = root }

    /// `models--org--name`.
    public func repositoryFolder(_ repo: HubRepositoryID) -> URL { root.appendingPathComponent(repo.cacheFolderName) }

    /// Whether `text` is a full commit hash (40 hexadecimal digits).
    public static func isCommitHash(_ text: String) -> Bool {
        text.count == 40 && text.unicodeScalars.allSatisfy { ("0"..."9").contains($0) || ("a"..."f").contains($0) }
    }

    /// The commit a revision resolves to in the cache: the revision itself when it is a commit hash, else
    /// the content of `refs/<revision>`; nil when the cache has no such ref.
    public func commit(_ repo: HubRepositoryID, revision: String) -> String? {
        if Self.isCommitHash(revision) { return revision }
        guard Self.isSafeRelativePath(revision) else { return nil }
        let ref = repositoryFolder(repo).appendingPathComponent("refs").appendingPathComponent(revision)
        guard let text = try? String(contentsOf: ref, encoding: .utf8) else { return nil }
        let commit = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return Self.isCommitHash(commit) ? commit : nil
    }

    /// `snapshots/<commit>`.
    public func snapshotFolder(_ repo: HubRepositoryID, commit: String) -> URL {
        repositoryFolder(repo).appendingPathComponent("snapshots").appendingPathComponent(commit)
    }

    /// `blobs/<etag>`.
    public func blob(_ repo: HubRepositoryID, etag: String) -> URL {
        repositoryFolder(repo).appendingPathComponent("blobs").appendingPathComponent(etag)
    }

    /// A relative path without `..`, `.` or empty parts and not absolute: safe to join under a folder.
    static func isSafeRelativePath(_ path: String) -> Bool {
        !path.isEmpty && !path.hasPrefix("/") && !path.contains("\\")
            && path.split(separator: "/", omittingEmptySubsequences: false).allSatisfy { !$0.isEmpty && $0 != "." && $0 != ".." }
    }

    // MARK: Writing (atomic: a reader sees the old state or the new one)

    /// Points `snapshots/<commit>/<path>` at `blobs/<etag>` with a relative symlink, as `huggingface_hub` does.
    func link(_ repo: HubRepositoryID, commit: String, path: String, etag: String) throws {
        let pointer = snapshotFolder(repo, commit: commit).appendingPathComponent(path)
        let depth = path.split(separator: "/").count + 1
        let target = String(repeating: "../", count: depth) + "blobs/" + etag
        try createFolder(pointer.deletingLastPathComponent())
        let temporary = pointer.deletingLastPathComponent().appendingPathComponent(".\(pointer.lastPathComponent).\(UUID().uuidString).tmp")
        guard symlink(target, temporary.path) == 0 else { throw HubError.cache(path: temporary.path, detail: String(cString: strerror(errno))) }
        guard rename(temporary.path, pointer.path) == 0 else {
            let detail = String(cString: strerror(errno))
            unlink(temporary.path)
            throw HubError.cache(path: pointer.path, detail: detail)
        }
    }

    /// Writes `refs/<revision>` = `commit` (no newline, as `huggingface_hub`), unless the revision is the commit.
    func writeRef(_ repo: HubRepositoryID, revision: String, commit: String) throws {
        guard revision != commit, Self.isSafeRelativePath(revision) else { return }
        let ref = repositoryFolder(repo).appendingPathComponent("refs").appendingPathComponent(revision)
        if (try? String(contentsOf: ref, encoding: .utf8)) == commit { return }
        try createFolder(ref.deletingLastPathComponent())
        do { try Data(commit.utf8).write(to: ref, options: .atomic) } catch {
            throw HubError.cache(path: ref.path, detail: error.localizedDescription)
        }
    }

    func createFolder(_ url: URL) throws {
        do { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) } catch {
            throw HubError.cache(path: url.path, detail: error.localizedDescription)
        }
    }

    /// Runs `body` holding `.locks/models--org--name/<etag>.lock` (an exclusive `flock`, the lock
    /// `huggingface_hub` takes for the same blob).
    func withLock<T>(_ repo: HubRepositoryID, etag: String, _ body: () throws -> T) throws -> T {
        let folder = root.appendingPathComponent(".locks").appendingPathComponent(repo.cacheFolderName)
        try createFolder(folder)
        let path = folder.appendingPathComponent("\(etag).lock").path
        let fd = open(path, O_RDWR | O_CREAT, 0o644)
        guard fd >= 0 else { throw HubError.cache(path: path, detail: String(cString: strerror(errno))) }
        defer { close(fd) }
        guard flock(fd, LOCK_EX) == 0 else { throw HubError.cache(path: path, detail: String(cString: strerror(errno))) }
        defer { flock(fd, LOCK_UN) }
        return try body()
    }

    /// The size of a file (following symlinks), or nil.
    static func size(_ url: URL) -> Int64? {
        var info = stat()
        guard stat(url.path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        return Int64(info.st_size)
    }
}
