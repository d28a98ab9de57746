// The `png`, `jpeg` and `depthmap` targets: the image files a user passes to depth2img and estimate-depth.
import Foundation

/// Limits for fuzzing: small enough that a header claiming a large image is refused quickly, so the
/// fuzzer spends its time in the decoders rather than in filling buffers of hundreds of megabytes.
private let fuzzLimits = ImageSizeLimits(maxPixels: 4_000_000, maxBytes: 64 << 20)

/// A PNG or JPEG (the format is chosen by its signature, as for a file) decoded and converted to RGB.
func fuzzImage(_ bytes: UnsafeRawBufferPointer) {
    let url = withValidPNGChecksums(bytes) { fuzzFile($0, named: "image") }
    _ = try? ImageFile.readRGBImage(url, limits: fuzzLimits)
}

/// A depth map file (8- or 16-bit grayscale PNG, or JPEG) read as a DepthMap, then turned back into
/// the 16-bit and 8-bit images that depth2img writes.
func fuzzDepthMap(_ bytes: UnsafeRawBufferPointer) {
    let url = withValidPNGChecksums(bytes) { fuzzFile($0, named: "depth") }
    guard let depth = try? ImageFile.readDepthMap(url, limits: fuzzLimits) else { return }
    _ = try? depth.grayscale16()
    _ = try? depth.grayscale8()
}

/// Calls `body` with the input, its PNG chunk checksums recomputed. libpng rejects a critical chunk whose
/// CRC does not match, so without this almost every mutation of a header field (the size in IHDR, a
/// palette, a chunk length) would stop at the checksum and never reach the code behind it.
private func withValidPNGChecksums<R>(_ bytes: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> R) -> R {
    guard bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) else { return body(bytes) }
    var png = [UInt8](bytes)
    var position = 8
    // Each chunk: 4-byte big-endian length, 4-byte type, data, 4-byte CRC of type and data.
    while position + 12 <= png.count {
        let length = png[position..<position + 4].reduce(0) { $0 << 8 | Int($1) }
        guard length <= png.count - position - 12 else { break }
        let crc = crc32(png[(position + 4)..<(position + 8 + length)])
        for i in 0..<4 { png[position + 8 + length + i] = UInt8(truncatingIfNeeded: crc >> (24 - 8 * i)) }
        position += 12 + length
    }
    return png.withUnsafeBytes(body)
}

/// The CRC-32 of PNG chunks (ISO 3309, reflected polynomial 0xEDB88320).
private func crc32(_ bytes: ArraySlice<UInt8>) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
        crc = crc32Table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8)
    }
    return crc ^ 0xFFFF_FFFF
}

private let crc32Table: [UInt32] = (0..<256).map { n in
    (0..<8).reduce(UInt32(n)) { c, _ in c & 1 == 1 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
}
