import CPNG
import CTurboJPEG
import Foundation

/// Reading PNG and JPEG files and writing PNG files, on libpng's simplified API and libjpeg-turbo's
/// TurboJPEG API (no `longjmp` error handling crosses into Swift).
public enum ImageFile {
    /// Decodes a PNG (8-bit or 16-bit; gray, gray+alpha, RGB, RGBA, palette) or JPEG (8-bit gray or color) file.
    /// The size in the file's header is checked against `limits` before pixels are allocated.
    /// - Throws: ``ImageIOError``; ``ImageIOError/imageTooLarge(path:width:height:reason:)`` for an image over `limits`.
    public static func read(_ url: URL, limits: ImageSizeLimits = .standard) throws -> DecodedImage {
        let path = url.path
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ImageIOError.cannotRead(path: path, reason: (error as NSError).localizedDescription)
        }
        return try decode(data, path: path, limits: limits)
    }

    /// Decodes PNG or JPEG file contents held in memory, as ``read(_:limits:)`` does; `path` names the data in errors.
    public static func decode(_ data: Data, path: String = "(memory)", limits: ImageSizeLimits = .standard) throws -> DecodedImage {
        if data.starts(with: [0x89, 0x50, 0x4E, 0x47]) { return try decodePNG(data, path: path, limits: limits) }
        if data.starts(with: [0xFF, 0xD8]) { return try decodeJPEG(data, path: path, limits: limits) }
        throw ImageIOError.unsupportedFormat(path: path)
    }

    private static func decodePNG(_ data: Data, path: String, limits: ImageSizeLimits) throws -> DecodedImage {
        var image = png_image()
        image.version = png_uint_32(PNG_IMAGE_VERSION)
        defer { png_image_free(&image) }
        let ok = data.withUnsafeBytes { png_image_begin_read_from_memory(&image, $0.baseAddress, $0.count) }
        guard ok != 0 else { throw ImageIOError.decodeFailed(path: path, reason: message(image)) }
        let fileFormat = image.format
        let hasColor = fileFormat & png_uint_32(PNG_FORMAT_FLAG_COLOR) != 0
        let hasAlpha = fileFormat & png_uint_32(PNG_FORMAT_FLAG_ALPHA) != 0
        let sixteen = fileFormat & png_uint_32(PNG_FORMAT_FLAG_LINEAR) != 0
        let channels = (hasColor ? 3 : 1) + (hasAlpha ? 1 : 0)
        // Read at the file's own layout: 16-bit files as linear 16-bit samples, others as 8-bit.
        var format = png_uint_32(hasColor ? PNG_FORMAT_FLAG_COLOR : 0) | png_uint_32(hasAlpha ? PNG_FORMAT_FLAG_ALPHA : 0)
        if sixteen { format |= png_uint_32(PNG_FORMAT_FLAG_LINEAR) }
        image.format = format
        let (width, height) = (Int(image.width), Int(image.height))
        try limits.check(width: width, height: height, channels: channels, bitDepth: sixteen ? 16 : 8, path: path)
        let count = width * height * channels
        var samples = [UInt16](repeating: 0, count: count)
        if sixteen {
            let ok = samples.withUnsafeMutableBytes { png_image_finish_read(&image, nil, $0.baseAddress, 0, nil) }
            guard ok != 0 else { throw ImageIOError.decodeFailed(path: path, reason: message(image)) }
        } else {
            var bytes = [UInt8](repeating: 0, count: count)
            let ok = bytes.withUnsafeMutableBytes { png_image_finish_read(&image, nil, $0.baseAddress, 0, nil) }
            guard ok != 0 else { throw ImageIOError.decodeFailed(path: path, reason: message(image)) }
            samples = bytes.map(UInt16.init)
        }
        return DecodedImage(width: width, height: height, channels: channels, bitDepth: sixteen ? 16 : 8, samples: samples)
    }

    private static func message(_ image: png_image) -> String {
        var m = image.message
        return withUnsafeBytes(of: &m) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }

    private static func decodeJPEG(_ data: Data, path: String, limits: ImageSizeLimits) throws -> DecodedImage {
        guard let handle = tjInitDecompress() else { throw ImageIOError.decodeFailed(path: path, reason: "TurboJPEG init failed") }
        defer { tjDestroy(handle) }
        var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
        let header = data.withUnsafeBytes { raw in
            tjDecompressHeader3(handle, raw.bindMemory(to: UInt8.self).baseAddress, UInt(raw.count),
                                &width, &height, &subsampling, &colorspace)
        }
        guard header == 0, width > 0, height > 0 else {
            throw ImageIOError.decodeFailed(path: path, reason: String(cString: tjGetErrorStr2(handle)))
        }
        let gray = colorspace == Int32(TJCS_GRAY.rawValue)
        let channels = gray ? 1 : 3
        try limits.check(width: Int(width), height: Int(height), channels: channels, bitDepth: 8, path: path)
        var pixels = [UInt8](repeating: 0, count: Int(width) * Int(height) * channels)
        let status = data.withUnsafeBytes { raw in
            pixels.withUnsafeMutableBufferPointer { out in
                tjDecompress2(handle, raw.bindMemory(to: UInt8.self).baseAddress, UInt(raw.count), out.baseAddress,
                              width, 0, height, gray ? Int32(TJPF_GRAY.rawValue) : Int32(TJPF_RGB.rawValue), 0)
            }
        }
        // A warning (e.g. a few missing bytes at the end) still decodes an image, as PIL does; an error does not.
        if status != 0 && tjGetErrorCode(handle) == Int32(TJERR_FATAL.rawValue) {
            throw ImageIOError.decodeFailed(path: path, reason: String(cString: tjGetErrorStr2(handle)))
        }
        return DecodedImage(width: Int(width), height: Int(height), channels: channels, bitDepth: 8,
                            samples: pixels.map(UInt16.init))
    }

    /// Writes 8-bit RGB pixels as a PNG, atomically (no partial file is left behind on failure).
    public static func writePNG(rgb pixels: [UInt8], width: Int, height: Int, to url: URL) throws {
        guard width > 0, height > 0, pixels.count == width * height * 3 else {
            throw ImageIOError.invalidPixels("\(pixels.count) bytes for a \(width)x\(height) RGB image")
        }
        try write(url, width: width, height: height, format: png_uint_32(PNG_FORMAT_RGB), bytes: pixels)
    }

    /// Writes an 8-bit grayscale PNG atomically.
    public static func writePNG(gray8 pixels: [UInt8], width: Int, height: Int, to url: URL) throws {
        guard width > 0, height > 0, pixels.count == width * height else {
            throw ImageIOError.invalidPixels("\(pixels.count) bytes for a \(width)x\(height) gray image")
        }
        try write(url, width: width, height: height, format: png_uint_32(PNG_FORMAT_GRAY), bytes: pixels)
    }

    /// Writes a 16-bit grayscale PNG atomically (values stored as they are, linear).
    public static func writePNG(gray16 values: [UInt16], width: Int, height: Int, to url: URL) throws {
        guard width > 0, height > 0, values.count == width * height else {
            throw ImageIOError.invalidPixels("\(values.count) values for a \(width)x\(height) gray image")
        }
        let bytes = values.withUnsafeBytes { Array($0) }
        try write(url, width: width, height: height, format: png_uint_32(PNG_FORMAT_LINEAR_Y), bytes: bytes)
    }

    /// Encodes 8-bit RGB pixels as PNG file contents, for callers that store the bytes themselves.
    public static func encodePNG(rgb pixels: [UInt8], width: Int, height: Int) throws -> Data {
        guard width > 0, height > 0, pixels.count == width * height * 3 else {
            throw ImageIOError.invalidPixels("\(pixels.count) bytes for a \(width)x\(height) RGB image")
        }
        return try encode(width: width, height: height, format: png_uint_32(PNG_FORMAT_RGB), bytes: pixels, path: "(memory)")
    }

    private static func write(_ url: URL, width: Int, height: Int, format: png_uint_32, bytes: [UInt8]) throws {
        let encoded = try encode(width: width, height: height, format: format, bytes: bytes, path: url.path)
        do {
            try encoded.write(to: url, options: .atomic)
        } catch {
            throw ImageIOError.writeFailed(path: url.path, reason: (error as NSError).localizedDescription)
        }
    }

    private static func encode(width: Int, height: Int, format: png_uint_32, bytes: [UInt8], path: String) throws -> Data {
        var image = png_image()
        image.version = png_uint_32(PNG_IMAGE_VERSION)
        image.width = png_uint_32(width)
        image.height = png_uint_32(height)
        image.format = format
        defer { png_image_free(&image) }
        var size: Int = 0
        // First call measures, second encodes into memory.
        guard bytes.withUnsafeBytes({ png_image_write_to_memory(&image, nil, &size, 0, $0.baseAddress, 0, nil) }) != 0 else {
            throw ImageIOError.writeFailed(path: path, reason: message(image))
        }
        var encoded = [UInt8](repeating: 0, count: size)
        let ok = encoded.withUnsafeMutableBytes { out in
            bytes.withUnsafeBytes { png_image_write_to_memory(&image, out.baseAddress, &size, 0, $0.baseAddress, 0, nil) }
        }
        guard ok != 0 else { throw ImageIOError.writeFailed(path: path, reason: message(image)) }
        return Data(encoded.prefix(size))
    }
}
