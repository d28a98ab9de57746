import Foundation

/// Finds downloaded models in the local Hugging Face hub cache (`models--org--name/snapshots/<revision>`),
/// without any network access.
struct HuggingFaceCache {
    /// The cache folder.
    let root: URL

    /// `explicit`, else the cache the environment names (``HuggingFaceCacheLocation/hubCache(environment:)``).
    init(explicit: URL? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) {
        root = explicit ?? HuggingFaceCacheLocation.hubCache(environment: environment)
    }

    /// Whether `text` has the form of a model id (`org/name`, no other slashes, not an existing path).
    static func isModelID(_ text: String) -> Bool {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        return parts.count == 2 && parts.allSatisfy { !$0.isEmpty && $0 != "." && $0 != ".." }
            && !FileManager.default.fileExists(atPath: text)
    }

    /// The folder of the model's repository in the cache (it may not exist).
    func repositoryFolder(_ id: String) -> URL {
        root.appendingPathComponent("models--" + id.replacingOccurrences(of: "/", with: "--"))
    }

    /// The snapshot that `refs/main` names, else the only (or newest) snapshot; `nil` when none is cached.
    func snapshot(_ id: String) -> URL? {
        let repository = repositoryFolder(id)
        let snapshots = repository.appendingPathComponent("snapshots")
        if let main = try? String(contentsOf: repository.appendingPathComponent("refs/main"), encoding: .utf8) {
            let folder = snapshots.appendingPathComponent(main.trimmingCharacters(in: .whitespacesAndNewlines))
            if FileManager.default.fileExists(atPath: folder.path) { return folder }
        }
        let entries = (try? FileManager.default.contentsOfDirectory(at: snapshots, includingPropertiesForKeys: [.contentModificationDateKey])) ?? []
        return entries.max {
            let a = (try? $0.resourceValues(forKeys: [.contentModificationDateKey]).contentModificationDate) ?? .distantPast
            let b = (try? $1.resourceValues(forKeys: [.contentModificationDateKey]).contentModificationDate) ?? .distantPast
            return a < b
        }
    }
}
