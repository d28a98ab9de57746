import Foundation

/// transformers 5.x `DPTImageProcessor` (`feature_extractor/preprocessor_config.json`): resize, rescale,
/// normalise, channels first.
///
/// transformers 5.24's `DPTImageProcessor` is the torchvision backend (`DPTImageProcessorPil` is the
/// PIL one); stable-diffusion-2-depth's `model_index.json` names `DPTFeatureExtractor`, which 5.x no longer
/// has, so the class a diffusers user ends up with is `DPTImageProcessor`. It resizes the uint8 image
/// with PyTorch's native uint8 antialiased kernel (on AVX2/AVX-512/ARM64 CPUs, which is what
/// ``ImageResampler/FixedPointArithmetic/torchUInt8`` reproduces bit for bit), then computes
/// `(x - mean·255) / (std·255)` in float32. `arithmetic: .pil` gives the PIL backend's resize instead
/// (within one 8-bit level of it).
public struct DPTImageProcessor: Sendable {
    public var doResize = true
    /// Target `(height, width)`.
    public var size = (height: 384, width: 384)
    public var resample: ResampleFilter = .bicubic
    public var keepAspectRatio = false
    public var ensureMultipleOf = 1
    public var doRescale = true
    public var rescaleFactor: Double = 1.0 / 255.0
    public var doNormalize = true
    public var imageMean: [Double] = [0.5, 0.5, 0.5]
    public var imageStd: [Double] = [0.5, 0.5, 0.5]
    /// The fixed-point arithmetic of the resize.
    public var arithmetic: ImageResampler.FixedPointArithmetic = .torchUInt8

    /// transformers' defaults.
    public init() {}

    /// Reads `preprocessor_config.json` (or the `feature_extractor` folder that holds it).
    public init(contentsOf url: URL) throws {
        self = try ConfigFile.decode(Raw.self, from: url, defaultName: "preprocessor_config.json")
            .processor(source: url.lastPathComponent)
    }

    /// `preprocessor_config.json` as transformers writes it; absent fields keep transformers' defaults.
    private struct Raw: Decodable {
        struct Size: Decodable { var height: Int?, width: Int?, shortestEdge: Int? }
        enum SizeValue: Decodable {
            case square(Int), box(Size)
            init(from decoder: Decoder) throws {
                let c = try decoder.singleValueContainer()
                if let s = try? c.decode(Int.self) { self = .square(s) } else { self = .box(try c.decode(Size.self)) }
            }
        }
        var doResize: Bool?, size: SizeValue?, resample: Int?, keepAspectRatio: Bool?, ensureMultipleOf: Int?
        var doRescale: Bool?, rescaleFactor: Double?, doNormalize: Bool?
        var imageMean: OneOrList<Double>?, imageStd: OneOrList<Double>?, doPad: Bool?, doCenterCrop: Bool?

        func processor(source: String) throws -> DPTImageProcessor {
            let component = "feature_extractor (\(source))"
            var p = DPTImageProcessor()
            p.doResize = doResize ?? p.doResize
            switch size {
            case .square(let s)?: p.size = (s, s)
            case .box(let box)?:
                guard let h = box.height, let w = box.width, h > 0, w > 0 else {
                    throw ConfigError.inconsistent(component: component, detail: "size must have positive 'height' and 'width'")
                }
                p.size = (h, w)
            case nil: break
            }
            if let code = resample {
                guard let f = ResampleFilter(pilCode: code) else {
                    throw ConfigError.unsupported(component: component, field: "resample", value: "\(code)",
                                                  supported: "1 (LANCZOS), 2 (BILINEAR), 3 (BICUBIC)")
                }
                p.resample = f
            }
            p.keepAspectRatio = keepAspectRatio ?? p.keepAspectRatio
            p.ensureMultipleOf = ensureMultipleOf ?? p.ensureMultipleOf
            p.doRescale = doRescale ?? p.doRescale
            p.rescaleFactor = rescaleFactor ?? p.rescaleFactor
            p.doNormalize = doNormalize ?? p.doNormalize
            if let m = imageMean { p.imageMean = m.isList ? m.values : [Double](repeating: m.values[0], count: 3) }
            if let s = imageStd { p.imageStd = s.isList ? s.values : [Double](repeating: s.values[0], count: 3) }
            if doPad == true { throw ConfigError.unsupported(component: component, field: "do_pad", value: "true", supported: "false") }
            if doCenterCrop == true {
                throw ConfigError.unsupported(component: component, field: "do_center_crop", value: "true", supported: "false")
            }
            guard p.imageMean.count == 3, p.imageStd.count == 3, p.imageStd.allSatisfy({ $0 != 0 }), p.ensureMultipleOf > 0,
                  p.rescaleFactor != 0 else {
                throw ConfigError.inconsistent(component: component,
                    detail: "image_mean/image_std need 3 values (std non-zero), ensure_multiple_of and rescale_factor must be positive")
            }
            return p
        }
    }

    /// The resized size `(height, width)` for an input of `height` x `width` (`get_resize_output_image_size`).
    public func outputSize(height: Int, width: Int) -> (height: Int, width: Int) {
        guard doResize else { return (height, width) }
        var sh = Double(size.height) / Double(height), sw = Double(size.width) / Double(width)
        if keepAspectRatio {
            if abs(1 - sw) < abs(1 - sh) { sh = sw } else { sw = sh }
        }
        func constrain(_ v: Double) -> Int {
            let m = Double(ensureMultipleOf)
            let x = (v / m).rounded(.toNearestOrEven) * m          // Python round()
            return Int(x)
        }
        return (constrain(sh * Double(height)), constrain(sw * Double(width)))
    }

    /// The resized 8-bit image (before rescaling and normalisation).
    public func resized(_ image: RGBImage) throws -> RGBImage {
        let (h, w) = outputSize(height: image.height, width: image.width)
        guard h > 0, w > 0 else {
            throw PipelineError.invalidImage("image \(image.width)x\(image.height) resizes to \(w)x\(h)")
        }
        return try image.resized(width: w, height: h, filter: resample, arithmetic: arithmetic)
    }

    /// `pixel_values` of one image, channels first: `[3, H, W]` values and the size.
    public func pixelValues(_ image: RGBImage) throws -> (values: [Float], height: Int, width: Int) {
        let img = try resized(image)
        let plane = img.width * img.height
        var out = [Float](repeating: 0, count: 3 * plane)
        for c in 0..<3 {
            // The torchvision backend fuses the two steps: (x - mean/rf) / (std/rf), all float32.
            let fusedMean = Float(imageMean[c]) * Float(1 / rescaleFactor)
            let fusedStd = Float(imageStd[c]) * Float(1 / rescaleFactor)
            let mean = Float(imageMean[c]), std = Float(imageStd[c]), rf = Float(rescaleFactor)
            for i in 0..<plane {
                let x = Float(img.pixels[i * 3 + c])
                let v: Float
                switch (doRescale, doNormalize) {
                case (true, true): v = (x - fusedMean) / fusedStd
                case (false, true): v = (x - mean) / std
                case (true, false): v = x * rf
                case (false, false): v = x
                }
                out[c * plane + i] = v
            }
        }
        return (out, img.height, img.width)
    }

    /// `pixel_values` `[B, 3, H, W]` of images that resize to the same size.
    public func pixelValues(_ images: [RGBImage], on backend: ComputeBackend) throws -> Tensor {
        guard !images.isEmpty else { throw PipelineError.invalidImage("no images") }
        var data = [Float](), size: (Int, Int)? = nil
        for image in images {
            let p = try pixelValues(image)
            if let size, size != (p.height, p.width) {
                throw PipelineError.invalidImage("images resize to different sizes (\(size) and \((p.height, p.width))); process them one at a time")
            }
            size = (p.height, p.width)
            data += p.values
        }
        return try Tensor(shape: [images.count, 3, size!.0, size!.1], data: data, on: backend)
    }
}
