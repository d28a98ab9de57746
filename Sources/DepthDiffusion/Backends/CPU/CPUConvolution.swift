// Convolution on the CPU backend, as GEMMs over bounded scratch memory.
//
// Four strategies, chosen per shape:
// * 1x1, stride 1, no padding: one GEMM per image straight into the output.
// * 3x3, stride 1 on maps of at least `tuning.winogradMinimumSide` pixels: Winograd F(4x4, 3x3) (CPUWinograd.swift).
// * stride 1 on large maps ("shifted GEMM"): the input is copied once into a zero-padded,
//   channel-major buffer with the batch folded into the columns; then each kernel tap is a GEMM
//   whose B operand is that buffer shifted by the tap's offset. Output columns are computed over the
//   padded width (a few wasted columns per row) in tiles, then scattered into NCHW with the bias.
// * otherwise (strides > 1, small maps): tiled im2col with the batch folded into the columns.
// Scratch memory: the padded input (inC x (batch·Hp·Wp + kW) floats) plus one output tile, or one
// im2col tile of at most `tuning.im2colBudget` floats plus one output tile.

extension CPUBackend {

    public func conv2d(_ d: Conv2DDescriptor, input: DeviceBuffer, weight: DeviceBuffer, bias: DeviceBuffer?,
                       output: DeviceBuffer) throws {
        let x = ptr(input), w = ptr(weight), y = ptr(output)
        let b = bias.map { UnsafePointer(ptr($0)) }
        let pads = d.padTop + d.padBottom + d.padLeft + d.padRight
        if d.kernelH == 1 && d.kernelW == 1 && d.strideH == 1 && d.strideW == 1 && pads == 0 {
            // Per image, `[outC, inC] x [inC, H·W]`.
            splitGEMM(GEMMDescriptor(batch: d.batch, m: d.outChannels, n: d.height * d.width, k: d.inChannels,
                                     broadcastA: true, bias: b == nil ? .none : .perRow), a: w, b: x, bias: b, c: y)
            return
        }
        if usesWinograd(d) {
            try winogradConv(d, x, w, b, y)
            return
        }
        let wp = d.width + d.padLeft + d.padRight, hp = d.height + d.padTop + d.padBottom
        let wideColumns = (d.batch - 1) * hp * wp + d.outHeight * wp
        let waste = Double(wideColumns) / Double(d.batch * d.outHeight * d.outWidth)
        if d.strideH == 1 && d.strideW == 1 && waste < 1.15 {
            try shiftedConv(d, x, w, b, y)
        } else {
            try im2colConv(d, x, w, b, y)
        }
    }

    private func shiftedConv(_ d: Conv2DDescriptor, _ x: UnsafeMutablePointer<Float>, _ w: UnsafeMutablePointer<Float>,
                             _ bias: UnsafePointer<Float>?, _ y: UnsafeMutablePointer<Float>) throws {
        let (cin, cout, kh, kw) = (d.inChannels, d.outChannels, d.kernelH, d.kernelW)
        let (h, wd, ho, wo) = (d.height, d.width, d.outHeight, d.outWidth)
        let wp = wd + d.padLeft + d.padRight, hp = h + d.padTop + d.padBottom, plane = hp * wp
        let rowLength = d.batch * plane + kw
        // Padded, channel-major input: padded[c][n * plane + (iy + padTop) * wp + ix + padLeft].
        let padded = try Scratch(count: cin * rowLength, pool: pool)
        let pp = padded.pointer
        parallel.forEach(cin, grain: 1) { channels in
            for c in channels {
                let row = pp + c * rowLength
                row.update(repeating: 0, count: rowLength)
                for n in 0..<d.batch {
                    let src = x + (n * cin + c) * h * wd
                    let dst = row + n * plane + d.padTop * wp + d.padLeft
                    for iy in 0..<h { (dst + iy * wp).update(from: src + iy * wd, count: wd) }
                }
            }
        }
        // Weights per tap: taps[t][co][ci].
        let taps = kh * kw
        let packed = try Scratch(count: taps * cout * cin, pool: pool)
        let pw = packed.pointer
        parallel.forEach(cout, grain: 8) { rows in
            for co in rows { for ci in 0..<cin { for t in 0..<taps {
                pw[(t * cout + co) * cin + ci] = w[(co * cin + ci) * taps + t]
            } } }
        }
        let wide = (d.batch - 1) * plane + ho * wp
        let tileColumns = min(wide, tuning.shiftedTileColumns)
        let tile = try Scratch(count: cout * tileColumns, pool: pool)
        let pt = tile.pointer
        // Slices of the output channels for the whole convolution, two per core (at least 32 channels each),
        // claimed one at a time: single-threaded GEMMs per tap into the slice's rows of the tile, then the
        // scatter of those channels (no BLAS threads). Two slices per core ran as fast as one on 2 Zen 5 cores
        // (1280 channels at 16x16 and 8x8) and let a core that other work slows take fewer.
        let slices = max(1, min(2 * parallel.workers, cout / 32))
        parallel.withSingleThreadedBLAS(jobs: slices) { _, part in
            let lo = cout * part / slices, hi = cout * (part + 1) / slices
            guard lo < hi else { return }
            var j0 = 0
            while j0 < wide {
                let cols = min(tileColumns, wide - j0)
                for t in 0..<taps {
                    let shift = (t / kw) * wp + t % kw
                    sgemm(m: hi - lo, n: cols, k: cin, a: pw + (t * cout + lo) * cin, lda: cin, b: pp + j0 + shift,
                          ldb: rowLength, beta: t == 0 ? 0 : 1, c: pt + lo * tileColumns, ldc: tileColumns)
                }
                // Scatter the valid columns (row segments of the padded grid) into NCHW with the bias.
                for co in lo..<hi {
                    let src = pt + co * tileColumns
                    let bv = bias?[co] ?? 0
                    var j = j0
                    while j < j0 + cols {
                        let n = j / plane, r = j % plane, oy = r / wp, ox = r % wp
                        let run = min(wp - ox, j0 + cols - j)
                        if oy < ho && ox < wo {
                            let m = min(run, wo - ox)
                            let dst = y + ((n * cout + co) * ho + oy) * wo + ox
                            let s = src + (j - j0)
                            for i in 0..<m { dst[i] = s[i] + bv }
                        }
                        j += run
                    }
                }
                j0 += cols
            }
        }
    }

    private func im2colConv(_ d: Conv2DDescriptor, _ x: UnsafeMutablePointer<Float>, _ w: UnsafeMutablePointer<Float>,
                            _ bias: UnsafePointer<Float>?, _ y: UnsafeMutablePointer<Float>) throws {
        let (cin, cout, kh, kw) = (d.inChannels, d.outChannels, d.kernelH, d.kernelW)
        let (h, wd, ho, wo) = (d.height, d.width, d.outHeight, d.outWidth)
        let k = cin * kh * kw, spatial = ho * wo, total = d.batch * spatial
        // Tiles hold whole output rows: `tileRows` rows of `wo` columns (at least one row).
        let tileRows = max(1, min(d.batch * ho, tuning.im2colBudget / max(k * wo, 1)))
        let tileColumns = tileRows * wo
        let cols = try Scratch(count: k * tileColumns, pool: pool)
        let out = try Scratch(count: cout * tileColumns, pool: pool)
        let pc = cols.pointer, po = out.pointer
        let sw = d.strideW
        var j0 = 0
        while j0 < total {
            let n = min(tileColumns, total - j0)
            let firstRow = j0 / wo, rowCount = n / wo
            // cols[(ci, ky, kx)][j] = x[img][ci][oy*sh + ky - padTop][ox*sw + kx - padLeft] (0 outside),
            // one output row at a time; columns [lo, hi) of a row read inside the input row.
            parallel.forEach(k, grain: 4) { rows in
                for r in rows {
                    let ci = r / (kh * kw), ky = (r / kw) % kh, kx = r % kw
                    let ix0 = kx - d.padLeft
                    let lo = min(wo, ix0 >= 0 ? 0 : (-ix0 + sw - 1) / sw)
                    let hi = max(lo, min(wo, wd - ix0 <= 0 ? 0 : (wd - ix0 + sw - 1) / sw))
                    var img = firstRow / ho, oy = firstRow % ho
                    var dst = pc + r * n
                    for _ in 0..<rowCount {
                        let iy = oy * d.strideH + ky - d.padTop
                        if iy < 0 || iy >= h {
                            for i in 0..<wo { dst[i] = 0 }
                        } else {
                            let src = x + ((img * cin + ci) * h + iy) * wd + ix0
                            for i in 0..<lo { dst[i] = 0 }
                            for i in lo..<hi { dst[i] = src[i * sw] }
                            for i in hi..<wo { dst[i] = 0 }
                        }
                        dst += wo
                        oy += 1
                        if oy == ho { oy = 0; img += 1 }
                    }
                }
            }
            // The output channels are split over the cores, one single-threaded GEMM each: for these
            // short, deep products OpenBLAS's own threading is slower and varies from run to run
            // (1280 channels at 8x8: 21 ms, against 22-32 ms).
            parallel.withSingleThreadedBLAS(jobs: parallel.workers) { _, part in
                let lo = cout * part / parallel.workers, hi = cout * (part + 1) / parallel.workers
                if lo < hi { sgemm(m: hi - lo, n: n, k: k, a: w + lo * k, lda: k, b: pc, ldb: n, c: po + lo * n, ldc: n) }
            }
            parallel.forEach(cout, grain: 4) { channels in
                for co in channels {
                    let bv = bias?[co] ?? 0
                    var jj = 0
                    while jj < n {
                        let j = j0 + jj, img = j / spatial, p = j % spatial
                        let run = min(spatial - p, n - jj)
                        let dst = y + (img * cout + co) * spatial + p, src = po + co * n + jj
                        for i in 0..<run { dst[i] = src[i] + bv }
                        jj += run
                    }
                }
            }
            j0 += n
        }
    }
}
