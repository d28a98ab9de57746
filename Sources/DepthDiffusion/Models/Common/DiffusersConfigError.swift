import Foundation

/// A diffusers `config.json` that cannot be read or describes a model this package does not implement.
public enum DiffusersConfigError: Error, CustomStringConvertible, Equatable {
    /// The file is missing or is not valid JSON for the component.
    case unreadable(file: String, reason: String)
    /// A field holds a value this implementation does not support.
    case unsupported(component: String, field: String, value: String, supported: String)
    /// Fields that contradict each other (list lengths, channel counts not divisible by the group count…).
    case inconsistent(component: String, detail: String)

    public var description: String {
        switch self {
        case let .unreadable(file, reason):
            return "cannot read the model configuration \(file): \(reason); check that the model folder is a complete diffusers checkpoint"
        case let .unsupported(component, field, value, supported):
            return "\(component) config: \(field) = \(value) is not supported (supported: \(supported)); use a stable-diffusion-2-depth compatible checkpoint"
        case let .inconsistent(component, detail):
            return "\(component) config is inconsistent: \(detail); check config.json against the checkpoint"
        }
    }
}

/// Decodes a JSON value that diffusers allows as either one integer or a list of integers.
struct IntOrList: Decodable, Equatable {
    var values: [Int]
    var isList: Bool

    init(_ values: [Int], isList: Bool) { self.values = values; self.isList = isList }

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let v = try? c.decode(Int.self) { values = [v]; isList = false } else {
            values = try c.decode([Int].self); isList = true
        }
    }

    /// One value per block: the list itself, or the scalar repeated.
    func perBlock(_ count: Int, component: String, field: String) throws -> [Int] {
        if !isList { return [Int](repeating: values[0], count: count) }
        guard values.count == count else {
            throw DiffusersConfigError.inconsistent(component: component,
                detail: "\(field) has \(values.count) entries for \(count) blocks")
        }
        return values
    }
}

/// Reads and decodes a `config.json` with snake_case keys.
/// Decodes a diffusers `config.json`; `url` may also be the component folder that holds it.
func decodeDiffusersConfig<T: Decodable>(_ type: T.Type, from url: URL) throws -> T {
    var isDirectory: ObjCBool = false
    let url = FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && isDirectory.boolValue
        ? url.appendingPathComponent("config.json") : url
    let data: Data
    do { data = try Data(contentsOf: url) } catch {
        throw DiffusersConfigError.unreadable(file: url.path, reason: "the file cannot be read (\(error.localizedDescription))")
    }
    return try decodeDiffusersConfig(type, data: data, file: url.path)
}

func decodeDiffusersConfig<T: Decodable>(_ type: T.Type, data: Data, file: String) throws -> T {
    let decoder = JSONDecoder()
    decoder.keyDecodingStrategy = .convertFromSnakeCase
    do { return try decoder.decode(type, from: data) } catch let error as DecodingError {
        let reason: String
        switch error {
        case let .keyNotFound(key, _): reason = "missing field \(snakeCase(key.stringValue))"
        case let .typeMismatch(_, ctx), let .valueNotFound(_, ctx), let .dataCorrupted(ctx):
            reason = "field \(ctx.codingPath.map { snakeCase($0.stringValue) }.joined(separator: ".")): \(ctx.debugDescription)"
        @unknown default: reason = "\(error)"
        }
        throw DiffusersConfigError.unreadable(file: file, reason: reason)
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
