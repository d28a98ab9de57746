import Foundation

/// A repository revision as the hub's API describes it (`GET /api/models/{repo}/revision/{revision}?blobs=true`):
/// the commit hash and, for each file, its size and the name of its blob in the cache.
struct HubRepositoryListing {
    struct File {
        var path: String
        var size: Int64
        /// The blob name: the LFS sha256 for LFS files, else the git blob id (what the hub sends as ETag).
        var etag: String
        var isLFS: Bool
    }

    var commit: String
    var files: [String: File]

    init(json data: Data, url: String) throws {
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw HubError.badResponse(url: url, status: 200, detail: "the answer is not a JSON object")
        }
        guard let sha = object["sha"] as? String, HubCache.isCommitHash(sha) else {
            throw HubError.badResponse(url: url, status: 200, detail: "the answer has no commit hash ('sha')")
        }
        commit = sha
        var files: [String: File] = [:]
        for sibling in object["siblings"] as? [[String: Any]] ?? [] {
            guard let path = sibling["rfilename"] as? String, HubCache.isSafeRelativePath(path) else { continue }
            let lfs = sibling["lfs"] as? [String: Any]
            let sha256 = lfs?["sha256"] as? String
            guard let etag = sha256 ?? (sibling["blobId"] as? String), HubCache.isSafeRelativePath(etag), !etag.contains("/"),
                  let size = ((lfs?["size"] ?? sibling["size"]) as? NSNumber).map({ $0.int64Value }) else {
                throw HubError.badResponse(url: url, status: 200, detail: "the entry of \(path) has no blob id or size")
            }
            files[path] = File(path: path, size: size, etag: etag, isLFS: sha256 != nil)
        }
        self.files = files
    }
}
