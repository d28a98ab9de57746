/// A Hugging Face model repository id, `org/name` (for example `stabilityai/stable-diffusion-2-depth`).
public struct HubRepositoryID: Hashable, Sendable, CustomStringConvertible {
    /// The owner (user or organisation).
    public let owner: String
    /// The repository name.
    public let name: String

    /// Parses `org/name`: two parts of letters, digits, `-`, `_` and `.`, neither starting with `.` or `-`,
    /// neither containing `--` or `..`, at most 96 characters each (the hub's rules).
    public init(_ text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2, parts.allSatisfy(Self.isValidPart) else { throw HubError.invalidRepositoryID(text) }
        owner = parts[0]
        name = parts[1]
    }

    /// Whether `text` has the form of a repository id.
    public static func isValid(_ text: String) -> Bool { (try? HubRepositoryID(text)) != nil }

    private static func isValidPart(_ part: String) -> Bool {
        guard !part.isEmpty, part.count <= 96, !part.hasPrefix("."), !part.hasPrefix("-"), !part.hasSuffix("."),
              !part.contains("--"), !part.contains("..") else { return false }
        return part.unicodeScalars.allSatisfy { s in
            (s.value < 0x80) && (("a"..."z").contains(s) || ("A"..."Z").contains(s) || ("0"..."9").contains(s) || s == "-" || s == "_" || s == ".")
        }
    }

    /// `org/name`.
    public var description: String { "\(owner)/\(name)" }
    /// The repository's folder in the cache: `models--org--name`.
    public var cacheFolderName: String { "models--\(owner)--\(name)" }
}
