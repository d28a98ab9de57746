import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The results files of an output folder: one JSON Lines file per shard, appended one flushed line per job.
public enum BatchResultsLog {
    /// The results file of `shard`: `results-shard-I-of-N.jsonl`.
    public static func fileName(for shard: BatchShard) -> String { "results-shard-\(shard.index)-of-\(shard.count).jsonl" }

    /// Every record in the folder's results files (all shard layouts, so a rerun with another shard count still
    /// sees earlier work). Lines that do not decode, such as a last line cut short by a crash, are ignored.
    public static func records(in folder: URL) -> [BatchResultRecord] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { return [] }
        let decoder = JSONDecoder()
        return names.filter { $0.hasPrefix("results-") && $0.hasSuffix(".jsonl") }.sorted().flatMap { name -> [BatchResultRecord] in
            guard let data = try? Data(contentsOf: folder.appendingPathComponent(name)) else { return [] }
            return data.split(separator: UInt8(ascii: "\n")).compactMap { try? decoder.decode(BatchResultRecord.self, from: Data($0)) }
        }
    }

    /// The ids with a successful record in the folder's results files.
    public static func succeededIDs(in folder: URL) -> Set<String> {
        Set(records(in: folder).compactMap { $0.error == nil ? $0.id : nil })
    }
}

/// Appends records to one results file; each record is one line, written with one `write` and flushed to disk
/// before ``append(_:)`` returns.
final class BatchResultsWriter {
    let url: URL
    private let fd: Int32
    private let encoder: JSONEncoder

    /// Opens (or creates) the file for appending. A last line cut short by a crash is ended with a newline
    /// first, so that the next record stays readable.
    init(url: URL) throws {
        self.url = url
        fd = open(url.path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw DurableFile.failure(url) }
        encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let size = lseek(fd, 0, SEEK_END)
        if size > 0 {
            var last: UInt8 = 0
            if pread(fd, &last, 1, size - 1) == 1, last != UInt8(ascii: "\n") { try write(Data("\n".utf8)) }
        }
        DurableFile.syncFolder(url.deletingLastPathComponent())
    }

    deinit { close(fd) }

    /// Appends `record` as one line and flushes it.
    func append(_ record: BatchResultRecord) throws {
        var line: Data
        do { line = try encoder.encode(record) } catch {
            throw BatchError.cannotWrite(path: url.path, reason: "the record could not be encoded: \(error)")
        }
        line.append(UInt8(ascii: "\n"))
        try write(line)
    }

    private func write(_ data: Data) throws {
        guard data.withUnsafeBytes({ DurableFile.writeAll(fd, $0) }), fsync(fd) == 0 else { throw DurableFile.failure(url) }
    }
}
