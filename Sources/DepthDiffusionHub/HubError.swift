import Foundation

/// Errors of resolving a model in the Hugging Face cache and downloading it from the hub. Each message
/// says what to do.
public enum HubError: Error, CustomStringConvertible, Equatable {
    /// The text is not a repository id (`org/name`).
    case invalidRepositoryID(String)
    /// 401 or 403 from the hub: a private or gated repository, or a wrong token.
    case unauthorized(repo: String, status: Int, tokenSet: Bool)
    /// 404: no such repository, revision or file.
    case notFound(repo: String, what: String)
    /// The hub could not be reached (no network, DNS failure, refused connection, timeout).
    case network(endpoint: String, detail: String)
    /// A download stopped before the end; the partial file is kept and resumed next time.
    case interrupted(file: String, received: Int64, expected: Int64, detail: String)
    /// Another HTTP status, or a response the client cannot use.
    case badResponse(url: String, status: Int, detail: String)
    /// A downloaded file's sha256 or size is not what the hub announced; the bad file was deleted.
    case verificationFailed(file: String, expected: String, actual: String)
    /// Not enough free space for a download.
    case diskFull(path: String, needed: Int64, available: Int64?)
    /// `HF_HUB_OFFLINE=1` (or no network) and the cache does not hold what is needed.
    case notCached(repo: String, revision: String, missing: String, cache: String)
    /// The repository has no weights this library can read for a component.
    case unsupportedRepository(repo: String, detail: String)
    /// Reading or writing the cache failed.
    case cache(path: String, detail: String)

    /// A message that says what went wrong and what to do about it.
    public var description: String {
        switch self {
        case let .invalidRepositoryID(text):
            return "'\(text)' is neither a model folder nor a Hugging Face repository id (org/name, e.g. stabilityai/stable-diffusion-2-depth)"
        case let .unauthorized(repo, status, tokenSet):
            let advice = tokenSet
                ? "the token in HF_TOKEN was refused: check it, and accept the model's terms on its hub page if it is gated"
                : "the repository is private or gated (or does not exist): set HF_TOKEN to an access token (https://huggingface.co/settings/tokens) and accept the model's terms on its hub page"
            return "the hub answered \(status) for \(repo): \(advice)"
        case let .notFound(repo, what):
            return "\(what) was not found on the hub for \(repo) (404): check the repository id (or, for a local folder, its path), --revision and --variant"
        case let .network(endpoint, detail):
            return "cannot reach \(endpoint) (\(detail)): check the network connection (and HF_ENDPOINT), or set HF_HUB_OFFLINE=1 to use only the local cache"
        case let .interrupted(file, received, expected, detail):
            return "the download of \(file) stopped at \(received) of \(expected) bytes (\(detail)); run the command again to resume it"
        case let .badResponse(url, status, detail):
            return "unexpected answer from \(url) (HTTP \(status)): \(detail); try again later"
        case let .verificationFailed(file, expected, actual):
            return "\(file) is corrupt: expected \(expected), got \(actual); the file was removed, run the command again to download it anew"
        case let .diskFull(path, needed, available):
            let free = available.map { ", \(Self.bytes($0)) free" } ?? ""
            return "not enough disk space in \(path): \(Self.bytes(needed)) needed\(free); free some space or point HF_HUB_CACHE at a larger disk"
        case let .notCached(repo, revision, missing, cache):
            return "\(repo) (revision \(revision)) is not complete in the cache \(cache): \(missing) is missing; "
                + "unset HF_HUB_OFFLINE and connect to the network to download it"
        case let .unsupportedRepository(repo, detail):
            return "\(repo) cannot be used: \(detail)"
        case let .cache(path, detail):
            return "cannot use the cache at \(path): \(detail); check its permissions or set HF_HUB_CACHE to a writable folder"
        }
    }

    /// `1.2 GB`, `34.0 MB`, `512 B`.
    static func bytes(_ n: Int64) -> String {
        let units = ["B", "kB", "MB", "GB", "TB"]
        var value = Double(n), unit = 0
        while value >= 1000 && unit < units.count - 1 { value /= 1000; unit += 1 }
        return unit == 0 ? "\(n) B" : String(format: "%.1f %@", value, units[unit])
    }
}
