/// An n-dimensional float32 array, row-major and contiguous, stored in a ``ComputeBackend`` buffer.
///
/// A tensor is a value: operations return new tensors and never modify their inputs, so
/// reshaping shares the buffer safely. Move data between host and device with
/// ``init(shape:data:on:)`` / ``toArray()``.
///
/// Weights of linear and convolution layers may be held in 16 bits (``storage`` is then
/// ``WeightPrecision/fp16`` or ``WeightPrecision/bf16``, see ``BackendCapability/weights16``); such a tensor
/// can be read with ``toArray()`` and used as the weight of ``ComputeBackend/linear(_:weight:bias:activation:residual:)``
/// and ``ComputeBackend/conv2d(_:weight:bias:stride:padding:)``, and every other operation refuses it.
public struct Tensor: Sendable {
    /// Sizes of each dimension, outermost first.
    public let shape: [Int]
    /// The backend buffer holding the elements.
    public let buffer: DeviceBuffer
    /// The backend that owns ``buffer`` and runs operations on this tensor.
    public let backend: ComputeBackend
    /// How the elements are stored: ``WeightPrecision/fp32`` for every tensor except 16-bit weights.
    public let storage: WeightPrecision

    /// Number of elements.
    public var count: Int { shape.reduce(1, *) }
    /// Number of dimensions.
    public var rank: Int { shape.count }

    /// Wraps an existing buffer. The buffer must hold at least `shape` elements; `storage` says how (a
    /// 16-bit buffer comes from ``ComputeBackend/makeWeight16(_:rows:cols:precision:)``).
    public init(shape: [Int], buffer: DeviceBuffer, backend: ComputeBackend, storage: WeightPrecision = .fp32) throws {
        guard buffer.count >= (try Tensor.elementCount(shape)) else {
            throw TensorError.shapeMismatch(operation: "Tensor",
                                            detail: "buffer of \(buffer.count) elements cannot hold \(shape)")
        }
        self.shape = shape; self.buffer = buffer; self.backend = backend; self.storage = storage
    }

    /// Allocates an uninitialised tensor on `backend`.
    public init(uninitializedShape shape: [Int], on backend: ComputeBackend) throws {
        let buffer = try backend.makeBuffer(count: max(try Tensor.elementCount(shape), 1))
        self.shape = shape; self.buffer = buffer; self.backend = backend; storage = .fp32
    }

    /// Uploads host data (row-major, `shape.reduce(1, *)` elements) to `backend`.
    public init(shape: [Int], data: [Float], on backend: ComputeBackend) throws {
        guard data.count == (try Tensor.elementCount(shape)) else {
            throw TensorError.shapeMismatch(operation: "Tensor",
                                            detail: "\(data.count) values do not fill shape \(shape)")
        }
        try self.init(uninitializedShape: shape, on: backend)
        try data.withUnsafeBufferPointer { try backend.upload($0, to: buffer, offset: 0) }
    }

    /// A tensor filled with one value.
    public init(shape: [Int], repeating value: Float, on backend: ComputeBackend) throws {
        try self.init(shape: shape, data: [Float](repeating: value, count: Tensor.elementCount(shape)), on: backend)
    }

    /// Downloads the elements to the host as float32 (waits for pending work). 16-bit weights are widened exactly.
    public func toArray() throws -> [Float] {
        var out = [Float](repeating: 0, count: count)
        guard count > 0 else { return out }
        let source: DeviceBuffer
        if storage == .fp32 { source = buffer } else {
            source = try backend.makeBuffer(count: count)
            try backend.widen16(buffer, output: source)
        }
        try out.withUnsafeMutableBufferPointer { try backend.download(source, offset: 0, into: $0) }
        return out
    }

    /// The same elements viewed with another shape of equal element count; one dimension may be `-1`.
    public func reshaped(_ newShape: [Int]) throws -> Tensor {
        var dims = newShape
        if let i = dims.firstIndex(of: -1) {
            var rest = dims
            rest[i] = 1
            let known = try Tensor.elementCount(rest, operation: "reshape")
            guard known > 0, count % known == 0 else {
                throw TensorError.shapeMismatch(operation: "reshape", detail: "\(shape) -> \(newShape)")
            }
            dims[i] = count / known
        }
        guard (try Tensor.elementCount(dims, operation: "reshape")) == count else {
            throw TensorError.shapeMismatch(operation: "reshape", detail: "\(shape) -> \(newShape)")
        }
        return try Tensor(shape: dims, buffer: buffer, backend: backend, storage: storage)
    }

    /// Copies this tensor to another backend (a no-op when it is already there); 16-bit weights arrive as float32.
    public func to(_ other: ComputeBackend) throws -> Tensor {
        if other === backend { return self }
        return try Tensor(shape: shape, data: toArray(), on: other)
    }
}

extension Tensor {
    /// The largest element count a tensor may have: its size in bytes, and any index arithmetic on it, must fit
    /// in an `Int` with room to spare.
    public static let maximumElementCount = Int.max / 16

    /// The number of elements of `shape`, computed without overflow.
    ///
    /// - Throws: ``TensorError/invalidArgument(operation:detail:)`` for a negative dimension, or when the
    ///   product exceeds ``maximumElementCount`` (sizes from a hostile or broken configuration).
    public static func elementCount(_ shape: [Int], operation: String = "Tensor") throws -> Int {
        var product = 1
        for d in shape {
            guard d >= 0 else { throw TensorError.invalidArgument(operation: operation, detail: "negative dimension in \(shape)") }
            let (next, overflow) = product.multipliedReportingOverflow(by: d)
            guard !overflow, next <= maximumElementCount else {
                throw TensorError.invalidArgument(operation: operation,
                    detail: "shape \(shape) has more than \(maximumElementCount) elements; the sizes that produced it are far too large")
            }
            product = next
        }
        return product
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String { "Tensor(\(shape), \(backend.name)\(storage == .fp32 ? "" : ", \(storage.rawValue)"))" }
}

/// Row-major strides of a shape.
@inlinable func contiguousStrides(_ shape: [Int]) -> [Int] {
    var strides = [Int](repeating: 1, count: shape.count)
    var s = 1
    for i in stride(from: shape.count - 1, through: 0, by: -1) { strides[i] = s; s *= shape[i] }
    return strides
}
