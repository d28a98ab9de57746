import CDepthKernels

/// A Linear weight `[outFeatures, inFeatures]` packed once into bf16 for the CPU backend's bf16 GEMM
/// (``CPUBackend/bf16Linear(_:weight:bias:path:)``): half the memory of float32.
///
/// The layout is the one of `dd_bf16_pack_b` (CDepthKernelsBF16.h): panels of 32 output features, each
/// holding pairs of input features interleaved as AVX512-BF16 `vdpbf16ps` reads them, zero-padded to a
/// multiple of 32 outputs and of 2 inputs. Float32 and float16 sources are rounded to the nearest bf16
/// (ties to even); bf16 sources are copied unchanged.
///
/// Visible to the package (the benchmarks and tests), not part of the public API.
package struct BF16Weight: Sendable {
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
    /// The packed bf16 bit patterns, `dd_bf16_packed_count(outFeatures, inFeatures)` of them.
    package let packed: [UInt16]

    /// Packs the row-major `[outFeatures, inFeatures]` matrix `source`.
    ///
    /// - Throws: ``TensorError/invalidArgument(operation:detail:)`` when a size is negative or `source`
    ///   does not hold exactly `outFeatures · inFeatures` elements.
    package init(_ source: Source, outFeatures: Int, inFeatures: Int) throws {
        guard outFeatures >= 0, inFeatures >= 0 else {
            throw TensorError.invalidArgument(operation: "BF16Weight",
                                              detail: "negative size \(outFeatures) x \(inFeatures)")
        }
        let (base, count, type): (UnsafeRawPointer?, Int, Int32) = switch source {
        case .float32(let p): (UnsafeRawPointer(p.baseAddress), p.count, Int32(DD_SOURCE_F32))
        case .float16(let p): (UnsafeRawPointer(p.baseAddress), p.count, Int32(DD_SOURCE_F16))
        case .bfloat16(let p): (UnsafeRawPointer(p.baseAddress), p.count, Int32(DD_SOURCE_BF16))
        }
        guard count == outFeatures * inFeatures else {
            throw TensorError.invalidArgument(operation: "BF16Weight",
                detail: "\(count) elements for a [\(outFeatures), \(inFeatures)] weight; pass exactly out x in values")
        }
        self.outFeatures = outFeatures
        self.inFeatures = inFeatures
        let total = dd_bf16_packed_count(outFeatures, inFeatures)
        packed = [UInt16](unsafeUninitializedCapacity: total) { buffer, initialized in
            if let base, let out = buffer.baseAddress, total > 0 {
                dd_bf16_pack_b(base, type, 1, outFeatures, inFeatures, inFeatures, out)
            }
            initialized = total
        }
    }

    /// Bytes held by the packed weight.
    package var byteCount: Int { packed.count * MemoryLayout<UInt16>.stride }
}
