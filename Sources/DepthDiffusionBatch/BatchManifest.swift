import Foundation

/// A batch manifest: a JSON Lines file with one job per line.
///
/// ```json
/// {"id": "a1", "image": "in/a1.jpg", "prompt": "a marble statue", "seed": 7, "steps": 30}
/// ```
///
/// `id`, `image` and `prompt` are required; `negative_prompt`, `depth`, `seed`, `steps`, `strength`,
/// `guidance`, `scheduler`, `images` and `eta` default to ``BatchDefaults`` (`null` also means the default).
/// Relative paths are relative to the manifest's folder. Blank lines are ignored but keep their number.
/// Every line is checked when the manifest is read; a line that cannot be run becomes an
/// ``Entry/invalid(line:id:error:)`` entry, so the worker records it and goes on with the others.
public struct BatchManifest: Sendable {
    /// One non-blank manifest line.
    public enum Entry: Sendable, Equatable {
        /// A runnable job.
        case job(BatchJob)
        /// A line that cannot be run, with the id when the line has one.
        case invalid(line: Int, id: String?, error: BatchError)

        /// The 1-based line number.
        public var line: Int {
            switch self {
            case .job(let job): return job.line
            case .invalid(let line, _, _): return line
            }
        }
    }

    /// The manifest file.
    public let url: URL
    /// The non-blank lines in file order.
    public let entries: [Entry]

    /// Reads and checks a manifest: each line on its own, then ids (unique) and output names (no two jobs
    /// write the same file) across lines; the later of two clashing lines is the invalid one.
    public init(contentsOf url: URL, defaults: BatchDefaults = BatchDefaults()) throws {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw BatchError.cannotReadManifest(path: url.path, reason: (error as NSError).localizedDescription)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw BatchError.cannotReadManifest(path: url.path, reason: "the file is not UTF-8 text")
        }
        self.init(text: text, url: url, defaults: defaults)
    }

    /// Parses manifest text; relative paths are resolved against the folder of `url`.
    public init(text: String, url: URL, defaults: BatchDefaults = BatchDefaults()) {
        self.url = url
        let base = url.deletingLastPathComponent()
        var entries: [Entry] = []
        var firstLineOfID: [String: Int] = [:]
        var lineOfOutput: [String: Int] = [:]
        // "\r\n" is one Character in Swift, so both line ends are separators.
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        for (index, line) in lines.enumerated() {
            let number = index + 1
            guard line.contains(where: { !$0.isWhitespace }) else { continue }
            let job: BatchJob
            do {
                job = try BatchManifestLine.decode(line, number: number, base: base, defaults: defaults)
            } catch let error as BatchError {
                entries.append(.invalid(line: number, id: BatchManifestLine.id(of: line), error: error))
                continue
            } catch {
                entries.append(.invalid(line: number, id: nil, error: .invalidJSON(line: number, reason: "\(error)")))
                continue
            }
            if let first = firstLineOfID[job.id] {
                entries.append(.invalid(line: number, id: job.id, error: .duplicateID(line: number, id: job.id, firstLine: first)))
                continue
            }
            firstLineOfID[job.id] = number
            if let (name, other) = job.outputNames.lazy.compactMap({ n in lineOfOutput[n].map { (n, $0) } }).first {
                entries.append(.invalid(line: number, id: job.id, error: .outputCollision(line: number, file: name, otherLine: other)))
                continue
            }
            for name in job.outputNames { lineOfOutput[name] = number }
            entries.append(.job(job))
        }
        self.entries = entries
    }

    /// The entries shard `shard` runs, in file order.
    public func entries(for shard: BatchShard) -> [Entry] {
        entries.filter { shard.owns(line: $0.line) }
    }
}
