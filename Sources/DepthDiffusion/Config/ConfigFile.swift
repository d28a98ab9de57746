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
        var isDirectory: ObjCBool = false
        let url = FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && isDirectory.boolValue
            ? url.appendingPathComponent(defaultName) : url
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ConfigError.unreadable(file: url.path, reason: FileManager.default.fileExists(atPath: url.path)
                ? "the file cannot be read (\(error.localizedDescription))" : "the file is missing")
        }
        return try decode(type, data: data, file: url.path, keys: keys)
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
