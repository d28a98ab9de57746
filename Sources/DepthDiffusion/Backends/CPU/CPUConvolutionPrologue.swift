// Convolutions that upsample or group-normalise their input as they read it (BackendCapability.convolutionPrologue).
//
// On the Winograd path the transformation is applied while the input tiles are packed: nearest upsampling
// reads each stored pixel twice per side, and group normalisation runs `dd_affine` (the kernel of
// `groupNorm`) on each stored row it packs, after one pass for the statistics. The upsampled or normalised
// input, the largest tensor of a VAE decoder's last blocks, is never stored. Other shapes compute it into
// scratch memory and convolve as usual. Either way the values are those of the unfused kernels, bit for bit.
// With `accumulate`, Winograd's output transform adds each result to the output it overwrites; the other
// shapes convolve into scratch memory and add it with the `binary` kernel.

extension CPUBackend {
    public func conv2d(_ d: Conv2DDescriptor, input: DeviceBuffer, prologue: ConvolutionPrologue, weight: DeviceBuffer,
                       bias: DeviceBuffer?, output: DeviceBuffer, accumulate: Bool) throws {
        let b = bias.map { UnsafePointer(ptr($0)) }
        if usesWinograd(d) {
            // A 16-bit weight is widened for the call, as conv2d16 does on this path.
            let wide = try (weight as? CPUWeight16).map { try widened($0.packed) }
            try withExtendedLifetime(wide) {
                let w = wide?.pointer ?? ptr(weight), x = ptr(input), y = ptr(output)
                switch prologue {
                case .upsampleNearest2x:
                    try winogradConv(d, x, w, b, y, input: WinogradInput(upsample: 1), accumulate: accumulate)
                case let .groupNorm(g, gamma, beta, silu):
                    let (scale, shift) = groupNormCoefficients(g, x, gamma: gamma, beta: beta)
                    try scale.withUnsafeBufferPointer { s in
                        try shift.withUnsafeBufferPointer { t in
                            try winogradConv(d, x, w, b, y,
                                             input: WinogradInput(scale: s.baseAddress, shift: t.baseAddress, silu: silu),
                                             accumulate: accumulate)
                        }
                    }
                }
            }
            return
        }
        let stored = try Scratch(count: d.batch * d.inChannels * d.height * d.width, pool: pool)
        switch prologue {
        case .upsampleNearest2x:
            try resize(ResizeDescriptor(planes: d.batch * d.inChannels, inH: d.height / 2, inW: d.width / 2,
                                        outH: d.height, outW: d.width, mode: .nearest), input: input, output: stored.buffer)
        case let .groupNorm(g, gamma, beta, silu):
            normalizeGroups(g, input: input, gamma: gamma, beta: beta, output: stored.buffer, silu: silu)
        }
        let count = d.batch * d.outChannels * d.outHeight * d.outWidth
        let result = accumulate ? try Scratch(count: count, pool: pool) : nil
        let target = result?.buffer ?? output
        if weight is CPUWeight16 {
            try conv2d16(d, input: stored.buffer, weight: weight, bias: bias, output: target)
        } else {
            try conv2d(d, input: stored.buffer, weight: weight, bias: bias, output: target)
        }
        if let result {
            try binary(.add, BinaryDescriptor(shape: [count], aStrides: [1], bStrides: [1]), a: output, b: result.buffer,
                       output: output)
        }
    }
}
