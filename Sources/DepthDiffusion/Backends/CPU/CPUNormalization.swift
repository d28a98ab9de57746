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

    /// Group normalisation, with SiLU applied in the same pass when `silu` is set: per (image, group) the
    /// statistics, then each channel's `x · scale + shift` while the group is still in cache.
    func normalizeGroups(_ d: GroupNormDescriptor, input: DeviceBuffer, gamma: DeviceBuffer?,
                         beta: DeviceBuffer?, output: DeviceBuffer, silu: Bool) {
        let x = ptr(input), y = ptr(output)
        let size = d.channels / d.groups * d.spatial
        forEachGroup(d, x, gamma: gamma, beta: beta) { ng, c, scale, shift in
            let offset = ng * size + (c % (d.channels / d.groups)) * d.spatial
            dd_affine(x + offset, y + offset, d.spatial, scale, shift, silu ? 1 : 0)
        }
    }

    /// The group normalisation of `x` as `y = x · scale + shift` per (image, channel): `[batch · channels]` each.
    func groupNormCoefficients(_ d: GroupNormDescriptor, _ x: UnsafePointer<Float>, gamma: DeviceBuffer?,
                               beta: DeviceBuffer?) -> (scale: [Float], shift: [Float]) {
        var scale = [Float](repeating: 0, count: d.batch * d.channels), shift = scale
        scale.withUnsafeMutableBufferPointer { ps in
            shift.withUnsafeMutableBufferPointer { pb in
                guard let ps = ps.baseAddress, let pb = pb.baseAddress else { return }
                forEachGroup(d, x, gamma: gamma, beta: beta) { ng, c, scale, shift in
                    let nc = ng / d.groups * d.channels + c
                    ps[nc] = scale
                    pb[nc] = shift
                }
            }
        }
        return (scale, shift)
    }

    /// Computes the statistics of each (image, group) in parallel and calls `body(ng, c, scale, shift)` for each
    /// channel `c` of that group, where `scale = rstd · gamma[c]` and `shift = beta[c] − mean · scale`.
    private func forEachGroup(_ d: GroupNormDescriptor, _ x: UnsafePointer<Float>, gamma: DeviceBuffer?, beta: DeviceBuffer?,
                              _ body: (_ ng: Int, _ c: Int, _ scale: Float, _ shift: Float) -> Void) {
        let g = gamma.map { ptr($0) }, b = beta.map { ptr($0) }
        let perGroup = d.channels / d.groups, size = perGroup * d.spatial
        parallel.forEach(d.batch * d.groups) { range in
            for ng in range {
                let (mean, variance) = meanAndVariance(x + ng * size, size)
                let rstd = Float(1 / (variance + Double(d.eps)).squareRoot())
                for cc in 0..<perGroup {
                    let c = (ng % d.groups) * perGroup + cc
                    let scale = rstd * (g?[c] ?? 1)
                    body(ng, c, scale, (b?[c] ?? 0) - Float(mean) * scale)
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
