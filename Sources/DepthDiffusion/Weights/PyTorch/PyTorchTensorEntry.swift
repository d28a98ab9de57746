/// One tensor of a PyTorch checkpoint: a strided view of a storage record in the archive.
///
/// Entries are validated when the checkpoint is opened: every element the view reaches lies inside its
/// storage, and the storage lies inside the archive.
public struct PyTorchTensorEntry: Equatable, Sendable {
    /// The state-dict key, e.g. `model.diffusion_model.out.2.weight`.
    public let name: String
    /// The element type (from the storage class, e.g. `torch.HalfStorage` is ``SafeTensorsDType/f16``).
    public let dtype: SafeTensorsDType
    /// The dimensions, outermost first.
    public let shape: [Int]
    /// Element strides per dimension.
    public let strides: [Int]
    /// The first element's index in the storage.
    public let offset: Int
    /// The storage's bytes within the archive.
    public let storageRange: Range<Int>

    /// The number of elements.
    public var elementCount: Int { shape.reduce(1, *) }

    /// Whether the elements are stored contiguously in row-major order.
    public var isContiguous: Bool {
        var expected = 1
        for (size, stride) in zip(shape, strides).reversed() where size != 1 {
            if stride != expected { return false }
            expected *= size
        }
        return true
    }
}
