import DepthDiffusion
import Foundation

/// Decodes one manifest line (a JSON object) into a ``BatchJob``, with a ``BatchError`` naming the line and
/// the field for anything wrong.
enum BatchManifestLine {
    /// The fields a line may have; `id`, `image` and `prompt` are required.
    static let fieldNames = ["id", "image", "prompt", "negative_prompt", "depth", "seed", "steps", "strength",
                             "guidance", "scheduler", "images", "eta"]

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// A field problem found while decoding, turned into a ``BatchError`` with the line number.
    private enum FieldProblem: Error {
        case unknown(String)
        case wrongType(field: String, expected: String)
    }

    /// The fields as written, before defaults. `JSONDecoder` rejects `"7"` for a number and `7.5` for an integer.
    private struct Fields: Decodable {
        var id, image, prompt, negativePrompt, depth, scheduler: String?
        var seed: UInt64?
        var steps, images: Int?
        var strength, eta: Double?
        var guidance: Float?

        init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: Key.self)
            if let unknown = c.allKeys.first(where: { !fieldNames.contains($0.stringValue) }) {
                throw FieldProblem.unknown(unknown.stringValue)
            }
            func field<T: Decodable>(_ name: String, _ expected: String) throws -> T? {
                do { return try c.decodeIfPresent(T.self, forKey: Key(stringValue: name)) } catch {
                    throw FieldProblem.wrongType(field: name, expected: expected)
                }
            }
            id = try field("id", "a string")
            image = try field("image", "a string")
            prompt = try field("prompt", "a string")
            negativePrompt = try field("negative_prompt", "a string")
            depth = try field("depth", "a string")
            scheduler = try field("scheduler", "a string")
            seed = try field("seed", "a non-negative integer")
            steps = try field("steps", "an integer")
            images = try field("images", "an integer")
            strength = try field("strength", "a number")
            eta = try field("eta", "a number")
            guidance = try field("guidance", "a number")
        }
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
        let fields: Fields
        do {
            fields = try JSONDecoder().decode(Fields.self, from: Data(text.utf8))
        } catch FieldProblem.unknown(let name) {
            throw BatchError.unknownField(line: number, field: name)
        } catch FieldProblem.wrongType(let name, let expected) {
            throw BatchError.wrongType(line: number, field: name, expected: expected)
        } catch {
            throw BatchError.invalidJSON(line: number, reason: reason(error))
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
