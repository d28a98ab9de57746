/// The element type of a tensor stored in a `.safetensors` file.
///
/// All dtypes of the safetensors format are recognised so that any valid file opens and
/// can be listed; only ``f32``, ``f16`` and ``bf16`` can be loaded as `Float`
/// (see ``isFloatLoadable``). The raw value is the spelling used in the file header.
public enum SafeTensorsDType: String, CaseIterable, Sendable, Hashable, CustomStringConvertible {
    case bool = "BOOL"
    case u8 = "U8"
    case i8 = "I8"
    case u16 = "U16"
    case i16 = "I16"
    case u32 = "U32"
    case i32 = "I32"
    case u64 = "U64"
    case i64 = "I64"
    case f16 = "F16"
    case bf16 = "BF16"
    case f32 = "F32"
    case f64 = "F64"
    case c64 = "C64"
    case f8E4M3 = "F8_E4M3"
    case f8E5M2 = "F8_E5M2"
    case f8E8M0 = "F8_E8M0"
    case f6E2M3 = "F6_E2M3"
    case f6E3M2 = "F6_E3M2"
    case f4 = "F4"

    /// Bits per element (sub-byte types such as ``f4`` pack several elements per byte).
    public var bitWidth: Int {
        switch self {
        case .f4: return 4
        case .f6E2M3, .f6E3M2: return 6
        case .bool, .u8, .i8, .f8E4M3, .f8E5M2, .f8E8M0: return 8
        case .u16, .i16, .f16, .bf16: return 16
        case .u32, .i32, .f32: return 32
        case .u64, .i64, .f64, .c64: return 64
        }
    }

    /// Bytes per element, or `nil` for sub-byte types (``f4``, ``f6E2M3``, ``f6E3M2``).
    public var elementSize: Int? {
        bitWidth % 8 == 0 ? bitWidth / 8 : nil
    }

    /// Whether ``SafeTensorsFile/floats(_:)`` can convert this dtype to `Float`.
    public var isFloatLoadable: Bool {
        self == .f32 || self == .f16 || self == .bf16
    }

    /// The header spelling, e.g. `"BF16"`.
    public var description: String { rawValue }

    /// The number of bytes `elementCount` elements occupy, or `nil` if it overflows `Int`
    /// or does not fill a whole number of bytes (possible only for sub-byte types).
    public func byteCount(elementCount: Int) -> Int? {
        let (bits, overflow) = elementCount.multipliedReportingOverflow(by: bitWidth)
        guard !overflow, bits % 8 == 0 else { return nil }
        return bits / 8
    }
}
