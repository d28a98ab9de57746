import DepthDiffusionHub
import Foundation

/// A folder served as a hub repository: every file (symlinks followed) with its sha256. Files ending in
/// `.safetensors` are LFS files (named by their sha256); the others are regular git files, named by a
/// 40-digit id derived from their content (the hub uses the git blob id there).
public struct FixtureRepository: Sendable {
    /// One served file.
    public struct File: Sendable {
        public let path: String
        public let data: Data
        public let sha256: String
        public let isLFS: Bool
        /// The blob name the hub announces: the sha256 for LFS files.
        public var etag: String { isLFS ? sha256 : String(sha256.prefix(40)) }
    }

    /// The files by repository path.
    public let files: [String: File]
    /// The commit hash `main` points to: derived from the content, so it changes when a file does.
    public let commit: String

    /// Reads every file under `folder` (hidden files skipped).
    public init(folder: URL) throws {
        var files: [String: File] = [:]
        let root = folder.resolvingSymlinksInPath()
        for path in try FileManager.default.subpathsOfDirectory(atPath: root.path).sorted() {
            let url = root.appendingPathComponent(path)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue,
                  !path.split(separator: "/").contains(where: { $0.hasPrefix(".") }) else { continue }
            let data = try Data(contentsOf: url)
            files[path] = File(path: path, data: data, sha256: SHA256.hex(data), isLFS: path.hasSuffix(".safetensors"))
        }
        self.files = files
        commit = String(SHA256.hex(Array(files.keys.sorted().map { "\($0) \(files[$0]!.sha256)\n" }.joined().utf8)).prefix(40))
    }

    /// `GET /api/models/{repo}/revision/{rev}?blobs=true`.
    func listing(id: String) -> Data {
        let siblings: [[String: Any]] = files.keys.sorted().map { path in
            let f = files[path]!
            var entry: [String: Any] = ["rfilename": path, "size": f.data.count, "blobId": String(f.sha256.suffix(40))]
            if f.isLFS { entry["lfs"] = ["sha256": f.sha256, "size": f.data.count, "pointerSize": 134] }
            else { entry["blobId"] = f.etag }
            return entry
        }
        let object: [String: Any] = ["id": id, "modelId": id, "sha": commit, "private": false, "siblings": siblings]
        return (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
    }

    /// `GET /api/models/{repo}/tree/{rev}?recursive=true`: folders and files.
    func tree() -> Data {
        let folders = Set(files.keys.flatMap { path -> [String] in
            let parts = path.split(separator: "/").dropLast()
            return parts.indices.map { parts[...$0].joined(separator: "/") }
        })
        var entries: [[String: Any]] = folders.sorted().map { ["type": "directory", "path": $0, "oid": String(SHA256.hex(Array($0.utf8)).prefix(40)), "size": 0] }
        for path in files.keys.sorted() {
            let f = files[path]!
            var entry: [String: Any] = ["type": "file", "path": path, "size": f.data.count, "oid": f.etag]
            if f.isLFS { entry["lfs"] = ["oid": f.sha256, "size": f.data.count, "pointerSize": 134] }
            entries.append(entry)
        }
        return (try? JSONSerialization.data(withJSONObject: entries, options: [.sortedKeys])) ?? Data()
    }
}
