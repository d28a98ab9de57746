/// The validated JSON header of a safetensors file.
///
/// Validation rules (any violation throws a ``SafeTensorsError`` naming the file and tensor):
/// - the header is UTF-8 JSON whose top level is an object;
/// - `__metadata__`, if present, is an object of string values;
/// - every other key is a tensor name mapping to an object with a known `dtype` string,
///   a `shape` array of non-negative integers and `data_offsets` `[begin, end]` of
///   non-negative integers with `begin <= end`; names are unique;
/// - `end - begin == product(shape) × dtype size`;
/// - `end` lies inside the data section (otherwise the file is reported truncated);
/// - no two tensors share bytes.
struct SafeTensorsHeader {
    var entries: [String: SafeTensorsEntry]
    var metadata: [String: String]

    /// Parses and validates `headerBytes` for a data section of `dataSize` bytes.
    init(headerBytes: [UInt8], dataSize: Int, file: String) throws {
        let root: StrictJSONValue
        do {
            root = try StrictJSONParser.parse(headerBytes)
        } catch let error as StrictJSONSyntaxError {
            throw SafeTensorsError.malformedHeader(file: file, reason: "\(error.reason) at header byte \(error.offset)")
        }
        guard case .object(let members) = root else {
            throw SafeTensorsError.headerNotObject(file: file, found: root.typeName)
        }

        var entries: [String: SafeTensorsEntry] = [:]
        var metadata: [String: String] = [:]
        for (key, value) in members {
            if key == "__metadata__" {
                metadata = try Self.parseMetadata(value, file: file)
                continue
            }
            guard entries[key] == nil else {
                throw SafeTensorsError.invalidEntry(file: file, tensor: key, reason: "the name appears twice in the header")
            }
            entries[key] = try Self.parseEntry(name: key, value, dataSize: dataSize, file: file)
        }
        try Self.checkNoOverlap(entries.values, file: file)
        self.entries = entries
        self.metadata = metadata
    }

    private static func parseMetadata(_ value: StrictJSONValue, file: String) throws -> [String: String] {
        guard case .object(let members) = value else {
            throw SafeTensorsError.invalidMetadata(file: file, reason: "expected an object, found a \(value.typeName)")
        }
        var metadata: [String: String] = [:]
        for (key, item) in members {
            guard case .string(let text) = item else {
                throw SafeTensorsError.invalidMetadata(file: file, reason: "value of '\(key)' is a \(item.typeName), not a string")
            }
            metadata[key] = text
        }
        return metadata
    }

    private static func parseEntry(name: String, _ value: StrictJSONValue, dataSize: Int, file: String) throws -> SafeTensorsEntry {
        guard case .object(let members) = value else {
            throw SafeTensorsError.invalidEntry(file: file, tensor: name, reason: "expected an object, found a \(value.typeName)")
        }
        func field(_ key: String) throws -> StrictJSONValue {
            guard let found = members.last(where: { $0.key == key }) else {
                throw SafeTensorsError.missingField(file: file, tensor: name, field: key)
            }
            return found.value
        }

        // dtype
        guard case .string(let dtypeName) = try field("dtype") else {
            throw SafeTensorsError.invalidEntry(file: file, tensor: name, reason: "'dtype' is not a string")
        }
        guard let dtype = SafeTensorsDType(rawValue: dtypeName) else {
            throw SafeTensorsError.unknownDType(file: file, tensor: name, dtype: dtypeName)
        }

        // shape
        guard case .array(let dims) = try field("shape") else {
            throw SafeTensorsError.invalidShape(file: file, tensor: name, reason: "'shape' is not an array")
        }
        var shape: [Int] = []
        var elementCount = 1
        for dim in dims {
            guard let size = dim.exactInt, size >= 0 else {
                throw SafeTensorsError.invalidShape(file: file, tensor: name, reason: "dimension \(Self.render(dim)) is not a non-negative integer")
            }
            let (product, overflow) = elementCount.multipliedReportingOverflow(by: size)
            guard !overflow else {
                throw SafeTensorsError.invalidShape(file: file, tensor: name, reason: "element count of \(shape + [size]) overflows")
            }
            shape.append(size)
            elementCount = product
        }

        // data_offsets
        guard case .array(let offsets) = try field("data_offsets"), offsets.count == 2 else {
            throw SafeTensorsError.invalidOffsets(file: file, tensor: name, reason: "expected an array [begin, end]")
        }
        guard let begin = offsets[0].exactInt, let end = offsets[1].exactInt, begin >= 0, end >= 0 else {
            throw SafeTensorsError.invalidOffsets(file: file, tensor: name,
                                                  reason: "[\(Self.render(offsets[0])), \(Self.render(offsets[1]))] are not non-negative integers")
        }
        guard begin <= end else {
            throw SafeTensorsError.invalidOffsets(file: file, tensor: name, reason: "begin \(begin) is after end \(end)")
        }

        guard let expectedBytes = dtype.byteCount(elementCount: elementCount), expectedBytes == end - begin else {
            throw SafeTensorsError.sizeMismatch(file: file, tensor: name, dtype: dtype, shape: shape,
                                                expectedBytes: dtype.byteCount(elementCount: elementCount) ?? -1,
                                                actualBytes: end - begin)
        }
        guard end <= dataSize else {
            throw SafeTensorsError.tensorOutOfBounds(file: file, tensor: name, byteRange: begin..<end, dataSize: dataSize)
        }
        return SafeTensorsEntry(name: name, dtype: dtype, shape: shape, byteRange: begin..<end)
    }

    /// Sorts non-empty tensors by position and checks each starts at or after the previous end.
    private static func checkNoOverlap(_ entries: Dictionary<String, SafeTensorsEntry>.Values, file: String) throws {
        let sorted = entries.filter { !$0.byteRange.isEmpty }.sorted {
            ($0.byteRange.lowerBound, $0.name) < ($1.byteRange.lowerBound, $1.name)
        }
        for (previous, next) in zip(sorted, sorted.dropFirst()) where next.byteRange.lowerBound < previous.byteRange.upperBound {
            throw SafeTensorsError.overlappingTensors(file: file, tensor: next.name, other: previous.name)
        }
    }

    private static func render(_ value: StrictJSONValue) -> String {
        switch value {
        case .number(let text): return text
        case .string(let text): return "\"\(text)\""
        default: return value.typeName
        }
    }
}
