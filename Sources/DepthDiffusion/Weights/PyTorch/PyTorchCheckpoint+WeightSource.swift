/// A checkpoint is a weight source: models bind its tensors by name.
extension PyTorchCheckpoint: WeightSource {
    public var tensorNames: [String]? { names }
    public func shape(of name: String) -> [Int]? { entries[name]?.shape }
    public func floats(_ name: String, shape: [Int]) throws -> [Float] { try floats(name) }
}
