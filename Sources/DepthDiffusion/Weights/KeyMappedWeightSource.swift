/// Presents another source's tensors under new names: the bridge from a checkpoint's own layout (for
/// example the original latent-diffusion names) to the reference names the models bind.
///
/// Each exposed tensor is a whole source tensor, or a block of its leading rows (for fused projections such
/// as OpenCLIP's `in_proj_weight`, which holds query, key and value one after the other), with a shape that
/// may drop unit dimensions (1×1 convolution kernels used as linear weights).
public final class KeyMappedWeightSource: WeightSource {
    /// Where one exposed tensor comes from.
    public struct Mapping: Equatable, Sendable {
        /// The tensor's name in the underlying source.
        public var sourceName: String
        /// The rows (first-dimension indices) taken, or `nil` for the whole tensor.
        public var rows: Range<Int>?
        /// The exposed shape; its element count equals that of the rows taken.
        public var shape: [Int]

        public init(sourceName: String, rows: Range<Int>? = nil, shape: [Int]) {
            self.sourceName = sourceName; self.rows = rows; self.shape = shape
        }
    }

    /// The underlying source.
    public let source: WeightSource
    /// Every exposed name and its origin.
    public let mappings: [String: Mapping]

    public init(source: WeightSource, mappings: [String: Mapping]) {
        self.source = source
        self.mappings = mappings
    }

    public var tensorNames: [String]? { mappings.keys.sorted() }
    public func shape(of name: String) -> [Int]? { mappings[name]?.shape }

    public func floats(_ name: String, shape: [Int]) throws -> [Float] {
        guard let mapping = mappings[name], let sourceShape = source.shape(of: mapping.sourceName) else {
            throw WeightBindingError(missing: [name], shapeMismatches: [], unexpected: [])
        }
        let values = try source.floats(mapping.sourceName, shape: sourceShape)
        guard let rows = mapping.rows else { return values }
        let rowSize = sourceShape.dropFirst().reduce(1, *)
        return Array(values[rows.lowerBound * rowSize..<rows.upperBound * rowSize])
    }
}
