/// Bit-exact widening of 16-bit floats (IEEE-754 binary16 and bfloat16) to `Float`.
///
/// Both conversions are exact: every half and bfloat16 value, including subnormals,
/// signed zeros, infinities and NaNs (payload kept), has an exact `Float` counterpart.
public enum Float16Conversion {
    /// Converts IEEE-754 binary16 bits (as stored in `F16` tensors) to `Float`.
    @inlinable
    public static func float(fromHalfBits bits: UInt16) -> Float {
        let sign: UInt32 = UInt32(bits & 0x8000) << 16
        let exponent = UInt32(bits >> 10) & 0x1F
        let mantissa = UInt32(bits & 0x03FF)
        switch exponent {
        case 0:
            // Zero or subnormal: value = mantissa × 2^-24, exact in Float.
            let magnitude = Float(mantissa) * 0x1p-24
            return sign == 0 ? magnitude : -magnitude
        case 0x1F:
            // Infinity (mantissa 0) or NaN (payload shifted into the Float mantissa).
            return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
        default:
            // Normal: rebias the exponent from 15 to 127.
            return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
        }
    }

    /// Converts bfloat16 bits (as stored in `BF16` tensors) to `Float`.
    ///
    /// bfloat16 is the upper half of a binary32, so this is a shift.
    @inlinable
    public static func float(fromBFloat16Bits bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    /// Decodes little-endian elements of `dtype` (``SafeTensorsDType/f32``, `f16` or `bf16`)
    /// from `bytes` into `Float`s. Returns `nil` for any other dtype.
    ///
    /// `bytes.count` must be a multiple of the element size; trailing bytes are ignored.
    /// No alignment is required.
    public static func decode(_ bytes: UnsafeRawBufferPointer, as dtype: SafeTensorsDType) -> [Float]? {
        switch dtype {
        case .f32:
            let count = bytes.count / 4
            return [Float](unsafeUninitializedCapacity: count) { out, initialized in
                for i in 0..<count {
                    let bits = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self))
                    out[i] = Float(bitPattern: bits)
                }
                initialized = count
            }
        case .f16, .bf16:
            let count = bytes.count / 2
            let isHalf = dtype == .f16
            return [Float](unsafeUninitializedCapacity: count) { out, initialized in
                for i in 0..<count {
                    let bits = UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self))
                    out[i] = isHalf ? float(fromHalfBits: bits) : float(fromBFloat16Bits: bits)
                }
                initialized = count
            }
        default:
            return nil
        }
    }
}
