import Foundation

/// A PyTorch checkpoint written by `torch.save` (PyTorch ≥ 1.6: a ZIP archive of `data.pkl` and one
/// record per tensor storage), e.g. the original `512-depth-ema.ckpt`.
///
/// The file is memory-mapped; ``ZipStoredArchive`` finds the records and ``PickleReader`` reads
/// `data.pkl` without executing it, accepting only what a state dict is made of. The tensors are those of
/// the top-level dict, or of its `state_dict` entry when it has one (PyTorch Lightning checkpoints); nested
/// dicts of tensors are flattened with dotted keys. Tensors are read on demand.
///
/// ```swift
/// let checkpoint = try PyTorchCheckpoint(url: URL(fileURLWithPath: "512-depth-ema.ckpt"))
/// let bias = try checkpoint.floats("model.diffusion_model.out.2.bias")
/// ```
/// `@unchecked Sendable`: every stored property is immutable; `bytes` is a read-only view of memory kept
/// alive by `owner` (a read-only memory map), and is only read.
public final class PyTorchCheckpoint: @unchecked Sendable {
    /// Nested dicts deeper than this are not searched for tensors.
    static let maxNesting = 8

    /// The file.
    public let url: URL
    /// Every tensor, by state-dict key.
    public let entries: [String: PyTorchTensorEntry]
    private let bytes: UnsafeRawBufferPointer
    private let owner: AnyObject?

    /// Opens and validates the checkpoint at `url`.
    /// - Throws: ``PyTorchCheckpointError``.
    public convenience init(url: URL) throws {
        let file: MappedFile
        do { file = try MappedFile(path: url.path) } catch let error as MappedFileError {
            throw PyTorchCheckpointError.cannotOpen(file: url.path, reason: error.reason)
        }
        try self.init(bytes: file.bytes, owner: file, url: url)
    }

    /// Reads a checkpoint held in memory; `owner` keeps `bytes` alive.
    init(bytes: UnsafeRawBufferPointer, owner: AnyObject?, url: URL) throws {
        self.url = url
        self.bytes = bytes
        self.owner = owner
        entries = try Self.readEntries(bytes, file: url.path)
    }

    private static func readEntries(_ bytes: UnsafeRawBufferPointer, file: String) throws -> [String: PyTorchTensorEntry] {
        // A bare pickle stream (PROTO opcode first) is the legacy format.
        if bytes.count >= 2, bytes[0] == 0x80, (2...5).contains(bytes[1]) { throw PyTorchCheckpointError.legacyFormat(file: file) }
        let archive: ZipStoredArchive
        do { archive = try ZipStoredArchive(bytes) } catch let error as ZipArchiveError {
            throw PyTorchCheckpointError.invalidArchive(file: file, detail: error.description)
        }
        // torch.save puts every record in one top-level folder (named after the file, or "archive").
        guard let pickleName = archive.names.first(where: { $0.hasSuffix("/data.pkl") && $0.filter { $0 == "/" }.count == 1 }) else {
            throw PyTorchCheckpointError.invalidArchive(file: file, detail: "it has no data.pkl record")
        }
        let folder = String(pickleName.dropLast("data.pkl".count))
        if let order = archive.entries[folder + "byteorder"] {
            let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[order.range]), as: UTF8.self)
            guard text == "little" else {
                throw PyTorchCheckpointError.invalidArchive(file: file, detail: "its tensors are stored \(text)-endian; only little-endian checkpoints are supported")
            }
        }
        guard let pickleRange = archive.entries[pickleName]?.range else {
            throw PyTorchCheckpointError.invalidArchive(file: file, detail: "it has no data.pkl record")
        }
        let document: PickleDocument
        do {
            document = try PickleReader.parse(UnsafeRawBufferPointer(rebasing: bytes[pickleRange]))
        } catch let error as PickleError {
            throw PyTorchCheckpointError.refusedPickle(file: file, error: error)
        }
        var tensors: [(String, PickleTensor)] = []
        guard case let .dict(root) = document.root else {
            throw PyTorchCheckpointError.noTensors(file: file)
        }
        var top = root
        if case let .dict(inner)? = document.value(in: root, forKey: "state_dict") { top = inner }
        collect(document, dict: top, prefix: "", depth: 0, into: &tensors)
        guard !tensors.isEmpty else { throw PyTorchCheckpointError.noTensors(file: file) }

        var entries: [String: PyTorchTensorEntry] = [:]
        for (name, tensor) in tensors {
            entries[name] = try validate(name, tensor, document.storages[tensor.storage], archive: archive, folder: folder, file: file)
        }
        return entries
    }

    /// Gathers the tensors of a dict and of the dicts inside it, keyed `outer.inner`.
    private static func collect(_ document: PickleDocument, dict: Int, prefix: String, depth: Int,
                                into tensors: inout [(String, PickleTensor)]) {
        for (key, value) in document.dicts[dict] {
            guard let name = key.string else { continue }
            switch value {
            case let .tensor(t): tensors.append((prefix + name, document.tensors[t]))
            case let .dict(inner) where depth < maxNesting && inner != dict:
                collect(document, dict: inner, prefix: prefix + name + ".", depth: depth + 1, into: &tensors)
            default: continue // step counters, version strings and other metadata
            }
        }
    }

    private static func validate(_ name: String, _ tensor: PickleTensor, _ storage: PickleStorage, archive: ZipStoredArchive,
                                 folder: String, file: String) throws -> PyTorchTensorEntry {
        func invalid(_ reason: String) -> PyTorchCheckpointError { .invalidTensor(file: file, tensor: name, reason: reason) }
        let dtype = storage.type.dtype
        guard let record = archive.entries[folder + "data/" + storage.key] else {
            throw invalid("its storage record data/\(storage.key) is missing from the archive")
        }
        let elementSize = dtype.elementSize ?? 1
        let (storageBytes, overflow) = storage.elementCount.multipliedReportingOverflow(by: elementSize)
        guard !overflow, storageBytes <= record.range.count else {
            throw invalid("its storage should hold \(storage.elementCount) elements of \(dtype) but record data/\(storage.key) has \(record.range.count) bytes")
        }
        var count = 1, last = tensor.offset
        for (size, stride) in zip(tensor.shape, tensor.strides) {
            let (c, o1) = count.multipliedReportingOverflow(by: size)
            guard !o1 else { throw invalid("its size \(tensor.shape) overflows") }
            count = c
            if size > 0 {
                let (reach, o2) = (size - 1).multipliedReportingOverflow(by: stride)
                let (sum, o3) = last.addingReportingOverflow(reach)
                guard !o2, !o3 else { throw invalid("its strides \(tensor.strides) overflow") }
                last = sum
            }
        }
        if count > 0 {
            guard last < storage.elementCount else {
                throw invalid("its view (offset \(tensor.offset), size \(tensor.shape), stride \(tensor.strides)) reaches element \(last) of a storage of \(storage.elementCount)")
            }
        }
        let start = record.range.lowerBound
        return PyTorchTensorEntry(name: name, dtype: dtype, shape: tensor.shape, strides: tensor.strides, offset: tensor.offset,
                                  storageRange: start..<start + storageBytes)
    }

    /// All tensor names, sorted.
    public var names: [String] { entries.keys.sorted() }

    /// The entry for `name`.
    public func entry(_ name: String) throws -> PyTorchTensorEntry {
        guard let entry = entries[name] else { throw PyTorchCheckpointError.tensorNotFound(file: url.path, tensor: name) }
        return entry
    }

    /// The tensor's elements as `Float` in row-major order (F32, F16, BF16 exactly; F64 rounded).
    /// - Throws: ``PyTorchCheckpointError/unsupportedDType(file:tensor:dtype:)`` for integer and boolean tensors.
    public func floats(_ name: String) throws -> [Float] {
        let entry = try entry(name)
        guard entry.dtype.isFloatLoadable || entry.dtype == .f64, let size = entry.dtype.elementSize else {
            throw PyTorchCheckpointError.unsupportedDType(file: url.path, tensor: name, dtype: entry.dtype)
        }
        let count = entry.elementCount
        guard count > 0 else { return [] }
        let storage = UnsafeRawBufferPointer(rebasing: bytes[entry.storageRange])
        if entry.isContiguous {
            return Self.decode(UnsafeRawBufferPointer(rebasing: storage[entry.offset * size..<(entry.offset + count) * size]), entry.dtype)
        }
        // Gather a strided view into row-major order, element by element (the view was checked on open).
        var gathered = [UInt8](repeating: 0, count: count * size)
        var index = [Int](repeating: 0, count: entry.shape.count)
        var source = entry.offset
        for i in 0..<count {
            for b in 0..<size { gathered[i * size + b] = storage[source * size + b] }
            var d = entry.shape.count - 1
            while d >= 0 {
                index[d] += 1; source += entry.strides[d]
                if index[d] < entry.shape[d] { break }
                source -= entry.strides[d] * index[d]; index[d] = 0; d -= 1
            }
        }
        return gathered.withUnsafeBytes { Self.decode($0, entry.dtype) }
    }

    private static func decode(_ raw: UnsafeRawBufferPointer, _ dtype: SafeTensorsDType) -> [Float] {
        if dtype == .f64 {
            return (0..<raw.count / 8).map {
                Float(Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self))))
            }
        }
        return Float16Conversion.decode(raw, as: dtype) ?? []
    }
}
