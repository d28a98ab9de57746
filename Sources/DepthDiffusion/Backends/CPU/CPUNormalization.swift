import CDepthKernels

// Normalisation kernels of the CPU backend.

extension CPUBackend {
    public func groupNorm(_ d: GroupNormDescriptor, input: DeviceBuffer, gamma: DeviceBuffer?, beta: DeviceBuffer?,
                          output: DeviceBuffer) throws {
        normalizeGroups(d, input: input, gamma: gamma, beta: beta, output: output, silu: false)
    }

    public func groupNormSiLU(_ d: GroupNormDescriptor, input: DeviceBuffer, gamma: DeviceBuffer?, beta: DeviceBuffer?,
                              output: DeviceBuffer) throws {
        normalizeGroups(d, input: input, gamma: gamma, beta: beta, output: output, silu: true)
    }

    /// Group normalisation, with SiLU applied in the same pass when `silu` is set.
    private func normalizeGroups(_ d: GroupNormDescriptor, input: DeviceBuffer, gamma: DeviceBuffer?,
                                 beta: DeviceBuffer?, output: DeviceBuffer, silu: Bool) {
        let x = ptr(input), y = ptr(output)
        let g = gamma.map { ptr($0) }, b = beta.map { ptr($0) }
        let perGroup = d.channels / d.groups
        let size = perGroup * d.spatial
        parallel.forEach(d.batch * d.groups) { range in
            for ng in range {
                let base = ng * size
                let (mean, variance) = meanAndVariance(x + base, size)
                let rstd = Float(1 / (variance + Double(d.eps)).squareRoot())
                for cc in 0..<perGroup {
                    let c = (ng % d.groups) * perGroup + cc
                    let scale = rstd * (g?[c] ?? 1)
                    let shift = (b?[c] ?? 0) - Float(mean) * scale
                    dd_affine(x + base + cc * d.spatial, y + base + cc * d.spatial, d.spatial, scale, shift, silu ? 1 : 0)
                }
            }
        }
    }

    public func layerNorm(rows: Int, cols: Int, eps: Float, input: DeviceBuffer, gamma: DeviceBuffer?,
                          beta: DeviceBuffer?, output: DeviceBuffer) throws {
        let x = ptr(input), y = ptr(output)
        let g = gamma.map { ptr($0) }, b = beta.map { ptr($0) }
        parallel.forEach(rows, grain: max(1, 4096 / cols)) { range in
            for r in range {
                let (mean, variance) = meanAndVariance(x + r * cols, cols)
                let rstd = Float(1 / (variance + Double(eps)).squareRoot())
                let m = Float(mean)
                let src = x + r * cols, dst = y + r * cols
                if g == nil && b == nil {
                    // Standardisation only (BiT's weights): one vectorised pass.
                    dd_affine(src, dst, cols, rstd, -m * rstd, 0)
                } else {
                    for c in 0..<cols { dst[c] = (src[c] - m) * rstd * (g?[c] ?? 1) + (b?[c] ?? 0) }
                }
            }
        }
    }
}
