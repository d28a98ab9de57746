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

    /// Reads `preprocessor_config.json`.
    public init(contentsOf url: URL) throws {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw DPTError.invalidConfig("cannot read \(url.path) (\(error.localizedDescription)); point to the feature_extractor folder of the model")
        }
        guard let dict = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw DPTError.invalidConfig("\(url.lastPathComponent) is not a JSON object; re-download it")
        }
        try self.init(dict: dict, source: url.lastPathComponent)
    }

    init(dict: [String: Any], source: String) throws {
        let r = ConfigReader(dict, source: source)
        doResize = try r.bool("do_resize") ?? doResize
        if let s = try? r.int("size") {
            size = (s, s)
        } else if let s = dict["size"] as? [String: Any] {
            let sr = ConfigReader(s, source: source + " size")
            guard let h = try sr.int("height"), let w = try sr.int("width"), h > 0, w > 0 else {
                throw DPTError.invalidConfig("\(source): size must have positive 'height' and 'width'")
            }
            size = (h, w)
        }
        if let code = try r.int("resample") {
            guard let f = ResampleFilter(pilCode: code) else {
                throw DPTError.unsupported("\(source): resample \(code) (only 1 LANCZOS, 2 BILINEAR, 3 BICUBIC)")
            }
            resample = f
        }
        keepAspectRatio = try r.bool("keep_aspect_ratio") ?? keepAspectRatio
        ensureMultipleOf = try r.int("ensure_multiple_of") ?? ensureMultipleOf
        doRescale = try r.bool("do_rescale") ?? doRescale
        rescaleFactor = try r.double("rescale_factor") ?? rescaleFactor
        doNormalize = try r.bool("do_normalize") ?? doNormalize
        if let m = try? r.doubleArray("image_mean") { imageMean = m } else if let m = try r.double("image_mean") { imageMean = [m, m, m] }
        if let s = try? r.doubleArray("image_std") { imageStd = s } else if let s = try r.double("image_std") { imageStd = [s, s, s] }
        if try r.bool("do_pad") == true { throw DPTError.unsupported("\(source): do_pad is not implemented") }
        if try r.bool("do_center_crop") == true { throw DPTError.unsupported("\(source): do_center_crop is not implemented") }
        guard imageMean.count == 3, imageStd.count == 3, imageStd.allSatisfy({ $0 != 0 }), ensureMultipleOf > 0, rescaleFactor != 0 else {
            throw DPTError.invalidConfig("\(source): image_mean/image_std need 3 values (std non-zero), ensure_multiple_of and rescale_factor must be positive")
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
            throw DPTError.invalidInput("image \(image.width)x\(image.height) resizes to \(w)x\(h)")
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
        guard !images.isEmpty else { throw DPTError.invalidInput("no images") }
        var data = [Float](), size: (Int, Int)? = nil
        for image in images {
            let p = try pixelValues(image)
            if let size, size != (p.height, p.width) {
                throw DPTError.invalidInput("images resize to different sizes (\(size) and \((p.height, p.width))); process them one at a time")
            }
            size = (p.height, p.width)
            data += p.values
        }
        return try Tensor(shape: [images.count, 3, size!.0, size!.1], data: data, on: backend)
    }
}
