import XCTest
@testable import DepthDiffusion

/// `pixel_values` against transformers 5.24's `DPTImageProcessor` (torchvision backend).
final class DPTImageProcessorTests: XCTestCase {
    private func check(_ name: String, arithmetic: ImageResampler.FixedPointArithmetic, atol: Double) throws -> ErrorStats {
        let dir = "dpt/preprocess/\(name)"
        let meta = try loadFixtureMeta("\(dir)/meta.json")
        let source = meta["source"] as? [Int] ?? [], output = meta["output"] as? [Int] ?? []
        var processor = try DPTImageProcessor(contentsOf: fixtureURL("\(dir)/preprocessor_config.json"))
        processor.arithmetic = arithmetic
        let image = try makeTestImage(width: source[0], height: source[1])
        let p = try processor.pixelValues(image)
        XCTAssertEqual([p.height, p.width], output, name)
        var values = p.values
        if let window = meta["window"] as? [Int] {      // top, left, height, width
            values = (0..<3).flatMap { c in (0..<window[2]).flatMap { y in (0..<window[3]).map { x in
                p.values[c * p.height * p.width + (window[0] + y) * p.width + window[1] + x] } } }
        }
        let expected = try loadFloat32Fixture("\(dir)/expected.bin")
        return assertClose(values, expected.map(Double.init), atol: atol, rtol: 0, "\(name) \(arithmetic)")
    }

    static let names = ["sd2_down", "sd2_up", "small_bilinear", "small_bicubic_up", "keep_aspect"]

    /// The torch uint8 kernel is reproduced exactly: only float32 rounding of the normalisation remains.
    func testMatchesTorchvisionBackend() throws {
        for name in Self.names {
            let stats = try check(name, arithmetic: .torchUInt8, atol: 1e-6)
            print("[preprocess] \(name) torchUInt8: \(stats)")
        }
    }

    /// Pillow's rounding is within one 8-bit level (2/255 for std 0.5; 1/(255·0.224) for ImageNet std).
    func testPILArithmeticWithinOneLevel() throws {
        for name in Self.names {
            let stats = try check(name, arithmetic: .pil, atol: 1.0 / (255 * 0.224) + 1e-5)
            print("[preprocess] \(name) pil: \(stats)")
        }
    }

    func testSD2DepthConfigParses() throws {
        let p = try DPTImageProcessor(contentsOf: fixtureURL("dpt/preprocess/sd2_down/preprocessor_config.json"))
        XCTAssertEqual(p.size.height, 384); XCTAssertEqual(p.size.width, 384)
        XCTAssertEqual(p.resample, .bilinear)
        XCTAssertFalse(p.keepAspectRatio)
    }
}
