import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A read-only, memory-mapped `.safetensors` file.
///
/// Opening maps the file and validates the whole header (see ``SafeTensorsError`` for
/// every rule); tensor bytes are only touched when a tensor is read, so opening a
/// multi-gigabyte checkpoint is cheap and memory use grows only with what is loaded.
///
/// ```swift
/// let file = try SafeTensorsFile(url: weightsURL)
/// let bias = try file.floats("conv_in.bias")   // F32/F16/BF16 → [Float]
/// ```
///
/// Instances are immutable and safe to share between threads. The file must not be
/// truncated by another process while it is open (the OS would signal on access).
/// `@unchecked Sendable`: every stored property is immutable; `base` points into a read-only memory map
/// owned by the instance, which is only read.
public final class SafeTensorsFile: @unchecked Sendable {
    /// The largest header accepted (100 MB, like the reference implementation).
    public static let maxHeaderLength = 100_000_000

    /// The file's location.
    public let url: URL
    /// Every tensor in the file, by name.
    public let entries: [String: SafeTensorsEntry]
    /// The string pairs stored under `__metadata__` (empty if absent).
    public let metadata: [String: String]
    /// The size of the file in bytes.
    public let fileSize: Int

    private let base: UnsafeRawPointer
    private let dataStart: Int

    /// Maps and validates the file at `url`.
    /// - Throws: ``SafeTensorsError`` if the file cannot be opened or its header is invalid.
    public init(url: URL) throws {
        let path = url.path
        self.url = url
        let (base, size) = try Self.map(path: path)
        do {
            let bytes = UnsafeRawBufferPointer(start: base, count: size)
            guard size >= 8 else { throw SafeTensorsError.fileTooShort(file: path, size: size) }
            let headerLength = UInt64(littleEndian: bytes.loadUnaligned(as: UInt64.self))
            guard headerLength <= UInt64(Self.maxHeaderLength) else {
                throw SafeTensorsError.headerTooLarge(file: path, headerLength: headerLength, limit: Self.maxHeaderLength)
            }
            guard headerLength <= UInt64(size - 8) else {
                throw SafeTensorsError.headerLengthExceedsFile(file: path, headerLength: headerLength, fileSize: size)
            }
            let dataStart = 8 + Int(headerLength)
            let header = try SafeTensorsHeader(headerBytes: Array(bytes[8..<dataStart]),
                                               dataSize: size - dataStart, file: path)
            self.base = base
            self.fileSize = size
            self.dataStart = dataStart
            self.entries = header.entries
            self.metadata = header.metadata
        } catch {
            munmap(UnsafeMutableRawPointer(mutating: base), size)
            throw error
        }
    }

    deinit {
        munmap(UnsafeMutableRawPointer(mutating: base), fileSize)
    }

    /// Opens `path` and maps all of it read-only. The descriptor is closed before returning.
    private static func map(path: String) throws -> (UnsafeRawPointer, Int) {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw SafeTensorsError.cannotOpen(file: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw SafeTensorsError.cannotOpen(file: path, reason: String(cString: strerror(errno)))
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw SafeTensorsError.cannotOpen(file: path, reason: "not a regular file")
        }
        let size = Int(info.st_size)
        guard size > 0 else { throw SafeTensorsError.emptyFile(file: path) }
        guard let pointer = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), pointer != MAP_FAILED else {
            throw SafeTensorsError.cannotOpen(file: path, reason: "mmap failed: \(String(cString: strerror(errno)))")
        }
        return (UnsafeRawPointer(pointer), size)
    }

    /// All tensor names, sorted.
    public var names: [String] { entries.keys.sorted() }

    /// Whether the file holds a tensor called `name`.
    public func contains(_ name: String) -> Bool { entries[name] != nil }

    /// The entry for `name`.
    /// - Throws: ``SafeTensorsError/tensorNotFound(file:tensor:)``.
    public func entry(_ name: String) throws -> SafeTensorsEntry {
        guard let entry = entries[name] else { throw SafeTensorsError.tensorNotFound(file: url.path, tensor: name) }
        return entry
    }

    /// Calls `body` with the tensor's bytes exactly as stored (little-endian, unaligned),
    /// without copying. The buffer is valid only during the call.
    public func withRawBytes<R>(_ name: String, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        let range = try entry(name).byteRange
        return try body(UnsafeRawBufferPointer(start: base + dataStart + range.lowerBound, count: range.count))
    }

    /// Calls `body` with the tensor's elements as stored (F32 as floats, F16/BF16 as raw bit patterns), then
    /// releases the file's memory pages of the tensor (`madvise(MADV_DONTNEED)`; a later read maps them again).
    /// F32 data that is not 4-byte aligned is copied first.
    /// - Throws: ``SafeTensorsError/unsupportedDType(file:tensor:dtype:)`` for non-float dtypes.
    public func withWeightData<R>(_ name: String, _ body: (WeightData) throws -> R) throws -> R {
        let entry = try entry(name)
        let range = entry.byteRange
        let start = base + dataStart + range.lowerBound
        defer { releasePages(start, range.count) }
        let raw = UnsafeRawBufferPointer(start: start, count: range.count)
        switch entry.dtype {
        case .f16: return try body(.float16(raw))
        case .bf16: return try body(.bfloat16(raw))
        case .f32 where Int(bitPattern: start) % MemoryLayout<Float>.alignment == 0:
            return try body(.float32(UnsafeBufferPointer(start: start.assumingMemoryBound(to: Float.self), count: range.count / 4)))
        default:
            return try floats(name).withUnsafeBufferPointer { try body(.float32($0)) }
        }
    }

    /// Drops the whole pages inside `[start, start + count)` from this process's memory.
    private func releasePages(_ start: UnsafeRawPointer, _ count: Int) {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        guard page > 0 else { return }
        let lo = (Int(bitPattern: start) + page - 1) / page * page, hi = (Int(bitPattern: start) + count) / page * page
        if hi > lo { madvise(UnsafeMutableRawPointer(bitPattern: lo), hi - lo, Int32(MADV_DONTNEED)) }
    }

    /// A copy of the tensor's bytes exactly as stored, for keeping F16/BF16 (or integer) storage as is.
    public func rawData(_ name: String) throws -> Data {
        try withRawBytes(name) { Data($0) }
    }

    /// The tensor's values as `Float`, converting F16 and BF16 exactly.
    /// - Throws: ``SafeTensorsError/tensorNotFound(file:tensor:)``, or
    ///   ``SafeTensorsError/unsupportedDType(file:tensor:dtype:)`` for non-float dtypes.
    public func floats(_ name: String) throws -> [Float] {
        let dtype = try entry(name).dtype
        let values = try withRawBytes(name) { Float16Conversion.decode($0, as: dtype) }
        guard let values else { throw SafeTensorsError.unsupportedDType(file: url.path, tensor: name, dtype: dtype) }
        return values
    }
}
