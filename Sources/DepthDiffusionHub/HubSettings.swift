import Foundation
import DepthDiffusion

/// Where the hub and the cache are, read from the same environment variables as `huggingface_hub`.
///
/// - `HF_HUB_CACHE` (or the older `HUGGINGFACE_HUB_CACHE`), else `$HF_HOME/hub`, else `$XDG_CACHE_HOME/huggingface/hub`, else `~/.cache/huggingface/hub`;
/// - `HF_ENDPOINT` (default `https://huggingface.co`);
/// - `HF_TOKEN`, else the token file `$HF_TOKEN_PATH` or `$HF_HOME/token` that `hf auth login` writes;
/// - `HF_HUB_OFFLINE=1` (or `TRANSFORMERS_OFFLINE=1`): use the cache only, never the network.
public struct HubSettings: Sendable {
    /// The cache folder (`…/huggingface/hub`).
    public var cache: HubCache
    /// The hub's base URL.
    public var endpoint: URL
    /// The access token sent as `Authorization: Bearer …`, if any.
    public var token: String?
    /// Never use the network.
    public var offline: Bool
    /// Also check the sha256 of LFS files that are already in the cache (their size is always checked).
    public var verifyCachedFiles = false
    /// How many times an interrupted download is resumed automatically before giving up.
    public var retries = 2

    /// Explicit settings (``fromEnvironment(_:)`` reads them the way `huggingface_hub` does).
    public init(cache: HubCache, endpoint: URL = URL(string: "https://huggingface.co")!, token: String? = nil, offline: Bool = false) {
        self.cache = cache
        self.endpoint = endpoint
        self.token = token
        self.offline = offline
    }

    /// The settings from the environment (by default this process's).
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> HubSettings {
        func value(_ key: String) -> String? { environment[key].flatMap { $0.isEmpty ? nil : $0 } }
        let hfHome = HuggingFaceCacheLocation.home(environment: environment)
        let root = HuggingFaceCacheLocation.hubCache(environment: environment)
        var endpoint = value("HF_ENDPOINT") ?? "https://huggingface.co"
        while endpoint.hasSuffix("/") { endpoint.removeLast() }
        var token = value("HF_TOKEN")
        if token == nil {
            let file = value("HF_TOKEN_PATH").map { URL(fileURLWithPath: $0) } ?? hfHome.appendingPathComponent("token")
            token = (try? String(contentsOf: file, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
            if token?.isEmpty == true { token = nil }
        }
        let truthy: Set<String> = ["1", "ON", "YES", "TRUE"]
        let offline = [value("HF_HUB_OFFLINE"), value("TRANSFORMERS_OFFLINE")].contains { $0.map { truthy.contains($0.uppercased()) } ?? false }
        return HubSettings(cache: HubCache(root: root), endpoint: URL(string: endpoint) ?? URL(string: "https://huggingface.co")!,
                           token: token, offline: offline)
    }
}
