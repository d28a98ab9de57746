import CDepthKernels

/// A Linear weight `[outFeatures, inFeatures]` packed once into 16-bit values for the CPU backend's
/// 16-bit-weight products (``CPUBackend/linear16(_:weight:bias:path:)``): half the memory of float32.
///
/// The layout is the one of `dd_bf16_pack_b` (CDepthKernelsBF16.h): panels of 32 output features, each
/// holding pairs of input features interleaved as AVX512-BF16 `vdpbf16ps` reads them, zero-padded to a
/// multiple of 32 outputs and of 2 inputs. Values are rounded to the nearest representable one (ties to
/// even); a source already in the chosen format is copied unchanged.
///
/// Visible to the package (the benchmarks and tests), not part of the public API.
package struct PackedWeight16: Sendable {
    /// How the 16-bit values encode numbers.
    package enum Format: Sendable {
        /// bfloat16: float32's range, 8 significant bits. Multiplied directly by AVX512-BF16.
        case bfloat16
        /// IEEE binary16: 11 significant bits, largest finite value 65504. Widened to float32 for `sgemm`.
        case float16
    }

    /// Element type of the source a weight is packed from.
    package enum Source {
        /// IEEE float32 values.
        case float32(UnsafeBufferPointer<Float>)
        /// IEEE binary16 bit patterns (safetensors `F16`).
        case float16(UnsafeBufferPointer<UInt16>)
        /// bfloat16 bit patterns (safetensors `BF16`).
        case bfloat16(UnsafeBufferPointer<UInt16>)
    }

    /// Rows of the weight: the product's output columns (N).
    package let outFeatures: Int
    /// Columns of the weight: the product's inner dimension (K).
    package let inFeatures: Int
    /// The encoding of ``packed``.
    package let format: Format
    /// The packed bit patterns, `dd_bf16_packed_count(outFeatures, inFeatures)` of them.
    package let packed: [UInt16]

    /// Packs the row-major `[outFeatures, inFeatures]` matrix `source` into `format`.
    ///
    /// - Throws: ``TensorError/invalidArgument(operation:detail:)`` when a size is negative or `source`
    ///   does not hold exactly `outFeatures · inFeatures` elements.
    package init(_ source: Source, outFeatures: Int, inFeatures: Int, format: Format = .bfloat16) throws {
        guard outFeatures >= 0, inFeatures >= 0 else {
            throw TensorError.invalidArgument(operation: "PackedWeight16",
                                              detail: "negative size \(outFeatures) x \(inFeatures)")
        }
        let (base, count, type): (UnsafeRawPointer?, Int, Int32) = switch source {
        case .float32(let p): (UnsafeRawPointer(p.baseAddress), p.count, Int32(DD_SOURCE_F32))
        case .float16(let p): (UnsafeRawPointer(p.baseAddress), p.count, Int32(DD_SOURCE_F16))
        case .bfloat16(let p): (UnsafeRawPointer(p.baseAddress), p.count, Int32(DD_SOURCE_BF16))
        }
        guard count == outFeatures * inFeatures else {
            throw TensorError.invalidArgument(operation: "PackedWeight16",
                detail: "\(count) elements for a [\(outFeatures), \(inFeatures)] weight; pass exactly out x in values")
        }
        self.outFeatures = outFeatures
        self.inFeatures = inFeatures
        self.format = format
        let total = dd_bf16_packed_count(outFeatures, inFeatures)
        packed = [UInt16](unsafeUninitializedCapacity: total) { buffer, initialized in
            if let base, let out = buffer.baseAddress, total > 0 {
                switch format {
                case .bfloat16: dd_bf16_pack_b(base, type, 1, outFeatures, inFeatures, inFeatures, out)
                case .float16: dd_f16_pack_b(base, type, 1, outFeatures, inFeatures, inFeatures, out)
                }
            }
            initialized = total
        }
    }

    /// Packs the row-major `[outFeatures, inFeatures]` matrix `data` (as a ``WeightSource`` hands it over) into
    /// `format`. Raw 16-bit data at an odd address is copied to aligned memory first.
    package init(data: WeightData, outFeatures: Int, inFeatures: Int, format: Format) throws {
        switch data {
        case .float32(let p):
            try self.init(Source.float32(p), outFeatures: outFeatures, inFeatures: inFeatures, format: format)
        case .float16(let raw), .bfloat16(let raw):
            let isHalf: Bool = if case .float16 = data { true } else { false }
            func pack(_ bits: UnsafeBufferPointer<UInt16>) throws -> PackedWeight16 {
                try PackedWeight16(isHalf ? Source.float16(bits) : Source.bfloat16(bits), outFeatures: outFeatures,
                                   inFeatures: inFeatures, format: format)
            }
            if let base = raw.baseAddress, Int(bitPattern: base) % 2 == 0 {
                self = try pack(UnsafeBufferPointer(start: base.assumingMemoryBound(to: UInt16.self), count: raw.count / 2))
            } else {
                self = try raw.unalignedUInt16s().withUnsafeBufferPointer { try pack($0) }
            }
        }
    }

    /// Bytes held by the packed weight.
    package var byteCount: Int { packed.count * MemoryLayout<UInt16>.stride }

    /// Writes columns `col0 ..< col1` as float32, `inFeatures` x (col1 - col0) row-major with row stride `ldo`.
    func unpack(columns col0: Int, _ col1: Int, into out: UnsafeMutablePointer<Float>, ldo: Int) {
        packed.withUnsafeBufferPointer { p in
            switch format {
            case .bfloat16: dd_bf16_unpack_b(p.baseAddress, outFeatures, inFeatures, col0, col1, out, ldo)
            case .float16: dd_f16_unpack_b(p.baseAddress, outFeatures, inFeatures, col0, col1, out, ldo)
            }
        }
    }
}

private extension UnsafeRawBufferPointer {
    /// The bytes as 16-bit values (unaligned loads).
    func unalignedUInt16s() -> [UInt16] { (0..<count / 2).map { loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self) } }
}
