import DepthDiffusion
import Foundation

/// Decodes one manifest line (a JSON object) into a ``BatchJob``, with a ``BatchError`` naming the line and
/// the field for anything wrong.
enum BatchManifestLine {
    /// The fields a line may have, with the JSON type each takes (named in errors); `id`, `image` and `prompt`
    /// are required.
    static let expectedTypes: KeyValuePairs = [
        "id": "a string", "image": "a string", "prompt": "a string", "negative_prompt": "a string", "depth": "a string",
        "seed": "a non-negative integer", "steps": "an integer", "strength": "a number", "guidance": "a number",
        "scheduler": "a string", "images": "an integer", "eta": "a number",
    ]

    /// The field names, in the order of ``expectedTypes``.
    static var fieldNames: [String] { expectedTypes.map(\.key) }

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// The fields as written, before defaults. `JSONDecoder` rejects `"7"` for a number and `7.5` for an integer.
    private struct Fields: Decodable {
        var id, image, prompt, negativePrompt, depth, scheduler: String?
        var seed: UInt64?
        var steps, images: Int?
        var strength, eta: Double?
        var guidance: Float?

        enum CodingKeys: String, CodingKey {
            case id, image, prompt, negativePrompt = "negative_prompt", depth, scheduler, seed, steps, images, strength, eta, guidance
        }
    }

    /// The keys of a line, to refuse unknown fields before reading any.
    private struct KeyNames: Decodable {
        var names: [String]
        init(from decoder: Decoder) throws { names = try decoder.container(keyedBy: Key.self).allKeys.map(\.stringValue) }
    }

    /// Only the `id`, to label a line that fails for another reason.
    private struct IDOnly: Decodable {
        var id: String?
        init(from decoder: Decoder) throws {
            id = try? decoder.container(keyedBy: Key.self).decodeIfPresent(String.self, forKey: Key(stringValue: "id"))
        }
    }

    /// The `id` of a line, when the line is a JSON object with a string `id` (used to label failed lines).
    static func id(of text: Substring) -> String? {
        (try? JSONDecoder().decode(IDOnly.self, from: Data(text.utf8)))?.id
    }

    /// Decodes line `number`; relative paths are resolved against `base` (the manifest's folder).
    static func decode(_ text: Substring, number: Int, base: URL, defaults: BatchDefaults) throws -> BatchJob {
        let data = Data(text.utf8)
        let fields: Fields
        do {
            let names = try JSONDecoder().decode(KeyNames.self, from: data).names
            if let unknown = names.first(where: { !fieldNames.contains($0) }) {
                throw BatchError.unknownField(line: number, field: unknown)
            }
            fields = try JSONDecoder().decode(Fields.self, from: data)
        } catch let error as BatchError {
            throw error
        } catch {
            throw fieldError(error, data: data, line: number)
        }
        func required(_ value: String?, _ name: String) throws -> String {
            guard let value else { throw BatchError.missingField(line: number, field: name) }
            return value
        }
        func path(_ text: String, _ name: String) throws -> URL {
            guard !text.isEmpty else { throw BatchError.invalidValue(line: number, field: name, detail: "is empty; give a file path") }
            return text.hasPrefix("/") ? URL(fileURLWithPath: text) : base.appendingPathComponent(text)
        }

        let id = try required(fields.id, "id")
        guard BatchJob.isValidID(id) else { throw BatchError.invalidID(line: number, id: id) }
        let image = try path(try required(fields.image, "image"), "image")
        let prompt = try required(fields.prompt, "prompt")
        var scheduler = defaults.scheduler
        if let name = fields.scheduler {
            guard let kind = SchedulerKind(rawValue: name) else {
                throw BatchError.invalidValue(line: number, field: "scheduler",
                    detail: "is \"\(name)\"; use one of \(SchedulerKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            scheduler = kind
        }
        let images = fields.images ?? defaults.images
        guard (1...64).contains(images) else {
            throw BatchError.invalidValue(line: number, field: "images", detail: "is \(images); it must be in 1...64")
        }
        return BatchJob(
            id: id, line: number, image: image, prompt: prompt,
            negativePrompt: fields.negativePrompt ?? defaults.negativePrompt,
            depth: try fields.depth.map { try path($0, "depth") },
            seed: fields.seed ?? defaults.seed ?? BatchJob.seed(forID: id),
            steps: fields.steps ?? defaults.steps,
            strength: fields.strength ?? defaults.strength,
            guidance: fields.guidance ?? defaults.guidance,
            scheduler: scheduler,
            eta: fields.eta ?? defaults.eta,
            images: images)
    }

    /// A field of the wrong type, named with the type it takes, or else the line's JSON problem. `JSONDecoder`
    /// does not name the field of a number it cannot take (`-1` for the seed, `7.5` for the steps), so then each
    /// field is tried alone.
    private static func fieldError(_ error: Error, data: Data, line: Int) -> BatchError {
        var field: String?
        switch error as? DecodingError {
        case .typeMismatch(_, let context)?, .valueNotFound(_, let context)?, .dataCorrupted(let context)?:
            field = context.codingPath.first?.stringValue
        default: break
        }
        if field == nil, let object = try? JSONDecoder().decode([String: JSONValue].self, from: data) {
            field = fieldNames.first { name in
                guard let value = object[name], let alone = try? JSONEncoder().encode([name: value]) else { return false }
                return (try? JSONDecoder().decode(Fields.self, from: alone)) == nil
            }
        }
        if let field, let expected = expectedTypes.first(where: { $0.key == field })?.value {
            return .wrongType(line: line, field: field, expected: expected)
        }
        return .invalidJSON(line: line, reason: reason(error))
    }

    /// A one-line reason from a `DecodingError`.
    private static func reason(_ error: Error) -> String {
        switch error as? DecodingError {
        case .dataCorrupted(let context)?:
            let underlying = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
            return underlying ?? context.debugDescription
        case .typeMismatch?: return "the line is valid JSON but not an object"
        default: return "\(error)"
        }
    }
}
