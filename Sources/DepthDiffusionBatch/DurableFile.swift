import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Files that are either absent or complete, even if the process is killed or the machine loses power:
/// the bytes go to a hidden temporary file in the same folder (`.NAME.PID.tmp`), which is flushed to disk
/// and then renamed over `NAME`; the folder is flushed after the rename.
enum DurableFile {
    /// Writes `data` to `url` atomically and durably.
    static func write(_ data: Data, to url: URL) throws {
        let folder = url.deletingLastPathComponent()
        let temporary = folder.appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp")
        let fd = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure(temporary) }
        var ok = data.withUnsafeBytes { writeAll(fd, $0) } && fsync(fd) == 0
        let writeError = errno
        ok = close(fd) == 0 && ok
        guard ok, rename(temporary.path, url.path) == 0 else {
            let error = failure(url, code: ok ? errno : writeError)
            unlink(temporary.path)
            throw error
        }
        syncFolder(folder)
    }

    /// Removes temporary files of earlier, interrupted writes of `names` in `folder`.
    static func removeTemporaries(of names: Set<String>, in folder: URL) {
        guard let items = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { return }
        for item in items where item.hasPrefix(".") && item.hasSuffix(".tmp") {
            let inner = item.dropFirst().dropLast(4)           // NAME.PID
            guard let dot = inner.lastIndex(of: "."), names.contains(String(inner[..<dot])) else { continue }
            unlink(folder.appendingPathComponent(item).path)
        }
    }

    /// Writes every byte of `bytes` to `fd`, retrying short writes and interruptions.
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return false }
            offset += n
        }
        return true
    }

    /// Flushes a folder's entries (a rename is durable only once its folder is).
    static func syncFolder(_ folder: URL) {
        let fd = open(folder.path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }

    static func failure(_ url: URL, code: Int32 = errno) -> BatchError {
        BatchError.cannotWrite(path: url.path, reason: String(cString: strerror(code)))
    }
}
