import DepthDiffusion

/// Counts the multiply-add FLOPs (2 per MAC) of the UNet and VAE from the layers the models actually hold:
/// convolutions (direct-convolution count), linear layers and attention (`QKᵀ` and `·V`). Normalisation,
/// activations and element-wise ops are not counted (they are < 1 % of the total).
struct FlopCount {
    var conv = 0.0, linear = 0.0, attention = 0.0
    var total: Double { conv + linear + attention }

    mutating func add(_ c: Conv2d, batch: Int, outH: Int, outW: Int) {
        let w = c.weight.shape
        conv += 2 * Double(batch * outH * outW) * Double(w[0] * w[1] * w[2] * w[3])
    }
    mutating func add(_ l: Linear, rows: Int) {
        linear += 2 * Double(rows) * Double(l.weight.shape[0] * l.weight.shape[1])
    }
    mutating func attention(batch: Int, queries: Int, keys: Int, width: Int) {
        attention += 4 * Double(batch * queries) * Double(keys * width)
    }
    mutating func add(_ r: ResnetBlock2D, batch: Int, h: Int, w: Int) {
        add(r.conv1, batch: batch, outH: h, outW: w)
        add(r.conv2, batch: batch, outH: h, outW: w)
        if let s = r.convShortcut { add(s, batch: batch, outH: h, outW: w) }
        if let t = r.timeEmbProj { add(t, rows: batch) }
    }
    mutating func add(_ a: Attention, batch: Int, queries: Int, keys: Int) {
        add(a.toQ, rows: batch * queries)
        add(a.toK, rows: batch * keys)
        add(a.toV, rows: batch * keys)
        add(a.toOut, rows: batch * queries)
        attention(batch: batch, queries: queries, keys: keys, width: a.toQ.weight.shape[0])
    }
    mutating func add(_ t: Transformer2DModel, batch: Int, h: Int, w: Int, contextLength: Int) {
        let tokens = h * w
        if let p = t.projInLinear { add(p, rows: batch * tokens) }
        if let p = t.projInConv { add(p, batch: batch, outH: h, outW: w) }
        for block in t.transformerBlocks {
            add(block.attn1, batch: batch, queries: tokens, keys: tokens)
            add(block.attn2, batch: batch, queries: tokens, keys: contextLength)
            add(block.ff.proj, rows: batch * tokens)
            add(block.ff.out, rows: batch * tokens)
        }
        if let p = t.projOutLinear { add(p, rows: batch * tokens) }
        if let p = t.projOutConv { add(p, batch: batch, outH: h, outW: w) }
    }

    /// One UNet call on `[batch, C, h, w]` latents with `contextLength` context tokens.
    static func unet(_ m: UNet2DConditionModel, batch: Int, h: Int, w: Int, contextLength: Int) -> FlopCount {
        var f = FlopCount()
        f.add(m.timeEmbedding.linear1, rows: batch)
        f.add(m.timeEmbedding.linear2, rows: batch)
        var (hh, ww) = (h, w)
        f.add(m.convIn, batch: batch, outH: hh, outW: ww)
        var sizes = [(hh, ww)]
        for block in m.downBlocks {
            for (j, r) in block.resnets.enumerated() {
                f.add(r, batch: batch, h: hh, w: ww)
                if !block.attentions.isEmpty { f.add(block.attentions[j], batch: batch, h: hh, w: ww, contextLength: contextLength) }
                sizes.append((hh, ww))
            }
            if let d = block.downsampler {
                (hh, ww) = ((hh - 1) / 2 + 1, (ww - 1) / 2 + 1)
                f.add(d.conv, batch: batch, outH: hh, outW: ww)
                sizes.append((hh, ww))
            }
        }
        f.add(m.midBlock.resnets[0], batch: batch, h: hh, w: ww)
        for (a, r) in zip(m.midBlock.attentions, m.midBlock.resnets.dropFirst()) {
            f.add(a, batch: batch, h: hh, w: ww, contextLength: contextLength)
            f.add(r, batch: batch, h: hh, w: ww)
        }
        for block in m.upBlocks {
            for (j, r) in block.resnets.enumerated() {
                _ = sizes.popLast()
                f.add(r, batch: batch, h: hh, w: ww)
                if !block.attentions.isEmpty { f.add(block.attentions[j], batch: batch, h: hh, w: ww, contextLength: contextLength) }
            }
            if let u = block.upsampler, let next = sizes.last {
                (hh, ww) = next
                f.add(u.conv, batch: batch, outH: hh, outW: ww)
            }
        }
        f.add(m.convOut, batch: batch, outH: hh, outW: ww)
        return f
    }

    mutating func add(_ m: UNetMidBlock2D, batch: Int, h: Int, w: Int) {
        add(m.resnets[0], batch: batch, h: h, w: w)
        if let a = m.attentions.first { add(a.attention, batch: batch, queries: h * w, keys: h * w) }
        add(m.resnets[1], batch: batch, h: h, w: w)
    }

    /// VAE encode of `[batch, 3, h, w]` images (untiled).
    static func vaeEncode(_ m: AutoencoderKL, batch: Int, h: Int, w: Int) -> FlopCount {
        var f = FlopCount()
        var (hh, ww) = (h, w)
        f.add(m.encoder.convIn, batch: batch, outH: hh, outW: ww)
        for block in m.encoder.downBlocks {
            for r in block.resnets { f.add(r, batch: batch, h: hh, w: ww) }
            if let d = block.downsampler {
                (hh, ww) = (hh / 2, ww / 2)
                f.add(d.conv, batch: batch, outH: hh, outW: ww)
            }
        }
        f.add(m.encoder.midBlock, batch: batch, h: hh, w: ww)
        f.add(m.encoder.convOut, batch: batch, outH: hh, outW: ww)
        if let q = m.quantConv { f.add(q, batch: batch, outH: hh, outW: ww) }
        return f
    }

    /// VAE decode of `[batch, 4, h, w]` latents (untiled).
    static func vaeDecode(_ m: AutoencoderKL, batch: Int, h: Int, w: Int) -> FlopCount {
        var f = FlopCount()
        var (hh, ww) = (h, w)
        if let q = m.postQuantConv { f.add(q, batch: batch, outH: hh, outW: ww) }
        f.add(m.decoder.convIn, batch: batch, outH: hh, outW: ww)
        f.add(m.decoder.midBlock, batch: batch, h: hh, w: ww)
        for block in m.decoder.upBlocks {
            for r in block.resnets { f.add(r, batch: batch, h: hh, w: ww) }
            if let u = block.upsampler {
                (hh, ww) = (hh * 2, ww * 2)
                f.add(u.conv, batch: batch, outH: hh, outW: ww)
            }
        }
        f.add(m.decoder.convOut, batch: batch, outH: hh, outW: ww)
        return f
    }
}
