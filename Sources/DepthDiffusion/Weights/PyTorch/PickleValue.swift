/// A value produced by ``PickleReader``: only the inert data a PyTorch state dict is made of.
///
/// Containers are indices into the ``PickleDocument``'s tables rather than nested values, so that no
/// input, however deeply nested or self-referencing, makes building, walking or freeing values recursive.
public enum PickleValue: Equatable, Sendable {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    /// A tuple: ``PickleDocument/sequences`` index (immutable once built).
    case tuple(Int)
    /// A list: ``PickleDocument/sequences`` index.
    case list(Int)
    /// A dict or `collections.OrderedDict`: ``PickleDocument/dicts`` index.
    case dict(Int)
    /// One of the few globals the reader accepts (``PickleGlobal``), before it is called.
    case global(PickleGlobal)
    /// A tensor storage named by a persistent id: ``PickleDocument/storages`` index.
    case storage(Int)
    /// A tensor rebuilt by `torch._utils._rebuild_tensor_v2`: ``PickleDocument/tensors`` index.
    case tensor(Int)

    /// The string, if this is one.
    public var string: String? { if case let .string(s) = self { return s } else { return nil } }
    /// The integer (`True`/`False` count as 1/0, as in Python), if this is one.
    public var int: Int? {
        switch self {
        case let .int(i): return i
        case let .bool(b): return b ? 1 : 0
        default: return nil
        }
    }
}

/// The only globals (`module.name`) a checkpoint may name. Anything else is refused before it is used.
public enum PickleGlobal: Equatable, Sendable {
    /// `collections.OrderedDict`: called with no arguments it makes an empty dict.
    case orderedDict
    /// `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks[, metadata])`.
    case rebuildTensorV2
    /// `torch._utils._rebuild_parameter(tensor, requires_grad, hooks)`: the tensor itself.
    case rebuildParameter
    /// `torch.<Type>Storage`: names the element type of a storage in a persistent id.
    case storageType(TorchStorageType)
    /// A PyTorch Lightning callback class (``lightningCallbackClasses``): training checkpoints use the class
    /// itself as the key of the callback states. It is kept as an inert name and can never be called.
    case lightningCallback(String)

    /// The callback classes whose names may appear in a checkpoint (the keys of Lightning's `callbacks`).
    public static let lightningCallbackClasses: Set<String> = [
        "pytorch_lightning.callbacks.model_checkpoint.ModelCheckpoint",
        "pytorch_lightning.callbacks.early_stopping.EarlyStopping",
        "lightning.pytorch.callbacks.model_checkpoint.ModelCheckpoint",
        "lightning.pytorch.callbacks.early_stopping.EarlyStopping",
    ]

    /// Resolves `module.name`, or returns nil for a global that is not allowed.
    static func resolve(module: String, name: String) -> PickleGlobal? {
        switch (module, name) {
        case ("collections", "OrderedDict"): return .orderedDict
        case ("torch._utils", "_rebuild_tensor_v2"): return .rebuildTensorV2
        case ("torch._utils", "_rebuild_parameter"): return .rebuildParameter
        case ("torch", _): return TorchStorageType(rawValue: name).map { .storageType($0) }
        default:
            let qualified = module + "." + name
            return lightningCallbackClasses.contains(qualified) ? .lightningCallback(qualified) : nil
        }
    }

    /// The Python spelling, for messages.
    public var qualifiedName: String {
        switch self {
        case .orderedDict: return "collections.OrderedDict"
        case .rebuildTensorV2: return "torch._utils._rebuild_tensor_v2"
        case .rebuildParameter: return "torch._utils._rebuild_parameter"
        case let .storageType(t): return "torch.\(t.rawValue)"
        case let .lightningCallback(name): return name
        }
    }
}

/// The typed storage classes of PyTorch that a state dict's tensors name, with their element type.
public enum TorchStorageType: String, CaseIterable, Sendable {
    case float = "FloatStorage", half = "HalfStorage", bfloat16 = "BFloat16Storage", double = "DoubleStorage"
    case long = "LongStorage", int = "IntStorage", short = "ShortStorage", char = "CharStorage"
    case byte = "ByteStorage", bool = "BoolStorage"

    /// The element type, in safetensors' terms.
    public var dtype: SafeTensorsDType {
        switch self {
        case .float: return .f32
        case .half: return .f16
        case .bfloat16: return .bf16
        case .double: return .f64
        case .long: return .i64
        case .int: return .i32
        case .short: return .i16
        case .char: return .i8
        case .byte: return .u8
        case .bool: return .bool
        }
    }
}

/// A storage named by the pickle's persistent id `('storage', type, key, location, numel)`.
public struct PickleStorage: Equatable, Sendable {
    /// The element type.
    public var type: TorchStorageType
    /// The archive record `data/<key>` holding the bytes.
    public var key: String
    /// Elements in the storage.
    public var elementCount: Int
}

/// A tensor view of a storage, as `_rebuild_tensor_v2` describes it (in elements).
public struct PickleTensor: Equatable, Sendable {
    /// ``PickleDocument/storages`` index.
    public var storage: Int
    public var offset: Int
    public var shape: [Int]
    public var strides: [Int]
}

/// Everything a pickle stream built, addressed by the indices in ``PickleValue``.
public struct PickleDocument: Sendable {
    /// The value the stream returned (`STOP`).
    public var root: PickleValue = .none
    /// Tuples and lists.
    public var sequences: [[PickleValue]] = []
    /// Dicts as key-value pairs in insertion order (a repeated key replaces the earlier value).
    public var dicts: [[(key: PickleValue, value: PickleValue)]] = []
    public var storages: [PickleStorage] = []
    public var tensors: [PickleTensor] = []

    /// The value stored under string key `key` in dict `index`.
    public func value(in index: Int, forKey key: String) -> PickleValue? {
        dicts[index].last(where: { $0.key == .string(key) })?.value
    }
}
