/// transformers `_resize_pos_embed`: the class-token embedding followed by the square grid of patch
/// embeddings, bilinearly resized (align_corners false) to the input's patch grid.
struct DPTPositionEmbeddings {
    /// `[1, 1 + g·g, D]`.
    let table: Tensor
    let grid: Int

    init(table: Tensor) throws {
        let n = table.shape[1] - 1
        let g = Int(Double(n).squareRoot())
        guard g * g == n else {
            throw ConfigError.inconsistent(component: "depth_estimator",
                                           detail: "position_embeddings of \(n) patches is not a square grid (non-square image_size)")
        }
        self.table = table; self.grid = g
    }

    /// `[1, 1 + h·w, D]` for a patch grid of `h` x `w`.
    func resized(height h: Int, width w: Int) throws -> Tensor {
        if h == grid && w == grid { return table }
        let b = table.backend, d = table.shape[2]
        let cls = try b.narrow(table, axis: 1, start: 0, length: 1)
        let patches = try b.narrow(table, axis: 1, start: 1, length: grid * grid).reshaped([1, grid, grid, d])
        let nchw = try b.permute(patches, [0, 3, 1, 2])
        let scaled = try b.resize(nchw, height: h, width: w, mode: .bilinear(alignCorners: false))
        let tokens = try b.permute(scaled, [0, 2, 3, 1]).reshaped([1, h * w, d])
        return try b.concat([cls, tokens], axis: 1)
    }
}

/// Prepends the (batch-shared) class token to `[B, L, D]` tokens and adds the position embeddings.
func dptAddClassToken(_ tokens: Tensor, cls: Tensor, positions: Tensor) throws -> Tensor {
    let b = tokens.backend
    let batch = tokens.shape[0], d = tokens.shape[2]
    let clsBatch = batch == 1 ? cls : try b.concat(Array(repeating: cls, count: batch), axis: 0)
    let joined = try b.concat([clsBatch.reshaped([batch, 1, d]), tokens], axis: 1)
    return try b.add(joined, positions)
}

/// `[B, C, h, w]` → `[B, h·w, C]` (`flatten(2).transpose(1, 2)`).
func dptTokens(fromMap x: Tensor) throws -> Tensor {
    let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    return try x.backend.permute(x.reshaped([n, c, h * w]), [0, 2, 1])
}
