/// One tensor described by a safetensors header: its name, element type, shape and
/// where its bytes lie.
///
/// Entries are validated when the file is opened, so ``byteRange`` is always inside the
/// data section and its length always equals ``elementCount`` × the dtype's size.
public struct SafeTensorsEntry: Sendable, Hashable {
    /// The tensor name, e.g. `"down_blocks.0.resnets.0.conv1.weight"`.
    public let name: String
    /// The element type.
    public let dtype: SafeTensorsDType
    /// The dimensions, outermost first (row-major). Empty for a scalar.
    public let shape: [Int]
    /// The tensor's bytes, relative to the start of the data section (the header's
    /// `data_offsets`), not to the start of the file.
    public let byteRange: Range<Int>

    /// Creates an entry. ``SafeTensorsFile`` creates validated entries; use this only for tests or writers.
    public init(name: String, dtype: SafeTensorsDType, shape: [Int], byteRange: Range<Int>) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.byteRange = byteRange
    }

    /// The number of elements: the product of ``shape`` (1 for a scalar).
    public var elementCount: Int { shape.reduce(1, *) }

    /// The number of bytes the tensor occupies.
    public var byteCount: Int { byteRange.count }
}
