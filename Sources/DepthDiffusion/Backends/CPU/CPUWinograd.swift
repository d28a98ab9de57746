import CDepthKernels

// Winograd F(4x4, 3x3) for stride-1 3x3 convolutions on large maps: 36 multiplications per 4x4 output tile
// and channel pair instead of 144. The input is processed in chunks of tile rows: each row of tiles is packed
// channel-fastest (with the padding as zeros) and transformed; the 36 transformed positions are 36 GEMMs
// `[tiles, inC] x [inC, outC]`, which the cores claim one at a time and run with single-threaded BLAS; the
// output transform writes NCHW with the bias. The weight transform is computed per call (4x the weight size
// would otherwise stay resident): a memory-bound pass that writes 36 · outC · inC floats, about 4 ms for
// 640x640 channels on 2 Zen 5 cores, against 11 ms for the 36 products of a 32x32 map at batch 2.
//
// Float32 error: the transforms add rounding of a few ulps of the tile's magnitude (measured in the
// conformance suite); see DOCS for the figures.

extension CPUBackend {
    /// Whether `conv2d` takes the Winograd path for this shape: stride-1 3x3 kernels on maps of at least
    /// `tuning.winogradMinimumSide` pixels per side and at least `tuning.winogradMinimumTiles` output tiles, with a transformed weight of at most `tuning.winogradWeightBudget` floats.
    func usesWinograd(_ d: Conv2DDescriptor) -> Bool {
        guard tuning.winogradEnabled, d.kernelH == 3, d.kernelW == 3, d.strideH == 1, d.strideW == 1,
              d.outHeight >= tuning.winogradMinimumSide, d.outWidth >= tuning.winogradMinimumSide,
              d.batch * ((d.outHeight + 3) / 4) * ((d.outWidth + 3) / 4) >= tuning.winogradMinimumTiles else { return false }
        return 36 * d.outChannels * d.inChannels <= tuning.winogradWeightBudget
    }

    /// What the tile packing does to the input on its way in (``ConvolutionPrologue``): the stored input is
    /// `2^upsample` times smaller per side, and `scale`/`shift` (per image and channel) give its group normalisation.
    struct WinogradInput {
        var upsample = 0
        var scale: UnsafePointer<Float>? = nil
        var shift: UnsafePointer<Float>? = nil
        var silu = false
    }

    /// With `accumulate` set, the outputs are added to what `y` holds (an in-place residual addition).
    /// `consumed`, for a batch of one image, is called after each chunk with the number of leading stored input
    /// rows that no later chunk reads (all of them after the last chunk).
    func winogradConv(_ d: Conv2DDescriptor, _ x: UnsafeMutablePointer<Float>, _ w: UnsafeMutablePointer<Float>,
                      _ bias: UnsafePointer<Float>?, _ y: UnsafeMutablePointer<Float>, input t: WinogradInput = .init(),
                      accumulate: Bool = false, consumed: ((Int) -> Void)? = nil) throws {
        let (cin, cout, ho, wo) = (d.inChannels, d.outChannels, d.outHeight, d.outWidth)
        let (sh, sw) = (d.height >> t.upsample, d.width >> t.upsample)
        let tilesY = (ho + 3) / 4, tilesX = (wo + 3) / 4, wp = 4 * tilesX + 2
        let u = try Scratch(count: 36 * cout * cin, pool: pool)
        let pu = u.pointer
        let rowScratch = 36 * dd_winograd_weights_scratch(cin)
        let weightRows = try Scratch(count: min(parallel.workers, cout) * rowScratch, pool: pool)
        let channelBlocks = min(cout, 8 * parallel.workers)
        parallel.forEachJob(channelBlocks) { part, block in
            dd_winograd_weights(w, pu, cout, cin, cout * block / channelBlocks, cout * (block + 1) / channelBlocks,
                                weightRows.pointer + part * rowScratch)
        }
        // Chunks of whole tile rows (across the batch), sized so the transformed tiles stay within budget.
        let totalRows = d.batch * tilesY
        let rowsPerChunk = max(1, min(totalRows, tuning.winogradTileBudget / (36 * tilesX * max(cin, cout))))
        let maxTiles = rowsPerChunk * tilesX
        // Each worker packs one tile row at a time (six padded input rows, plus one normalised row) into its slot.
        let slot = 6 * wp * cin + (t.scale == nil ? 0 : sw)
        let packed = try Scratch(count: min(parallel.workers, rowsPerChunk) * slot, pool: pool)
        let v = try Scratch(count: 36 * maxTiles * cin, pool: pool)
        let m = try Scratch(count: 36 * maxTiles * cout, pool: pool)
        let (pp, pv, pm) = (packed.pointer, v.pointer, m.pointer)
        var row0 = 0
        while row0 < totalRows {
            let rows = min(rowsPerChunk, totalRows - row0)
            let tiles = rows * tilesX
            parallel.forEachJob(rows) { part, r in
                let p = pp + part * slot, row = p + 6 * wp * cin
                let n = (row0 + r) / tilesY, ty = (row0 + r) % tilesY
                dd_winograd_pack(x + n * cin * sh * sw, p, cin, sh, sw, Int32(t.upsample), 4 * ty - d.padTop,
                                 -d.padLeft, wp, t.scale.map { $0 + n * cin }, t.shift.map { $0 + n * cin },
                                 t.silu ? 1 : 0, t.scale == nil ? nil : row)
                dd_winograd_input(p, pv + r * tilesX * cin, cin, tilesX, wp, tiles * cin)
            }
            parallel.withSingleThreadedBLAS(jobs: 36) { _, xi in
                sgemm(m: tiles, n: cout, k: cin, transposeB: true, a: pv + xi * tiles * cin, lda: cin,
                      b: pu + xi * cout * cin, ldb: cin, c: pm + xi * tiles * cout, ldc: cout)
            }
            parallel.forEach(rows) { range in
                for r in range {
                    let n = (row0 + r) / tilesY, ty = (row0 + r) % tilesY
                    dd_winograd_output(pm + r * tilesX * cout, y + n * cout * ho * wo, bias, cout, tilesX, tiles * cout,
                                       ho * wo, wo, min(4, ho - 4 * ty), 4 * ty, accumulate ? 1 : 0)
                }
            }
            row0 += rows
            // The next chunk's first tile row reads from stored row 4·row0 − padTop on (batch 1, no upsampling).
            consumed?(row0 == totalRows ? sh : min(sh, max(0, 4 * row0 - d.padTop)))
        }
    }
}
