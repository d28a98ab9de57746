/// A restricted unpickler for the `data.pkl` of a PyTorch checkpoint.
///
/// It understands the pickle opcodes of protocols 2 to 5 that `torch.save` writes for state dicts, and
/// only the globals of ``PickleGlobal``. It never executes, imports or constructs anything: `REDUCE` is
/// interpreted for exactly three callables (`OrderedDict()`, `_rebuild_tensor_v2`, `_rebuild_parameter`),
/// and everything else (`os.system`, `builtins.eval`, `INST`, `NEWOBJ`, …) is refused with a ``PickleError``.
///
/// ```swift
/// let document = try bytes.withUnsafeBytes { try PickleReader.parse($0) }
/// ```
public struct PickleReader {
    /// Tensors may have at most this many dimensions.
    public static let maxRank = 32

    private let bytes: UnsafeRawBufferPointer
    private var position = 0
    private var stack: [PickleValue] = []
    private var marks: [Int] = []
    private var memo: [Int: PickleValue] = [:]
    private var document = PickleDocument()
    /// Per dict: the position of each string key, so that repeated keys replace values in constant time.
    private var stringKeys: [[String: Int]] = []
    /// Offset of the opcode being executed (for messages).
    private var opcodeOffset = 0

    private init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    /// Reads one pickle stream up to `STOP`.
    /// - Throws: ``PickleError`` for anything outside a PyTorch state dict.
    public static func parse(_ bytes: UnsafeRawBufferPointer) throws -> PickleDocument {
        var reader = PickleReader(bytes)
        return try reader.run()
    }

    // MARK: - Reading bytes

    private mutating func take(_ count: Int) throws -> UnsafeRawBufferPointer {
        guard count >= 0, count <= bytes.count - position else { throw PickleError.truncated(offset: bytes.count) }
        defer { position += count }
        return UnsafeRawBufferPointer(rebasing: bytes[position..<position + count])
    }

    private mutating func byte() throws -> UInt8 { try take(1)[0] }

    /// An unsigned little-endian integer of `count` bytes (count ≤ 8).
    private mutating func unsigned(_ count: Int) throws -> UInt64 {
        let raw = try take(count)
        var value: UInt64 = 0
        for i in (0..<count).reversed() { value = value << 8 | UInt64(raw[i]) }
        return value
    }

    /// A length prefix that must fit in the rest of the stream.
    private mutating func length(_ count: Int) throws -> Int {
        let value = try unsigned(count)
        guard value <= UInt64(bytes.count - position) else { throw PickleError.truncated(offset: bytes.count) }
        return Int(value)
    }

    private mutating func line() throws -> String {
        guard let end = bytes[position...].firstIndex(of: UInt8(ascii: "\n")) else {
            throw PickleError.truncated(offset: bytes.count)
        }
        let text = try utf8(UnsafeRawBufferPointer(rebasing: bytes[position..<end]))
        position = end + 1
        return text
    }

    private func utf8(_ raw: UnsafeRawBufferPointer) throws -> String {
        guard let text = String(validating: raw, as: UTF8.self) else {
            throw PickleError.malformed(reason: "a string is not valid UTF-8", offset: opcodeOffset)
        }
        return text
    }

    // MARK: - The stack

    private func malformed(_ reason: String) -> PickleError { .malformed(reason: reason, offset: opcodeOffset) }

    private mutating func pop() throws -> PickleValue {
        guard let value = stack.popLast(), stack.count >= (marks.last ?? 0) else {
            throw malformed("the stack is empty")
        }
        return value
    }

    private mutating func popMark() throws -> [PickleValue] {
        guard let mark = marks.popLast() else { throw malformed("no MARK before a multi-item opcode") }
        defer { stack.removeSubrange(mark...) }
        return Array(stack[mark...])
    }

    private mutating func top() throws -> PickleValue {
        guard let value = stack.last, stack.count > (marks.last ?? 0) else { throw malformed("the stack is empty") }
        return value
    }

    private mutating func newSequence(_ items: [PickleValue], tuple: Bool) -> PickleValue {
        document.sequences.append(items)
        return tuple ? .tuple(document.sequences.count - 1) : .list(document.sequences.count - 1)
    }

    private mutating func newDict() -> PickleValue {
        document.dicts.append([])
        stringKeys.append([:])
        return .dict(document.dicts.count - 1)
    }

    private mutating func set(_ key: PickleValue, _ value: PickleValue, in dict: PickleValue) throws {
        guard case let .dict(index) = dict else { throw malformed("SETITEM on something that is not a dict") }
        if case let .string(s) = key {
            if let at = stringKeys[index][s] { document.dicts[index][at].value = value; return }
            stringKeys[index][s] = document.dicts[index].count
        }
        document.dicts[index].append((key, value))
    }

    private mutating func append(_ items: [PickleValue], to list: PickleValue) throws {
        guard case let .list(index) = list else { throw malformed("APPEND on something that is not a list") }
        document.sequences[index].append(contentsOf: items)
    }

    private func tupleItems(_ value: PickleValue) -> [PickleValue]? {
        if case let .tuple(i) = value { return document.sequences[i] }
        return nil
    }

    // MARK: - Interpreting

    private mutating func run() throws -> PickleDocument {
        while true {
            opcodeOffset = position
            let op = try byte()
            switch op {
            case 0x80: // PROTO
                let version = try byte()
                guard (2...5).contains(version) else { throw malformed("pickle protocol \(version) (torch.save writes 2)") }
            case 0x95: _ = try take(8) // FRAME: framing is transparent
            case UInt8(ascii: "."): // STOP
                document.root = try pop()
                return document
            case UInt8(ascii: "("): marks.append(stack.count)
            case UInt8(ascii: ")"): stack.append(newSequence([], tuple: true))
            case UInt8(ascii: "]"): stack.append(newSequence([], tuple: false))
            case UInt8(ascii: "}"): stack.append(newDict())
            case UInt8(ascii: "t"): stack.append(newSequence(try popMark(), tuple: true))
            case 0x85, 0x86, 0x87: // TUPLE1..3
                var items = [PickleValue]()
                for _ in 0..<Int(op - 0x84) { items.insert(try pop(), at: 0) }
                stack.append(newSequence(items, tuple: true))
            case UInt8(ascii: "l"): stack.append(newSequence(try popMark(), tuple: false))
            case UInt8(ascii: "d"):
                let items = try popMark()
                guard items.count % 2 == 0 else { throw malformed("DICT with an odd number of items") }
                let dict = newDict()
                for i in stride(from: 0, to: items.count, by: 2) { try set(items[i], items[i + 1], in: dict) }
                stack.append(dict)
            case UInt8(ascii: "a"):
                let item = try pop()
                try append([item], to: try top())
            case UInt8(ascii: "e"):
                let items = try popMark()
                try append(items, to: try top())
            case UInt8(ascii: "s"):
                let value = try pop(), key = try pop()
                try set(key, value, in: try top())
            case UInt8(ascii: "u"):
                let items = try popMark()
                guard items.count % 2 == 0 else { throw malformed("SETITEMS with an odd number of items") }
                let dict = try top()
                for i in stride(from: 0, to: items.count, by: 2) { try set(items[i], items[i + 1], in: dict) }
            case UInt8(ascii: "q"): memo[Int(try unsigned(1))] = try top()
            case UInt8(ascii: "r"): memo[Int(try unsigned(4))] = try top()
            case 0x94: memo[memo.count] = try top() // MEMOIZE
            case UInt8(ascii: "h"), UInt8(ascii: "j"):
                let key = Int(try unsigned(op == UInt8(ascii: "h") ? 1 : 4))
                guard let value = memo[key] else { throw malformed("memo entry \(key) was never stored") }
                stack.append(value)
            case UInt8(ascii: "0"): _ = try pop()
            case UInt8(ascii: "1"): _ = try popMark()
            case UInt8(ascii: "2"): stack.append(try top())
            case UInt8(ascii: "N"): stack.append(.none)
            case 0x88: stack.append(.bool(true))
            case 0x89: stack.append(.bool(false))
            case UInt8(ascii: "K"): stack.append(.int(Int(try unsigned(1))))
            case UInt8(ascii: "M"): stack.append(.int(Int(try unsigned(2))))
            case UInt8(ascii: "J"): stack.append(.int(Int(Int32(truncatingIfNeeded: try unsigned(4)))))
            case 0x8a: // LONG1: little-endian two's complement of n bytes
                let n = Int(try byte())
                guard n <= 8 else { throw malformed("an integer of \(n) bytes does not fit 64 bits") }
                let raw = try unsigned(n)
                let shift = UInt64(64 - 8 * n)
                stack.append(.int(n == 0 ? 0 : Int(Int64(bitPattern: raw << shift) >> Int64(shift))))
            case UInt8(ascii: "G"):
                stack.append(.float(Double(bitPattern: UInt64(bigEndian: try take(8).loadUnaligned(as: UInt64.self)))))
            case UInt8(ascii: "X"): stack.append(.string(try utf8(try take(try length(4)))))
            case 0x8c: stack.append(.string(try utf8(try take(try length(1)))))
            case 0x8d: stack.append(.string(try utf8(try take(try length(8)))))
            case UInt8(ascii: "U"), UInt8(ascii: "T"): // SHORT_BINSTRING, BINSTRING: Latin-1 text
                let raw = try take(try length(op == UInt8(ascii: "U") ? 1 : 4))
                stack.append(.string(String(String.UnicodeScalarView(raw.map { Unicode.Scalar($0) }))))
            case UInt8(ascii: "c"):
                let module = try line(), name = try line()
                stack.append(try global(module, name))
            case 0x93: // STACK_GLOBAL
                let name = try pop(), module = try pop()
                guard let m = module.string, let n = name.string else { throw malformed("STACK_GLOBAL needs two strings") }
                stack.append(try global(m, n))
            case UInt8(ascii: "R"):
                let args = try pop(), callee = try pop()
                stack.append(try call(callee, args))
            case UInt8(ascii: "Q"): stack.append(try persistentLoad(try pop()))
            case UInt8(ascii: "b"):
                let state = try pop()
                guard case .dict = try top() else {
                    throw PickleError.forbiddenOpcode(name: "BUILD on a non-dict object", offset: opcodeOffset)
                }
                // OrderedDict state (`_metadata`, the module versions of a state dict) carries no tensors.
                switch state {
                case .dict, .none: break
                case let .tuple(i) where document.sequences[i].allSatisfy({ if case .dict = $0 { return true }; if case .none = $0 { return true }; return false }): break
                default: throw PickleError.forbiddenOpcode(name: "BUILD with a non-dict state", offset: opcodeOffset)
                }
            case UInt8(ascii: "i"): throw PickleError.forbiddenOpcode(name: "INST", offset: opcodeOffset)
            case UInt8(ascii: "o"): throw PickleError.forbiddenOpcode(name: "OBJ", offset: opcodeOffset)
            case 0x81: throw PickleError.forbiddenOpcode(name: "NEWOBJ", offset: opcodeOffset)
            case 0x92: throw PickleError.forbiddenOpcode(name: "NEWOBJ_EX", offset: opcodeOffset)
            case 0x82, 0x83, 0x84: throw PickleError.forbiddenOpcode(name: "EXT (extension registry)", offset: opcodeOffset)
            default: throw PickleError.unsupportedOpcode(byte: op, offset: opcodeOffset)
            }
        }
    }

    private func global(_ module: String, _ name: String) throws -> PickleValue {
        guard let known = PickleGlobal.resolve(module: module, name: name) else {
            throw PickleError.forbiddenGlobal(module: module, name: name, offset: opcodeOffset)
        }
        return .global(known)
    }

    private mutating func call(_ callee: PickleValue, _ args: PickleValue) throws -> PickleValue {
        guard case let .global(function) = callee else {
            throw PickleError.forbiddenCall(callee: "a value that is not a function", offset: opcodeOffset)
        }
        guard let items = tupleItems(args) else { throw malformed("\(function.qualifiedName) called without an argument tuple") }
        switch function {
        case .orderedDict where items.isEmpty:
            return newDict()
        case .rebuildTensorV2 where items.count == 6 || items.count == 7:
            return try rebuildTensor(items)
        case .rebuildParameter where items.count == 3:
            guard case .tensor = items[0] else { throw malformed("_rebuild_parameter of something that is not a tensor") }
            return items[0]
        default:
            throw PickleError.forbiddenCall(callee: "\(function.qualifiedName) with \(items.count) arguments", offset: opcodeOffset)
        }
    }

    private func intTuple(_ value: PickleValue, _ what: String) throws -> [Int] {
        guard let items = tupleItems(value), items.count <= Self.maxRank else {
            throw malformed("tensor \(what) must be a tuple of at most \(Self.maxRank) integers")
        }
        return try items.map {
            guard case let .int(i) = $0, i >= 0 else { throw malformed("tensor \(what) must hold non-negative integers") }
            return i
        }
    }

    private mutating func rebuildTensor(_ args: [PickleValue]) throws -> PickleValue {
        guard case let .storage(storage) = args[0] else { throw malformed("_rebuild_tensor_v2 without a storage") }
        guard case let .int(offset) = args[1], offset >= 0 else { throw malformed("tensor storage offset must be an integer ≥ 0") }
        let shape = try intTuple(args[2], "size"), strides = try intTuple(args[3], "stride")
        guard shape.count == strides.count else { throw malformed("tensor size and stride have different lengths") }
        document.tensors.append(PickleTensor(storage: storage, offset: offset, shape: shape, strides: strides))
        return .tensor(document.tensors.count - 1)
    }

    /// `('storage', torch.<Type>Storage, key, location, numel)`, the persistent id torch.save writes.
    private mutating func persistentLoad(_ pid: PickleValue) throws -> PickleValue {
        guard let items = tupleItems(pid), items.count == 5, items[0] == .string("storage") else {
            throw malformed("a persistent id that is not ('storage', type, key, location, size)")
        }
        guard case let .global(.storageType(type)) = items[1] else { throw malformed("a storage without a torch storage type") }
        guard let key = items[2].string, items[3].string != nil else { throw malformed("a storage key or location that is not a string") }
        guard case let .int(count) = items[4], count >= 0 else { throw malformed("a storage size that is not an integer ≥ 0") }
        document.storages.append(PickleStorage(type: type, key: key, elementCount: count))
        return .storage(document.storages.count - 1)
    }
}
