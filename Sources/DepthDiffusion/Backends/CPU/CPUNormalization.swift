import CDepthKernels

// Normalisation kernels of the CPU backend.

extension CPUBackend {
    public func groupNorm(_ d: GroupNormDescriptor, input: DeviceBuffer, gamma: DeviceBuffer?, beta: DeviceBuffer?,
                          output: DeviceBuffer) throws {
        let x = ptr(input), y = ptr(output)
        let g = gamma.map { ptr($0) }, b = beta.map { ptr($0) }
        let perGroup = d.channels / d.groups
        let size = perGroup * d.spatial
        Parallel.forEach(d.batch * d.groups) { range in
            for ng in range {
                let base = ng * size
                let (mean, variance) = meanAndVariance(x + base, size)
                let rstd = Float(1 / (variance + Double(d.eps)).squareRoot())
                for cc in 0..<perGroup {
                    let c = (ng % d.groups) * perGroup + cc
                    let scale = rstd * (g?[c] ?? 1)
                    let shift = (b?[c] ?? 0) - Float(mean) * scale
                    affineRow(x + base + cc * d.spatial, y + base + cc * d.spatial, d.spatial, scale, shift, silu: d.silu)
                }
            }
        }
    }

    public func layerNorm(rows: Int, cols: Int, eps: Float, input: DeviceBuffer, gamma: DeviceBuffer?,
                          beta: DeviceBuffer?, output: DeviceBuffer) throws {
        let x = ptr(input), y = ptr(output)
        let g = gamma.map { ptr($0) }, b = beta.map { ptr($0) }
        Parallel.forEach(rows, grain: max(1, 4096 / cols)) { range in
            for r in range {
                let (mean, variance) = meanAndVariance(x + r * cols, cols)
                let rstd = Float(1 / (variance + Double(eps)).squareRoot())
                let m = Float(mean)
                let src = x + r * cols, dst = y + r * cols
                for c in 0..<cols { dst[c] = (src[c] - m) * rstd * (g?[c] ?? 1) + (b?[c] ?? 0) }
            }
        }
    }

    public func softmax(rows: Int, cols: Int, input: DeviceBuffer, output: DeviceBuffer) throws {
        let x = ptr(input), y = ptr(output)
        Parallel.forEach(rows, grain: max(1, 4096 / cols)) { range in
            for r in range {
                (y + r * cols).update(from: x + r * cols, count: cols)
                softmaxRow(y + r * cols, cols)
            }
        }
    }

    public func standardize(rows: Int, cols: Int, eps: Float, input: DeviceBuffer, output: DeviceBuffer) throws {
        let x = ptr(input), y = ptr(output)
        Parallel.forEach(rows, grain: max(1, 4096 / cols)) { range in
            for r in range {
                let (mean, variance) = meanAndVariance(x + r * cols, cols)
                let rstd = Float(1 / (variance + Double(eps)).squareRoot())
                affineRow(x + r * cols, y + r * cols, cols, rstd, -Float(mean) * rstd, silu: false)
            }
        }
    }
}

/// `y = x * scale + shift` (then SiLU if asked) over `n` elements.
@inline(__always) func affineRow(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int,
                                 _ scale: Float, _ shift: Float, silu: Bool) {
    dd_affine(x, y, n, scale, shift, silu ? 1 : 0)
}
