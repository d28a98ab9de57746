import CRuntimeLibraries

/// A 16-bit weight of the OpenCL backend (``BackendCapability/weights16``): `count` IEEE binary16 or bfloat16
/// values in device memory (half the memory of float32).
final class OpenCLWeight16: DeviceBuffer {
    let count: Int
    let storage: OpenCLBuffer
    let precision: WeightPrecision
    init(count: Int, storage: OpenCLBuffer, precision: WeightPrecision) {
        self.count = count; self.storage = storage; self.precision = precision
    }
}

// The OpenCL backend's 16-bit weights: stored as `half` (read with `vload_half`) or bf16 bits, widened on the
// device to a float32 scratch buffer when a layer runs, so the arithmetic is float32 as for float32 weights.
extension OpenCLBackend {
    public func makeWeight16(_ data: WeightData, rows: Int, cols: Int, precision: WeightPrecision) throws -> DeviceBuffer {
        guard precision != .fp32 else {
            throw TensorError.invalidArgument(operation: "makeWeight16", detail: "fp32 is not a 16-bit precision; use makeBuffer")
        }
        let count = rows * cols
        guard rows >= 0, cols >= 0, data.count == count else {
            throw TensorError.invalidArgument(operation: "makeWeight16",
                detail: "\(data.count) elements for a [\(rows), \(cols)] weight; pass exactly rows x cols values")
        }
        guard count <= Int(Int32.max) else {
            throw BackendError.sizeOutOfRange(operation: "makeWeight16", value: count, limit: Int(Int32.max))
        }
        let bits = Self.bits16(data, precision: precision)
        let storage = try OpenCLBuffer(count: (count + 1) / 2, context: ctx)
        if count > 0 {
            try clCheck(ddclEnqueueWriteBuffer(ctx.queue, storage.mem, cl_bool(CL_TRUE), 0, count * 2, bits, 0, nil, nil),
                        "upload 16-bit weight")
        }
        return OpenCLWeight16(count: count, storage: storage, precision: precision)
    }

    /// The bit patterns of `data` in `precision`: 16-bit data of that precision as is, the rest rounded to
    /// nearest, ties to even.
    static func bits16(_ data: WeightData, precision: WeightPrecision) -> [UInt16] {
        let count = data.count
        switch (data, precision) {
        case (.float16(let raw), .fp16), (.bfloat16(let raw), .bf16):
            return (0..<count).map { raw.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self) }
        default:
            let values: [Float]
            if case .float32(let p) = data { values = Array(p) } else { values = data.floats() }
            return precision == .fp16 ? values.map { Float16($0).bitPattern } : values.map(bfloat16Bits)
        }
    }

    /// `value` rounded to bfloat16 (nearest, ties to even; NaN stays NaN).
    static func bfloat16Bits(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN { return UInt16(bits >> 16) | 0x40 }
        return UInt16((bits &+ 0x7FFF &+ ((bits >> 16) & 1)) >> 16)
    }

    func weight16(_ buffer: DeviceBuffer) throws -> OpenCLWeight16 {
        guard let weight = buffer as? OpenCLWeight16 else {
            throw TensorError.invalidArgument(operation: "weights16", detail: "the buffer is not a 16-bit weight of this backend")
        }
        return weight
    }

    public func widen16(_ weight: DeviceBuffer, output: DeviceBuffer) throws {
        let w = try weight16(weight)
        try launch1D("widen16", source: OpenCLKernelSource.elementwise, count: w.count,
                     [.buffer(w.storage), .buffer(output), .int(w.count), .bool(w.precision == .bf16)])
    }

    /// A float32 copy of a 16-bit weight in a pooled scratch buffer.
    private func widened(_ weight: DeviceBuffer) throws -> DeviceBuffer {
        let wide = try makeBuffer(count: weight.count)
        try widen16(weight, output: wide)
        return wide
    }

    public func linear16(_ d: GEMMDescriptor, x: DeviceBuffer, weight: DeviceBuffer, bias: DeviceBuffer?,
                         output: DeviceBuffer) throws {
        try gemm(d, a: x, b: widened(weight), bias: bias, c: output)
    }

    public func conv2d16(_ d: Conv2DDescriptor, input: DeviceBuffer, weight: DeviceBuffer, bias: DeviceBuffer?,
                         output: DeviceBuffer) throws {
        try conv2d(d, input: input, weight: widened(weight), bias: bias, output: output)
    }
}
