import CDepthKernels
import Foundation

// Elementwise, copy, gather and reduction kernels of the CPU backend.

extension CPUBackend {
    public func unary(_ op: UnaryOp, count: Int, input: DeviceBuffer, output: DeviceBuffer) throws {
        let x = ptr(input), y = ptr(output)
        parallel.chunked(count) { start, n in dd_unary(op.kernelCode, x + start, y + start, n) }
    }

    public func geglu(rows: Int, cols: Int, input: DeviceBuffer, output: DeviceBuffer) throws {
        let x = ptr(input), y = ptr(output)
        parallel.forEach(rows, grain: max(1, 4096 / cols)) { range in
            for r in range { dd_geglu(x + r * 2 * cols, x + r * 2 * cols + cols, y + r * cols, cols) }
        }
    }

    public func affine(count: Int, scale: Float, shift: Float, input: DeviceBuffer, output: DeviceBuffer) throws {
        parallel.simdMap(count: count, ptr(input), ptr(output)) { $0 * scale + shift }
    }

    public func binary(_ op: BinaryOp, _ d: BinaryDescriptor, a: DeviceBuffer, b: DeviceBuffer, output: DeviceBuffer) throws {
        let pa = ptr(a), pb = ptr(b), po = ptr(output)
        let sa = d.aStrides.last ?? 0, sb = d.bStrides.last ?? 0
        forEachRow(d.shape, d.aStrides, d.bStrides) { row, offA, offB, inner in
            binaryRow(op, pa + offA, sa, pb + offB, sb, po + row * inner, inner)
        }
    }

    public func copy(_ d: CopyDescriptor, from src: DeviceBuffer, to dst: DeviceBuffer) throws {
        let ps = ptr(src) + d.srcOffset, pd = ptr(dst) + d.dstOffset
        let si = d.srcStrides.last ?? 1, di = d.dstStrides.last ?? 1
        forEachRow(d.shape, d.srcStrides, d.dstStrides) { _, offS, offD, inner in
            let s = ps + offS, t = pd + offD
            if si == 1 && di == 1 { t.update(from: s, count: inner) }
            else { for j in 0..<inner { t[j * di] = s[j * si] } }
        }
    }

    /// Calls `body(row, offsetA, offsetB, inner)` for every row (all indices but the last) of a strided
    /// `shape`, in parallel: the row's element offsets in two operands with strides `a` and `b`, and the length
    /// of the last dimension.
    private func forEachRow(_ shape: [Int], _ a: [Int], _ b: [Int], _ body: (Int, Int, Int, Int) -> Void) {
        let inner = shape.last ?? 1
        let outer = shape.reduce(1, *) / max(inner, 1)
        let outerShape = Array(shape.dropLast()), outerA = Array(a.dropLast()), outerB = Array(b.dropLast())
        parallel.forEach(outer, grain: max(1, 16384 / max(inner, 1))) { range in
            for o in range {
                var rem = o, offA = 0, offB = 0
                for i in stride(from: outerShape.count - 1, through: 0, by: -1) {
                    let idx = rem % outerShape[i]; rem /= outerShape[i]
                    offA += idx * outerA[i]; offB += idx * outerB[i]
                }
                body(o, offA, offB, inner)
            }
        }
    }

    public func gather(table: DeviceBuffer, dim: Int, ids: [Int32], output: DeviceBuffer) throws {
        let t = ptr(table), y = ptr(output)
        for (i, id) in ids.enumerated() { (y + i * dim).update(from: t + Int(id) * dim, count: dim) }
    }

    public func timestepEmbedding(_ d: TimestepEmbeddingDescriptor, timesteps: [Float], output: DeviceBuffer) throws {
        let y = ptr(output)
        let half = d.dim / 2
        // float32 throughout, in the order of diffusers' get_timestep_embedding.
        let freqs = (0..<half).map { j in Foundation.exp(-Foundation.log(d.maxPeriod) * Float(j) / (Float(half) - d.downscaleFreqShift)) }
        for (i, t) in timesteps.enumerated() {
            let row = y + i * d.dim
            for j in 0..<half {
                let e = d.scale * (t * freqs[j])
                let (s, c) = (Foundation.sin(e), Foundation.cos(e))
                row[j] = d.flipSinToCos ? c : s
                row[half + j] = d.flipSinToCos ? s : c
            }
            if d.dim % 2 == 1 { row[d.dim - 1] = 0 }
        }
    }

    public func minMax(rows: Int, cols: Int, input: DeviceBuffer, min lo: DeviceBuffer, max hi: DeviceBuffer) throws {
        let x = ptr(input), pl = ptr(lo), ph = ptr(hi)
        parallel.forEach(rows) { range in
            for r in range {
                let row = x + r * cols
                var vmin = F16x(repeating: .infinity), vmax = F16x(repeating: -.infinity)
                var i = 0
                while i + 16 <= cols {
                    let v = UnsafeRawPointer(row + i).loadUnaligned(as: F16x.self)
                    vmin = pointwiseMin(vmin, v); vmax = pointwiseMax(vmax, v); i += 16
                }
                var mn = vmin.min(), mx = vmax.max()
                while i < cols { mn = Swift.min(mn, row[i]); mx = Swift.max(mx, row[i]); i += 1 }
                pl[r] = mn; ph[r] = mx
            }
        }
    }
}

/// One row of a broadcasting binary op; `sa`/`sb` are the element strides (0 or 1 on the fast path).
@inline(__always) func binaryRow(_ op: BinaryOp, _ a: UnsafePointer<Float>, _ sa: Int, _ b: UnsafePointer<Float>,
                                 _ sb: Int, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
    @inline(__always) func apply(_ x: F16x, _ z: F16x) -> F16x {
        switch op { case .add: return x + z; case .sub: return x - z; case .mul: return x * z; case .div: return x / z }
    }
    @inline(__always) func scalar(_ x: Float, _ z: Float) -> Float {
        switch op { case .add: return x + z; case .sub: return x - z; case .mul: return x * z; case .div: return x / z }
    }
    var i = 0
    if (sa == 0 || sa == 1) && (sb == 0 || sb == 1) {
        let ca = F16x(repeating: a[0]), cb = F16x(repeating: b[0])
        while i + 16 <= n {
            let x = sa == 1 ? UnsafeRawPointer(a + i).loadUnaligned(as: F16x.self) : ca
            let z = sb == 1 ? UnsafeRawPointer(b + i).loadUnaligned(as: F16x.self) : cb
            UnsafeMutableRawPointer(y + i).storeBytes(of: apply(x, z), as: F16x.self)
            i += 16
        }
    }
    while i < n { y[i] = scalar(a[i * sa], b[i * sb]); i += 1 }
}

extension UnaryOp {
    /// The operation's code in `dd_unary`.
    var kernelCode: Int32 {
        switch self { case .gelu: 0; case .geluTanh: 1; case .quickGelu: 2; case .silu: 3; case .relu: 4 }
    }
}
