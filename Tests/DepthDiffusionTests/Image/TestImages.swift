@testable import DepthDiffusion

/// The deterministic 8-bit RGB pattern of `Scripts/fixtures/make_dpt_fixtures.py` (`test_image`).
func makeTestImage(width: Int, height: Int) throws -> RGBImage {
    var pixels = [UInt8]()
    pixels.reserveCapacity(width * height * 3)
    for y in 0..<height {
        for x in 0..<width {
            for c in 0..<3 {
                pixels.append(UInt8((x * x * 7 + y * 13 + x * y * 3 + c * 85 + ((x * 31) ^ (y * 17))) % 256))
            }
        }
    }
    return try RGBImage(width: width, height: height, pixels: pixels)
}
