// A ResNet block's `conv1` and its 1x1 shortcut in one pass (BackendCapability.convolutionWithShortcut).
//
// For one image on the Winograd path, the convolution runs in chunks of tile rows, top to bottom. After each
// chunk, the input rows that no later chunk reads are projected by the shortcut in place, as
// `conv2dInPlace` does (output channel `c` of a pixel lands where input channel `c` of that pixel was), and
// the pages of the channels past the shortcut's output in those rows go back to the system. The convolution's
// output buffer starts with its pages returned, so it takes memory only as its rows are written. The whole
// input and the whole output are never both resident: for the VAE decoder's first 512x512 ResNet block
// (256 → 128 channels) the peak is the input plus the Winograd scratch, not the input plus 128 MiB of output.
// Other shapes run the two kernels one after the other. The convolution's values are those of the prologue kernel;
// the shortcut's are conv2dInPlace's, bit for bit with OpenBLAS's AVX-512 kernels (its Haswell kernel rounds a few
// sums differently when the bands split the pixels into other blocks: 7.6e-6 at values up to 24 in the tests).

extension CPUBackend {
    public func conv2d(_ d: Conv2DDescriptor, input: DeviceBuffer, prologue: ConvolutionPrologue, weight: DeviceBuffer,
                       bias: DeviceBuffer?, output: DeviceBuffer, shortcut s: Conv2DDescriptor, shortcutWeight: DeviceBuffer,
                       shortcutBias: DeviceBuffer?) throws {
        guard s.kernelH == 1, s.kernelW == 1, s.strideH == 1, s.strideW == 1,
              s.padTop + s.padBottom + s.padLeft + s.padRight == 0, s.outChannels <= s.inChannels,
              s.batch == d.batch, s.inChannels == d.inChannels, s.height == d.height, s.width == d.width else {
            throw TensorError.invalidArgument(operation: "conv2d",
                detail: "the shortcut must be a 1x1, stride-1, unpadded convolution of the same input to at most \(d.inChannels) channels, got \(s)")
        }
        guard d.batch == 1, usesWinograd(d), case let .groupNorm(g, gamma, beta, silu) = prologue else {
            try conv2d(d, input: input, prologue: prologue, weight: weight, bias: bias, output: output, accumulate: false)
            return try conv2dInPlace(s, buffer: input, weight: shortcutWeight, bias: shortcutBias)
        }
        // 16-bit weights are widened for the call, as on the unfused paths.
        let wide = try (weight as? CPUWeight16).map { try widened($0.packed) }
        let wideShortcut = try (shortcutWeight as? CPUWeight16).map { try widened($0.packed) }
        let (cin, cout, h, w) = (s.inChannels, s.outChannels, s.height, s.width)
        let x = ptr(input), hw = h * w
        let (scale, shift) = groupNormCoefficients(g, x, gamma: gamma, beta: beta)
        let stored = unsafeDowncast(input, to: CPUBuffer.self), out = unsafeDowncast(output, to: CPUBuffer.self)
        out.discardPages(0..<out.count, hugePages: false)
        defer { out.allowHugePages() }
        let scratch = try Scratch(count: cout * min(hw, Self.inPlaceBlockPixels), pool: pool)
        try withExtendedLifetime((wide, wideShortcut)) {
            let sw = wideShortcut?.pointer ?? ptr(shortcutWeight)
            let sb = shortcutBias.map { UnsafePointer(ptr($0)) }
            var done = 0
            // Projects the rows `done ..< rows` in place and returns the pages of channels cout... in them.
            func project(upTo rows: Int) {
                guard rows > done else { return }
                let end = rows * w
                withBLAS {
                    projectPixels((done * w)..<end, of: x, into: x, inChannels: cin, outChannels: cout, plane: hw, weight: sw,
                                  bias: sb, scratch: scratch.pointer)
                }
                for c in cout..<cin { stored.discardPages((c * hw + done * w)..<(c * hw + end)) }
                done = rows
            }
            try scale.withUnsafeBufferPointer { sc in
                try shift.withUnsafeBufferPointer { sh in
                    try winogradConv(d, x, wide?.pointer ?? ptr(weight), bias.map { UnsafePointer(ptr($0)) }, ptr(output),
                                     input: WinogradInput(scale: sc.baseAddress, shift: sh.baseAddress, silu: silu),
                                     consumed: project(upTo:))
                }
            }
            project(upTo: h)
        }
        stored.releasePages(after: cout * hw)
    }
}
