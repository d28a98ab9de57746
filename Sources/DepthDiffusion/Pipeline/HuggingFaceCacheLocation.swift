import Foundation

/// Where `huggingface_hub` keeps its files, by the same environment rules as the Python library; shared by the
/// single-file loader's cache lookup and the `DepthDiffusionHub` product.
public enum HuggingFaceCacheLocation {
    /// `HF_HOME`, else `$XDG_CACHE_HOME/huggingface`, else `$HOME/.cache/huggingface` (the token file lives here).
    public static func home(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        func value(_ key: String) -> String? { environment[key].flatMap { $0.isEmpty ? nil : $0 } }
        if let home = value("HF_HOME") { return URL(fileURLWithPath: home) }
        let user = value("HOME").map { URL(fileURLWithPath: $0) } ?? FileManager.default.homeDirectoryForCurrentUser
        let cacheHome = value("XDG_CACHE_HOME").map { URL(fileURLWithPath: $0) } ?? user.appendingPathComponent(".cache")
        return cacheHome.appendingPathComponent("huggingface")
    }

    /// `HF_HUB_CACHE` (or the older `HUGGINGFACE_HUB_CACHE`), else `home/hub`.
    public static func hubCache(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        for key in ["HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"] {
            if let path = environment[key], !path.isEmpty { return URL(fileURLWithPath: path) }
        }
        return home(environment: environment).appendingPathComponent("hub")
    }
}
