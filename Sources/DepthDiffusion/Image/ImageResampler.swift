/// Pillow-compatible separable resizing of 8-bit and float images.
///
/// The horizontal pass runs first, then the vertical pass (as Pillow and PyTorch do); an axis whose size
/// does not change is skipped. 8-bit images are resampled with fixed-point weights, rounded and clipped
/// to 0...255 after each pass (the intermediate image is 8-bit too); float images accumulate in Double
/// and store float32, like Pillow's `F` mode.
public enum ImageResampler {
    /// How 8-bit pixels are accumulated.
    public enum FixedPointArithmetic: Sendable, Equatable {
        /// Pillow (`Image.resize` on `RGB`/`L` images): 22 fractional bits.
        case pil
        /// PyTorch's native uint8 antialiased kernel (used by torchvision's `resize` for bilinear on
        /// AVX2/AVX-512/ARM64 CPUs): int16 weights with as many fractional bits as fit the largest weight.
        case torchUInt8
    }

    /// Resizes interleaved 8-bit samples (`channels` per pixel).
    public static func resize(_ data: [UInt8], width: Int, height: Int, channels: Int, toWidth: Int, toHeight: Int,
                              filter: ResampleFilter, arithmetic: FixedPointArithmetic = .pil) throws -> [UInt8] {
        try check(count: data.count, width: width, height: height, channels: channels, toWidth: toWidth, toHeight: toHeight)
        var current = data, w = width, h = height
        if toWidth != width {
            current = pass8(current, lines: h, inLength: w, outLength: toWidth, channels: channels, horizontal: true,
                            coefficients: ResampleCoefficients(inputSize: w, outputSize: toWidth, filter: filter),
                            arithmetic: arithmetic)
            w = toWidth
        }
        if toHeight != height {
            current = pass8(current, lines: w, inLength: h, outLength: toHeight, channels: channels, horizontal: false,
                            coefficients: ResampleCoefficients(inputSize: h, outputSize: toHeight, filter: filter),
                            arithmetic: arithmetic)
            h = toHeight
        }
        return current
    }

    /// Resizes interleaved float samples (`channels` per pixel), accumulating in Double.
    public static func resize(_ data: [Float], width: Int, height: Int, channels: Int, toWidth: Int, toHeight: Int,
                              filter: ResampleFilter) throws -> [Float] {
        try check(count: data.count, width: width, height: height, channels: channels, toWidth: toWidth, toHeight: toHeight)
        var current = data, w = width, h = height
        if toWidth != width {
            current = passFloat(current, lines: h, inLength: w, outLength: toWidth, channels: channels, horizontal: true,
                                coefficients: ResampleCoefficients(inputSize: w, outputSize: toWidth, filter: filter))
            w = toWidth
        }
        if toHeight != height {
            current = passFloat(current, lines: w, inLength: h, outLength: toHeight, channels: channels, horizontal: false,
                                coefficients: ResampleCoefficients(inputSize: h, outputSize: toHeight, filter: filter))
            h = toHeight
        }
        return current
    }

    private static func check(count: Int, width: Int, height: Int, channels: Int, toWidth: Int, toHeight: Int) throws {
        guard width > 0, height > 0, channels > 0, toWidth > 0, toHeight > 0 else {
            throw ImageError.invalidSize("cannot resize \(width)x\(height) (\(channels) channels) to \(toWidth)x\(toHeight)")
        }
        guard count == width * height * channels else {
            throw ImageError.invalidSize("\(width)x\(height) with \(channels) channels needs \(width * height * channels) samples, got \(count)")
        }
    }

    /// One 8-bit pass along rows (`horizontal`) or columns. `lines` is the number of rows (or columns).
    private static func pass8(_ input: [UInt8], lines: Int, inLength: Int, outLength: Int, channels: Int, horizontal: Bool,
                              coefficients: ResampleCoefficients, arithmetic: FixedPointArithmetic) -> [UInt8] {
        let precision = arithmetic == .pil ? 22 : coefficients.int16Precision
        let weights = coefficients.fixedPoint(precision: precision)
        let half = precision > 0 ? 1 << (precision - 1) : 0
        return pass(input, lines: lines, inLength: inLength, outLength: outLength, channels: channels,
                    horizontal: horizontal, start: coefficients.start) { src, i, index in
            var acc = half
            for (j, w) in weights[i].enumerated() { acc += Int(src[index(j)]) * w }
            return UInt8(min(max(acc >> precision, 0), 255))
        }
    }

    private static func passFloat(_ input: [Float], lines: Int, inLength: Int, outLength: Int, channels: Int, horizontal: Bool,
                                  coefficients: ResampleCoefficients) -> [Float] {
        pass(input, lines: lines, inLength: inLength, outLength: outLength, channels: channels,
             horizontal: horizontal, start: coefficients.start) { src, i, index in
            var acc = 0.0
            for (j, w) in coefficients.weights[i].enumerated() { acc += Double(src[index(j)]) * w }
            return Float(acc)
        }
    }

    /// One separable pass: every output sample is `tap(source, i, index)`, where `i` is its position along the
    /// pass and `index(j)` the input index of its `j`-th tap (from `start[i]`). Layout: horizontal →
    /// [line][pos][c]; vertical → [pos][line][c].
    private static func pass<Sample: Numeric>(_ input: [Sample], lines: Int, inLength: Int, outLength: Int, channels: Int,
                                              horizontal: Bool, start: [Int],
                                              tap: (UnsafeBufferPointer<Sample>, Int, (Int) -> Int) -> Sample) -> [Sample] {
        let width = horizontal ? outLength : lines
        var out = [Sample](repeating: 0, count: lines * outLength * channels)
        input.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for line in 0..<lines {
                    for i in 0..<outLength {
                        for c in 0..<channels {
                            let value = tap(src, i) { j in
                                let p = start[i] + j
                                return horizontal ? (line * inLength + p) * channels + c : (p * lines + line) * channels + c
                            }
                            dst[horizontal ? (line * width + i) * channels + c : (i * width + line) * channels + c] = value
                        }
                    }
                }
            }
        }
        return out
    }
}

extension RGBImage {
    /// This image resized like Pillow's `Image.resize((width, height), filter)` (antialiased when
    /// shrinking); `arithmetic` selects Pillow's or PyTorch's uint8 fixed-point rounding.
    public func resized(width newWidth: Int, height newHeight: Int, filter: ResampleFilter,
                        arithmetic: ImageResampler.FixedPointArithmetic = .pil) throws -> RGBImage {
        if newWidth == width && newHeight == height { return self }
        let data = try ImageResampler.resize(pixels, width: width, height: height, channels: 3, toWidth: newWidth,
                                             toHeight: newHeight, filter: filter, arithmetic: arithmetic)
        return try RGBImage(width: newWidth, height: newHeight, pixels: data)
    }
}
