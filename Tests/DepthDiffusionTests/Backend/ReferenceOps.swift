import Foundation
@testable import DepthDiffusion

// Plain double-precision implementations of every backend operation, written from the PyTorch /
// diffusers definitions. They are slow and obviously correct; the conformance suite compares each
// backend against them.
enum Ref {
    static func gemm(_ d: GEMMDescriptor, a: [Float], b: [Float], bias: [Float]?, c: [Float]) -> [Double] {
        var out = c.map(Double.init)
        for i in 0..<d.batch {
            for r in 0..<d.m { for col in 0..<d.n {
                var s = 0.0
                for t in 0..<d.k {
                    let av = d.transposeA ? a[d.offsetA + i * d.strideA + t * d.lda + r] : a[d.offsetA + i * d.strideA + r * d.lda + t]
                    let bv = d.transposeB ? b[d.offsetB + i * d.strideB + col * d.ldb + t] : b[d.offsetB + i * d.strideB + t * d.ldb + col]
                    s += Double(av) * Double(bv)
                }
                let ci = d.offsetC + i * d.strideC + r * d.ldc + col
                var v = Double(d.alpha) * s + Double(d.beta) * Double(c[ci])
                if let bias { v += Double(d.bias == .perColumn ? bias[col] : d.bias == .perRow ? bias[r] : 0) }
                out[ci] = v
            } }
        }
        return out
    }

    static func conv2d(_ d: Conv2DDescriptor, x: [Float], w: [Float], b: [Float]?) -> [Double] {
        let (ho, wo) = (d.outHeight, d.outWidth)
        var out = [Double](repeating: 0, count: d.batch * d.outChannels * ho * wo)
        for n in 0..<d.batch { for co in 0..<d.outChannels { for oy in 0..<ho { for ox in 0..<wo {
            var s = Double(b?[co] ?? 0)
            for ci in 0..<d.inChannels { for ky in 0..<d.kernelH { for kx in 0..<d.kernelW {
                let iy = oy * d.strideH + ky - d.padTop, ix = ox * d.strideW + kx - d.padLeft
                guard iy >= 0, iy < d.height, ix >= 0, ix < d.width else { continue }
                s += Double(x[((n * d.inChannels + ci) * d.height + iy) * d.width + ix]) *
                    Double(w[((co * d.inChannels + ci) * d.kernelH + ky) * d.kernelW + kx])
            } } }
            out[((n * d.outChannels + co) * ho + oy) * wo + ox] = s
        } } } }
        return out
    }

    static func attention(_ d: AttentionDescriptor, q: [Float], k: [Float], v: [Float]) -> [Double] {
        attention(d, q: q, k: k, v: v, rows: Array(0..<d.queryLength))
    }

    /// Attention for the query rows `rows` only: `[batch, rows.count, heads · headDim]`. For long sequences,
    /// where the full double-precision reference would take minutes.
    static func attention(_ d: AttentionDescriptor, q: [Float], k: [Float], v: [Float], rows: [Int]) -> [Double] {
        let hd = d.heads * d.headDim
        var out = [Double](repeating: 0, count: d.batch * rows.count * hd)
        for b in 0..<d.batch { for h in 0..<d.heads { for (r, i) in rows.enumerated() {
            let visible = d.causal ? min(i + 1, d.keyLength) : d.keyLength
            var scores = [Double](repeating: 0, count: visible)
            for j in 0..<visible {
                var s = 0.0
                for t in 0..<d.headDim {
                    s += Double(q[d.qOffset + (b * d.queryLength + i) * d.qRowStride + h * d.headDim + t]) *
                        Double(k[d.kOffset + (b * d.keyLength + j) * d.kRowStride + h * d.headDim + t])
                }
                scores[j] = s * Double(d.scale)
            }
            let p = softmax(scores)
            for t in 0..<d.headDim {
                var s = 0.0
                for j in 0..<visible { s += p[j] * Double(v[d.vOffset + (b * d.keyLength + j) * d.vRowStride + h * d.headDim + t]) }
                out[(b * rows.count + r) * hd + h * d.headDim + t] = s
            }
        } } }
        return out
    }

    static func softmax(_ x: [Double]) -> [Double] {
        guard let m = x.max() else { return [] }
        let e = x.map { Foundation.exp($0 - m) }
        let s = e.reduce(0, +)
        return e.map { $0 / s }
    }

    static func normalize(_ x: [Double], eps: Double) -> [Double] {
        let mean = x.reduce(0, +) / Double(x.count)
        let variance = x.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(x.count)
        return x.map { ($0 - mean) / (variance + eps).squareRoot() }
    }

    static func groupNorm(_ d: GroupNormDescriptor, x: [Float], gamma: [Float]?, beta: [Float]?, silu: Bool) -> [Double] {
        var out = [Double](repeating: 0, count: x.count)
        let per = d.channels / d.groups * d.spatial
        for ng in 0..<(d.batch * d.groups) {
            let normed = normalize(x[(ng * per)..<((ng + 1) * per)].map(Double.init), eps: Double(d.eps))
            for i in 0..<per {
                let c = (ng % d.groups) * (d.channels / d.groups) + i / d.spatial
                var v = normed[i] * Double(gamma?[c] ?? 1) + Double(beta?[c] ?? 0)
                if silu { v = v / (1 + Foundation.exp(-v)) }
                out[ng * per + i] = v
            }
        }
        return out
    }

    static func rows(_ x: [Float], _ cols: Int, _ f: ([Double]) -> [Double]) -> [Double] {
        stride(from: 0, to: x.count, by: cols).flatMap { f(x[$0..<($0 + cols)].map(Double.init)) }
    }

    static func unary(_ op: UnaryOp, _ x: Double) -> Double {
        switch op {
        case .gelu: return 0.5 * x * (1 + Foundation.erf(x / 2.0.squareRoot()))
        case .geluTanh: return 0.5 * x * (1 + Foundation.tanh((2 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x)))
        case .quickGelu: return x / (1 + Foundation.exp(-1.702 * x))
        case .silu: return x / (1 + Foundation.exp(-x))
        case .relu: return max(x, 0)
        }
    }

    static func binary(_ op: BinaryOp, _ a: Double, _ b: Double) -> Double {
        switch op { case .add: return a + b; case .sub: return a - b; case .mul: return a * b; case .div: return a / b }
    }

    /// NumPy broadcasting by explicit index arithmetic.
    static func broadcast(_ op: BinaryOp, a: [Float], aShape: [Int], b: [Float], bShape: [Int]) -> (shape: [Int], values: [Double]) {
        let rank = max(aShape.count, bShape.count)
        let ap = [Int](repeating: 1, count: rank - aShape.count) + aShape
        let bp = [Int](repeating: 1, count: rank - bShape.count) + bShape
        let shape = zip(ap, bp).map { max($0, $1) }
        let count = shape.reduce(1, *)
        var values = [Double](repeating: 0, count: count)
        for i in 0..<count {
            var rem = i, ia = 0, ib = 0, sa = 1, sb = 1
            for dim in stride(from: rank - 1, through: 0, by: -1) {
                let idx = rem % shape[dim]; rem /= shape[dim]
                ia += (ap[dim] == 1 ? 0 : idx) * sa; sa *= ap[dim]
                ib += (bp[dim] == 1 ? 0 : idx) * sb; sb *= bp[dim]
            }
            values[i] = binary(op, Double(a[ia]), Double(b[ib]))
        }
        return (shape, values)
    }

    static func permute(_ x: [Float], shape: [Int], axes: [Int]) -> [Double] {
        let outShape = axes.map { shape[$0] }
        let inStrides = contiguousStrides(shape)
        return (0..<x.count).map { i in
            var rem = i, src = 0
            for dim in stride(from: axes.count - 1, through: 0, by: -1) {
                let idx = rem % outShape[dim]; rem /= outShape[dim]
                src += idx * inStrides[axes[dim]]
            }
            return Double(x[src])
        }
    }

    static func sourceIndex(_ dst: Int, _ inSize: Int, _ outSize: Int, alignCorners: Bool, cubic: Bool) -> Double {
        if alignCorners { return outSize > 1 ? Double(dst) * Double(inSize - 1) / Double(outSize - 1) : 0 }
        let src = (Double(dst) + 0.5) * Double(inSize) / Double(outSize) - 0.5
        return (!cubic && src < 0) ? 0 : src
    }

    static func resize(_ x: [Float], planes: Int, inH: Int, inW: Int, outH: Int, outW: Int, mode: ResizeMode) -> [Double] {
        var out = [Double](repeating: 0, count: planes * outH * outW)
        func at(_ p: Int, _ y: Int, _ xx: Int) -> Double {
            Double(x[(p * inH + min(max(y, 0), inH - 1)) * inW + min(max(xx, 0), inW - 1)])
        }
        func cubic(_ t: Double) -> [Double] {
            let a = -0.75
            func near(_ s: Double) -> Double { ((a + 2) * s - (a + 3)) * s * s + 1 }
            func far(_ s: Double) -> Double { ((a * s - 5 * a) * s + 8 * a) * s - 4 * a }
            return [far(t + 1), near(t), near(1 - t), far(2 - t)]
        }
        for p in 0..<planes { for oy in 0..<outH { for ox in 0..<outW {
            var v = 0.0
            switch mode {
            case .nearest:
                v = at(p, min(Int(floor(Double(oy) * Double(inH) / Double(outH))), inH - 1),
                       min(Int(floor(Double(ox) * Double(inW) / Double(outW))), inW - 1))
            case .bilinear(let ac):
                let sy = sourceIndex(oy, inH, outH, alignCorners: ac, cubic: false)
                let sx = sourceIndex(ox, inW, outW, alignCorners: ac, cubic: false)
                let y0 = Int(floor(sy)), x0 = Int(floor(sx))
                let ly = sy - Double(y0), lx = sx - Double(x0)
                let y1 = min(y0 + 1, inH - 1), x1 = min(x0 + 1, inW - 1)
                v = (1 - ly) * ((1 - lx) * at(p, y0, x0) + lx * at(p, y0, x1)) + ly * ((1 - lx) * at(p, y1, x0) + lx * at(p, y1, x1))
            case .bicubic(let ac):
                let sy = sourceIndex(oy, inH, outH, alignCorners: ac, cubic: true)
                let sx = sourceIndex(ox, inW, outW, alignCorners: ac, cubic: true)
                let y0 = Int(floor(sy)), x0 = Int(floor(sx))
                let wy = cubic(sy - Double(y0)), wx = cubic(sx - Double(x0))
                for i in 0..<4 { for j in 0..<4 { v += wy[i] * wx[j] * at(p, y0 - 1 + i, x0 - 1 + j) } }
            }
            out[(p * outH + oy) * outW + ox] = v
        } } }
        return out
    }

    static func maxPool(_ d: Pool2DDescriptor, x: [Float]) -> [Double] {
        var out: [Double] = []
        for p in 0..<d.planes { for oy in 0..<d.outHeight { for ox in 0..<d.outWidth {
            var m = -Double.infinity
            for ky in 0..<d.kernelH { for kx in 0..<d.kernelW {
                let iy = oy * d.strideH + ky - d.padTop, ix = ox * d.strideW + kx - d.padLeft
                if iy >= 0, iy < d.height, ix >= 0, ix < d.width { m = max(m, Double(x[(p * d.height + iy) * d.width + ix])) }
                else if let pad = d.padValue { m = max(m, Double(pad)) }
            } }
            out.append(m)
        } } }
        return out
    }

    static func timestepEmbedding(_ d: TimestepEmbeddingDescriptor, _ t: [Float]) -> [Double] {
        let half = d.dim / 2
        var out: [Double] = []
        for tv in t {
            let e = (0..<half).map { j in
                Double(d.scale) * Double(tv) * Foundation.exp(-Foundation.log(Double(d.maxPeriod)) * Double(j) / (Double(half) - Double(d.downscaleFreqShift)))
            }
            let s = e.map { Foundation.sin($0) }, c = e.map { Foundation.cos($0) }
            out += d.flipSinToCos ? c + s : s + c
            if d.dim % 2 == 1 { out.append(0) }
        }
        return out
    }
}
