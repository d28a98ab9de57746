import DepthDiffusionImageIO
import Foundation
import XCTest

/// Headers that claim huge images are refused before any pixel buffer is allocated.
final class ImageSizeLimitsTests: XCTestCase {
    private func assertTooLarge(_ body: @autoclosure () throws -> Any, width: Int, height: Int, mentions: String,
                                file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            guard case let ImageIOError.imageTooLarge(_, w, h, _)? = error as? ImageIOError else {
                return XCTFail("expected imageTooLarge, got \(error)", file: file, line: line)
            }
            XCTAssertEqual([w, h], [width, height], file: file, line: line)
            XCTAssertTrue("\(error)".contains(mentions), "\(error)", file: file, line: line)
            XCTAssertTrue("\(error)".contains("ImageSizeLimits"), "the message says how to lift the limit: \(error)", file: file, line: line)
        }
    }

    func testPNGClaimingAMillionByAMillionPixelsIsRefused() {
        let url = fixtureURL("images/hostile/huge_1000000x1000000.png")
        assertTooLarge(try ImageFile.read(url), width: 1_000_000, height: 1_000_000, mentions: "pixels")
        assertTooLarge(try ImageFile.readRGBImage(url), width: 1_000_000, height: 1_000_000, mentions: "pixels")
        assertTooLarge(try ImageFile.readDepthMap(url), width: 1_000_000, height: 1_000_000, mentions: "pixels")
    }

    func testJPEGClaiming65000By65000PixelsIsRefused() {
        let url = fixtureURL("images/hostile/huge_65000x65000.jpg")
        assertTooLarge(try ImageFile.read(url), width: 65_000, height: 65_000, mentions: "pixels")
        assertTooLarge(try ImageFile.readDepthMap(url), width: 65_000, height: 65_000, mentions: "pixels")
    }

    func testLimitsAreConfigurable() throws {
        let url = fixtureURL("images/rgb8.png")  // 13 x 9, RGB, 8-bit
        XCTAssertNoThrow(try ImageFile.read(url, limits: ImageSizeLimits(maxPixels: 13 * 9, maxBytes: 13 * 9 * 3 * 3)))
        assertTooLarge(try ImageFile.read(url, limits: ImageSizeLimits(maxPixels: 13 * 9 - 1, maxBytes: 1 << 30)),
                       width: 13, height: 9, mentions: "limit of 116 pixels")
        // The memory estimate: 8-bit samples decoded into a byte buffer and widened to UInt16, 3 bytes a sample.
        assertTooLarge(try ImageFile.read(url, limits: ImageSizeLimits(maxPixels: 1 << 20, maxBytes: 13 * 9 * 3 * 3 - 1)),
                       width: 13, height: 9, mentions: "about 1053 bytes, more than the limit of 1052 bytes")
        let jpeg = fixtureURL("images/color.jpg")
        assertTooLarge(try ImageFile.readRGBImage(jpeg, limits: ImageSizeLimits(maxPixels: 10, maxBytes: 1 << 30)),
                       width: 13, height: 9, mentions: "pixels")
    }

    func testMemoryEstimate() {
        XCTAssertEqual(ImageSizeLimits.estimatedBytes(width: 10, height: 10, channels: 3, bitDepth: 8), 900)
        XCTAssertEqual(ImageSizeLimits.estimatedBytes(width: 10, height: 10, channels: 4, bitDepth: 16), 800)
        XCTAssertEqual(ImageSizeLimits.estimatedBytes(width: .max / 2, height: 4, channels: 1, bitDepth: 8), .max, "saturates")
        // The standard limits take an 8192 x 8192 RGB 8-bit or RGBA 16-bit image.
        let standard = ImageSizeLimits.standard
        XCTAssertEqual(standard.maxPixels, 8192 * 8192)
        XCTAssertLessThanOrEqual(ImageSizeLimits.estimatedBytes(width: 8192, height: 8192, channels: 3, bitDepth: 8), standard.maxBytes)
        XCTAssertLessThanOrEqual(ImageSizeLimits.estimatedBytes(width: 8192, height: 8192, channels: 4, bitDepth: 16), standard.maxBytes)
    }

    func testDecodingFromMemory() throws {
        let data = try Data(contentsOf: fixtureURL("images/gray16.png"))
        XCTAssertEqual(try ImageFile.decode(data), try ImageFile.read(fixtureURL("images/gray16.png")))
        assertTooLarge(try ImageFile.decode(Data(contentsOf: fixtureURL("images/hostile/huge_1000000x1000000.png"))),
                       width: 1_000_000, height: 1_000_000, mentions: "(memory)")
    }
}
