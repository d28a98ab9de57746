/// transformers `CLIPTextEmbeddings`: `token_embedding(ids) + position_embedding(0..<length)`.
///
/// The checkpoint's int64 `position_ids` buffer is not a parameter and is ignored.
struct CLIPTextEmbeddings {
    let tokenEmbedding: Tensor
    let positionEmbedding: Tensor

    init(_ binder: WeightBinder, config: CLIPTextConfig) throws {
        // The token table (vocabulary × hidden, a fifth of the text encoder) is held in the binder's precision.
        tokenEmbedding = try binder.scope("token_embedding").weight("weight", shape: [config.vocabSize, config.hiddenSize])
        positionEmbedding = try binder.scope("position_embedding").tensor("weight", shape: [config.maxPositionEmbeddings, config.hiddenSize])
    }

    /// `ids` holds `batch` rows of `length` ids; the result is `[batch, length, hidden]`.
    func callAsFunction(ids: [Int32], batch: Int, length: Int) throws -> Tensor {
        let backend = tokenEmbedding.backend
        let hidden = tokenEmbedding.shape[1]
        let tokens = try backend.embedding(tokenEmbedding, ids: ids).reshaped([batch, length, hidden])
        let positions = try backend.narrow(positionEmbedding, axis: 0, start: 0, length: length).reshaped([1, length, hidden])
        return try backend.add(tokens, positions)
    }
}
