/// How the weights of linear and convolution layers are held on the device, and on CPUs with AVX512-BF16,
/// how they are multiplied.
///
/// - ``fp32``: float32, exactly the reference (the default).
/// - ``fp16``: IEEE binary16 storage (half the memory); products in float32 with the widened weights.
/// - ``bf16``: bfloat16 storage (half the memory); on a CPU with AVX512-BF16 the products round the
///   activations to bfloat16 too and accumulate in float32 (about twice the multiply rate); elsewhere the
///   weights are widened and multiplied in float32.
///
/// Activations stay float32 between layers in every mode. Normalisation, embedding and bias parameters stay
/// float32 (they are under 5% of the parameters). A backend that does not claim
/// ``BackendCapability/weights16`` keeps float32 weights whatever the setting.
public enum WeightPrecision: String, CaseIterable, Sendable, Codable {
    case fp32, fp16, bf16

    /// Bytes per stored element.
    public var bytesPerElement: Int { self == .fp32 ? 4 : 2 }
}

/// The elements of one weight as a source holds them, handed to ``ComputeBackend/makeWeight16(_:rows:cols:precision:)``
/// without a float32 copy in between. Raw 16-bit buffers are little-endian bit patterns and need not be aligned.
public enum WeightData {
    /// IEEE float32 values.
    case float32(UnsafeBufferPointer<Float>)
    /// IEEE binary16 bit patterns (safetensors `F16`), `count` elements.
    case float16(UnsafeRawBufferPointer)
    /// bfloat16 bit patterns (safetensors `BF16`), `count` elements.
    case bfloat16(UnsafeRawBufferPointer)

    /// Number of elements.
    public var count: Int {
        switch self {
        case .float32(let p): p.count
        case .float16(let p), .bfloat16(let p): p.count / 2
        }
    }

    /// The values widened to float32 (exact).
    public func floats() -> [Float] {
        switch self {
        case .float32(let p): return Array(p)
        case .float16(let p): return Float16Conversion.decode(p, as: .f16) ?? []
        case .bfloat16(let p): return Float16Conversion.decode(p, as: .bf16) ?? []
        }
    }
}
