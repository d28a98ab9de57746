import Foundation

/// The one reader of JSON configuration files: `Decodable` types, strict types (a string where a number
/// belongs is an error, an integer field refuses `2.5`), absent keys left to each type's defaults, and every
/// failure a ``ConfigError`` that names the file and the field.
enum ConfigFile {
    /// How JSON keys map to the type's coding keys.
    enum Keys {
        /// `block_out_channels` → `blockOutChannels` (types without explicit coding keys).
        case snakeCase
        /// The type's `CodingKeys` spell the JSON keys themselves.
        case declared
    }

    /// Decodes a configuration file; `url` may also be the folder that holds `defaultName`.
    static func decode<T: Decodable>(_ type: T.Type, from url: URL, defaultName: String = "config.json",
                                     keys: Keys = .snakeCase) throws -> T {
        let (data, file) = try read(url, defaultName: defaultName)
        return try decode(type, data: data, file: file, keys: keys)
    }

    /// The bytes of a configuration file and its path for messages; `url` may also be the folder that holds
    /// `defaultName`.
    static func read(_ url: URL, defaultName: String = "config.json") throws -> (data: Data, file: String) {
        var isDirectory: ObjCBool = false
        let url = FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && isDirectory.boolValue
            ? url.appendingPathComponent(defaultName) : url
        do { return (try Data(contentsOf: url), url.path) } catch {
            throw ConfigError.unreadable(file: url.path, reason: FileManager.default.fileExists(atPath: url.path)
                ? "the file cannot be read (\(error.localizedDescription))" : "the file is missing")
        }
    }

    /// Decodes a configuration over `defaults`: a field whose key the JSON object leaves out, or sets to `null`,
    /// keeps its value in `defaults`. `T`'s coding keys (snake case in the JSON) are the fields read as they
    /// are; a type reads the fields that need conversion or checks from the same data on its own. Fields outside
    /// the coding keys get their declared initial values, not those of `defaults`.
    static func decode<T: Codable>(data: Data, over defaults: T, file: String) throws -> T {
        try decode(decode([String: JSONValue].self, data: data, file: file, keys: .declared), over: defaults, file: file)
    }

    /// ``decode(data:over:file:)`` for an object already read (e.g. a nested `backbone_config`).
    static func decode<T: Codable>(_ object: [String: JSONValue], over defaults: T, file: String) throws -> T {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        let base: [String: JSONValue]
        do { base = try JSONDecoder().decode([String: JSONValue].self, from: encoder.encode(defaults)) } catch {
            throw ConfigError.unreadable(file: file, reason: "the defaults cannot be encoded (\(error))")
        }
        let merged = base.merging(object.filter { $0.value != .null }) { _, given in given }
        let data: Data
        do { data = try JSONEncoder().encode(merged) } catch {
            throw ConfigError.unreadable(file: file, reason: "\(error)")
        }
        return try decode(T.self, data: data, file: file)
    }

    /// Decodes configuration JSON text; `file` names it in errors.
    static func decode<T: Decodable>(_ type: T.Type, data: Data, file: String, keys: Keys = .snakeCase) throws -> T {
        let decoder = JSONDecoder()
        if case .snakeCase = keys { decoder.keyDecodingStrategy = .convertFromSnakeCase }
        do { return try decoder.decode(type, from: data) } catch let error as DecodingError {
            let reason: String
            switch error {
            case let .keyNotFound(key, _): reason = "missing field \(snakeCase(key.stringValue))"
            case let .typeMismatch(_, ctx), let .valueNotFound(_, ctx), let .dataCorrupted(ctx):
                let path = ctx.codingPath.map { snakeCase($0.stringValue) }.joined(separator: ".")
                reason = path.isEmpty ? "not a valid JSON object (\(ctx.debugDescription))" : "field \(path): \(ctx.debugDescription)"
            @unknown default: reason = "\(error)"
            }
            throw ConfigError.unreadable(file: file, reason: reason)
        } catch let error as ConfigError {
            throw error
        } catch {
            throw ConfigError.unreadable(file: file, reason: "\(error)")
        }
    }
}

/// `blockOutChannels` → `block_out_channels`, for messages that name the JSON field.
private func snakeCase(_ name: String) -> String {
    var out = ""
    for ch in name {
        if ch.isUppercase { out += "_" + ch.lowercased() } else { out.append(ch) }
    }
    return out
}

/// A JSON value that a configuration allows as either one value or a list of values (`attention_head_dim`,
/// `image_size`, `image_mean`).
struct OneOrList<Element: Decodable & Equatable>: Decodable, Equatable {
    var values: [Element]
    var isList: Bool

    init(_ values: [Element], isList: Bool) { self.values = values; self.isList = isList }

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let v = try? c.decode(Element.self) { values = [v]; isList = false } else {
            values = try c.decode([Element].self); isList = true
        }
    }

    /// One value per block: the list itself, or the scalar repeated.
    func perBlock(_ count: Int, component: String, field: String) throws -> [Element] {
        if !isList { return [Element](repeating: values[0], count: count) }
        guard values.count == count else {
            throw ConfigError.inconsistent(component: component, detail: "\(field) has \(values.count) entries for \(count) blocks")
        }
        return values
    }
}

typealias IntOrList = OneOrList<Int>
