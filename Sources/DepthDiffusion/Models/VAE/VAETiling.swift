/// When the VAE splits its work into overlapping tiles (diffusers `enable_tiling`).
public enum VAETilingMode: Sendable, Equatable {
    /// Tiles only images larger than ``AutoencoderKL/automaticTilingPixels`` (the untiled path needs memory
    /// in proportion to the image; tiles bound it). Smaller images give exactly diffusers' untiled result.
    case automatic
    /// diffusers with `enable_tiling()`: tiles whenever the input exceeds one tile.
    case enabled
    /// Never tiles.
    case disabled
}

/// Tile geometry, as diffusers' `AutoencoderKL` sets it: `tile_sample_min_size = sample_size`,
/// `tile_latent_min_size = sample_size / 2^(levels-1)`, `tile_overlap_factor = 0.25`.
public struct VAETileSizes: Equatable, Sendable {
    /// Tile edge in image pixels.
    public var sampleTile: Int
    /// Tile edge in latent pixels.
    public var latentTile: Int
    /// Fraction of a tile shared with its neighbour.
    public var overlapFactor: Double

    public init(sampleTile: Int, latentTile: Int, overlapFactor: Double = 0.25) {
        self.sampleTile = sampleTile; self.latentTile = latentTile; self.overlapFactor = overlapFactor
    }

    /// diffusers' defaults for a config.
    public init(config: AutoencoderKLConfig) {
        self.init(sampleTile: config.sampleSize, latentTile: Int(Double(config.sampleSize) / Double(config.scaleFactor)))
    }

    /// Whether an image of `height` x `width` pixels is processed in tiles under `mode`, where
    /// ``VAETilingMode/automatic`` tiles images of more than `automaticPixels` pixels.
    public func usesTiles(height: Int, width: Int, mode: VAETilingMode, automaticPixels: Int) -> Bool {
        let larger = height > sampleTile || width > sampleTile
        switch mode {
        case .disabled: return false
        case .enabled: return larger
        case .automatic: return height * width > automaticPixels && larger
        }
    }
}

/// Runs `body` on overlapping tiles of `x` (`[B, C, H, W]`) and blends the results, reproducing diffusers'
/// `_tiled_encode` / `tiled_decode`: tiles of `inputTile` start every `Int(inputTile · (1 − overlap))` pixels;
/// each output tile is blended linearly with the (already blended) tile above and the one on its left over
/// `Int(outputTile · overlap)` rows/columns, then cropped to `outputTile − blend` and concatenated.
///
/// Only the previous row of tiles is kept, so memory holds one output row plus the result.
func tiledApply(_ x: Tensor, inputTile: Int, outputTile: Int, overlapFactor: Double,
                _ body: (Tensor) throws -> Tensor) throws -> Tensor {
    let backend = x.backend
    let (height, width) = (x.shape[2], x.shape[3])
    let step = Int(Double(inputTile) * (1 - overlapFactor))
    let blend = Int(Double(outputTile) * overlapFactor)
    let rowLimit = outputTile - blend
    guard step > 0, rowLimit > 0 else {
        throw TensorError.invalidArgument(operation: "VAE tiling",
            detail: "tile \(inputTile)/\(outputTile) with overlap \(overlapFactor) leaves no stride; use larger tiles")
    }
    var previousRow: [Tensor] = []
    var resultRows: [Tensor] = []
    for i in stride(from: 0, to: height, by: step) {
        var row: [Tensor] = []
        var cropped: [Tensor] = []
        for j in stride(from: 0, to: width, by: step) {
            let tileIn = try backend.narrow(backend.narrow(x, axis: 2, start: i, length: min(inputTile, height - i)),
                                            axis: 3, start: j, length: min(inputTile, width - j))
            var tile = try body(tileIn)
            if !previousRow.isEmpty { tile = try blendVertical(previousRow[row.count], tile, extent: blend) }
            if let left = row.last { tile = try blendHorizontal(left, tile, extent: blend) }
            row.append(tile)
            let h = min(rowLimit, tile.shape[2]), w = min(rowLimit, tile.shape[3])
            cropped.append(try backend.narrow(backend.narrow(tile, axis: 2, start: 0, length: h), axis: 3, start: 0, length: w))
        }
        resultRows.append(try backend.concat(cropped, axis: 3))
        previousRow = row
    }
    return try backend.concat(resultRows, axis: 2)
}

/// diffusers `blend_v`: the first `e` rows of `b` fade from `a`'s last `e` rows, weight `y/e` on `b`.
private func blendVertical(_ a: Tensor, _ b: Tensor, extent: Int) throws -> Tensor {
    try blend(a, b, axis: 2, extent: min(a.shape[2], b.shape[2], extent))
}

/// diffusers `blend_h`: the same along columns.
private func blendHorizontal(_ a: Tensor, _ b: Tensor, extent: Int) throws -> Tensor {
    try blend(a, b, axis: 3, extent: min(a.shape[3], b.shape[3], extent))
}

private func blend(_ a: Tensor, _ b: Tensor, axis: Int, extent e: Int) throws -> Tensor {
    guard e > 0 else { return b }
    let backend = b.backend
    // PyTorch multiplies by the Python floats (1 - y/e) and y/e, rounded to float32.
    let wa = (0..<e).map { Float(1 - Double($0) / Double(e)) }, wb = (0..<e).map { Float(Double($0) / Double(e)) }
    let weightShape = axis == 2 ? [1, 1, e, 1] : [1, 1, 1, e]
    let tail = try backend.narrow(a, axis: axis, start: a.shape[axis] - e, length: e)
    let head = try backend.narrow(b, axis: axis, start: 0, length: e)
    let mixed = try backend.add(backend.mul(tail, Tensor(shape: weightShape, data: wa, on: backend)),
                                backend.mul(head, Tensor(shape: weightShape, data: wb, on: backend)))
    guard b.shape[axis] > e else { return mixed }
    return try backend.concat([mixed, backend.narrow(b, axis: axis, start: e, length: b.shape[axis] - e)], axis: axis)
}
