/// The entries of a ZIP archive whose members are stored uncompressed, as `torch.save` writes them.
///
/// Reads the end-of-central-directory record (and its ZIP64 form, which checkpoints over 4 GB use), then
/// every central directory entry, and checks each member's local header. Every offset and length is checked
/// against the archive's size before it is used, so a truncated or crafted file yields a ``ZipArchiveError``,
/// never an out-of-bounds read. Compressed or encrypted members are refused.
public struct ZipStoredArchive {
    /// Where a member's bytes lie in the archive.
    public struct Entry: Equatable, Sendable {
        public var name: String
        /// Byte range of the member's data within the archive.
        public var range: Range<Int>
    }

    /// The members by name.
    public let entries: [String: Entry]
    /// Member names in central-directory order.
    public let names: [String]

    /// Parses the archive held in `bytes` (usually a memory-mapped file).
    public init(_ bytes: UnsafeRawBufferPointer) throws {
        let reader = Reader(bytes: bytes)
        let (count, directoryOffset, directorySize) = try Self.endOfCentralDirectory(reader)
        guard directoryOffset <= bytes.count, directorySize <= bytes.count - directoryOffset else {
            throw ZipArchiveError.malformed("the central directory lies outside the file (the file is truncated)")
        }
        var entries: [String: Entry] = [:]
        var names: [String] = []
        var position = directoryOffset
        let directoryEnd = directoryOffset + directorySize
        for _ in 0..<count {
            guard position + 46 <= directoryEnd, try reader.u32(position) == 0x0201_4b50 else {
                throw ZipArchiveError.malformed("a central directory entry is missing or damaged")
            }
            let flags = try reader.u16(position + 8), method = try reader.u16(position + 10)
            var compressed = UInt64(try reader.u32(position + 20)), size = UInt64(try reader.u32(position + 24))
            let nameLength = Int(try reader.u16(position + 28)), extraLength = Int(try reader.u16(position + 30))
            let commentLength = Int(try reader.u16(position + 32))
            var localOffset = UInt64(try reader.u32(position + 42))
            let nameStart = position + 46
            guard nameStart + nameLength + extraLength + commentLength <= directoryEnd else {
                throw ZipArchiveError.malformed("a central directory entry runs past the directory")
            }
            let name = try reader.string(nameStart, nameLength)
            // ZIP64 extended information: the 64-bit values of the fields that hold 0xFFFFFFFF, in order.
            var extra = nameStart + nameLength
            let extraEnd = extra + extraLength
            while extra + 4 <= extraEnd {
                let tag = try reader.u16(extra), length = Int(try reader.u16(extra + 2))
                guard extra + 4 + length <= extraEnd else { throw ZipArchiveError.malformed("an extra field of \(name) is damaged") }
                if tag == 0x0001 {
                    var field = extra + 4
                    func next() throws -> UInt64 {
                        guard field + 8 <= extra + 4 + length else { throw ZipArchiveError.malformed("the ZIP64 field of \(name) is too short") }
                        defer { field += 8 }
                        return try reader.u64(field)
                    }
                    if size == 0xFFFF_FFFF { size = try next() }
                    if compressed == 0xFFFF_FFFF { compressed = try next() }
                    if localOffset == 0xFFFF_FFFF { localOffset = try next() }
                }
                extra += 4 + length
            }
            guard flags & 0x1 == 0 else { throw ZipArchiveError.encrypted(entry: name) }
            guard method == 0 else { throw ZipArchiveError.compressed(entry: name, method: Int(method)) }
            guard compressed == size else { throw ZipArchiveError.malformed("stored member \(name) has different packed and unpacked sizes") }
            guard bytes.count >= 30, localOffset <= UInt64(bytes.count - 30) else {
                throw ZipArchiveError.malformed("member \(name) starts outside the file (the file is truncated)")
            }
            let local = Int(localOffset)
            guard try reader.u32(local) == 0x0403_4b50 else { throw ZipArchiveError.malformed("the local header of \(name) is missing") }
            let localName = Int(try reader.u16(local + 26)), localExtra = Int(try reader.u16(local + 28))
            let dataStart = local + 30 + localName + localExtra
            guard dataStart <= bytes.count, size <= UInt64(bytes.count - dataStart) else {
                throw ZipArchiveError.malformed("the data of \(name) runs past the end of the file (the file is truncated)")
            }
            guard try reader.string(local + 30, localName) == name else {
                throw ZipArchiveError.malformed("the local header of \(name) names another member")
            }
            guard entries[name] == nil else { throw ZipArchiveError.malformed("member \(name) appears twice") }
            entries[name] = Entry(name: name, range: dataStart..<dataStart + Int(size))
            names.append(name)
            position = nameStart + nameLength + extraLength + commentLength
        }
        self.entries = entries
        self.names = names
    }

    /// (entry count, central directory offset, central directory size), from the classic or ZIP64 record.
    private static func endOfCentralDirectory(_ reader: Reader) throws -> (Int, Int, Int) {
        let size = reader.bytes.count
        guard size >= 22 else { throw ZipArchiveError.notAZipArchive }
        // The record is 22 bytes plus a comment of at most 65535 bytes at the end of the file.
        var found: Int?
        var candidate = size - 22
        let lowest = max(0, size - 22 - 65535)
        while candidate >= lowest {
            if try reader.u32(candidate) == 0x0605_4b50, candidate + 22 + Int(try reader.u16(candidate + 20)) == size {
                found = candidate; break
            }
            candidate -= 1
        }
        guard let end = found else {
            // A local header at the start means a ZIP whose end was cut off.
            if try reader.u32(0) == 0x0403_4b50 { throw ZipArchiveError.malformed("the end of the archive is missing (the file is truncated)") }
            throw ZipArchiveError.notAZipArchive
        }
        var count = UInt64(try reader.u16(end + 10))
        var directorySize = UInt64(try reader.u32(end + 12)), directoryOffset = UInt64(try reader.u32(end + 16))
        if count == 0xFFFF || directorySize == 0xFFFF_FFFF || directoryOffset == 0xFFFF_FFFF {
            guard end >= 20, try reader.u32(end - 20) == 0x0706_4b50 else {
                throw ZipArchiveError.malformed("the ZIP64 end-of-directory locator is missing")
            }
            let record = try reader.u64(end - 20 + 8)
            guard size >= 56, record <= UInt64(size - 56), try reader.u32(Int(record)) == 0x0606_4b50 else {
                throw ZipArchiveError.malformed("the ZIP64 end-of-directory record is missing")
            }
            count = try reader.u64(Int(record) + 32)
            directorySize = try reader.u64(Int(record) + 40)
            directoryOffset = try reader.u64(Int(record) + 48)
        }
        // Each entry takes at least 46 bytes, which bounds the count by the file size.
        guard count <= UInt64(size / 46), directorySize <= UInt64(size), directoryOffset <= UInt64(size) else {
            throw ZipArchiveError.malformed("the end-of-directory record gives impossible sizes")
        }
        return (Int(count), Int(directoryOffset), Int(directorySize))
    }

    /// Bounds-checked little-endian reads.
    private struct Reader {
        let bytes: UnsafeRawBufferPointer
        func check(_ offset: Int, _ count: Int) throws {
            guard offset >= 0, count <= bytes.count, offset <= bytes.count - count else {
                throw ZipArchiveError.malformed("a record runs past the end of the file (the file is truncated)")
            }
        }
        func u16(_ o: Int) throws -> UInt16 { try check(o, 2); return UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: o, as: UInt16.self)) }
        func u32(_ o: Int) throws -> UInt32 { try check(o, 4); return UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: o, as: UInt32.self)) }
        func u64(_ o: Int) throws -> UInt64 { try check(o, 8); return UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: o, as: UInt64.self)) }
        func string(_ o: Int, _ count: Int) throws -> String {
            try check(o, count)
            return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[o..<o + count]), as: UTF8.self)
        }
    }
}

/// Why a ZIP archive could not be read.
public enum ZipArchiveError: Error, Equatable, CustomStringConvertible, Sendable {
    /// No end-of-central-directory record: not a ZIP file.
    case notAZipArchive
    /// A member is compressed (torch.save stores members uncompressed).
    case compressed(entry: String, method: Int)
    /// A member is encrypted.
    case encrypted(entry: String)
    /// The structure is damaged or truncated.
    case malformed(String)

    public var description: String {
        switch self {
        case .notAZipArchive: return "it is not a ZIP archive"
        case let .compressed(entry, method):
            return "member \(entry) is compressed (method \(method)); torch.save stores members uncompressed, so re-save the checkpoint with torch.save"
        case let .encrypted(entry): return "member \(entry) is encrypted"
        case let .malformed(detail): return detail
        }
    }
}
