import DepthDiffusionImageIO
import Foundation
import XCTest

/// PNG/JPEG decoding against the pixels Pillow decodes from the same files, PNG round trips and bad files.
final class ImageFileTests: XCTestCase {
    struct Expected: Decodable { let width: Int, height: Int, channels: Int, bitDepth: Int, samples: [Int] }

    func expected() throws -> [String: Expected] {
        try JSONDecoder().decode([String: Expected].self, from: Data(contentsOf: fixtureURL("images/expected.json")))
    }

    func testPNGMatchesPillowExactly() throws {
        for name in ["rgb8.png", "rgba8.png", "gray8.png", "gray16.png", "palette.png"] {
            let want = try XCTUnwrap(try expected()[name])
            let image = try ImageFile.read(fixtureURL("images/\(name)"))
            XCTAssertEqual(image.width, want.width, name)
            XCTAssertEqual(image.height, want.height, name)
            XCTAssertEqual(image.channels, want.channels, name)
            XCTAssertEqual(image.bitDepth, want.bitDepth, name)
            XCTAssertEqual(image.samples.map(Int.init), want.samples, name)
        }
    }

    func testJPEGWithinOneLevelOfPillow() throws {
        for name in ["color.jpg", "gray.jpg"] {
            let want = try XCTUnwrap(try expected()[name])
            let image = try ImageFile.read(fixtureURL("images/\(name)"))
            XCTAssertEqual([image.width, image.height, image.channels], [want.width, want.height, want.channels], name)
            let worst = zip(image.samples, want.samples).map { abs(Int($0) - $1) }.max() ?? 99
            XCTAssertLessThanOrEqual(worst, 1, name)
        }
    }

    func testConversions() throws {
        let rgba = try ImageFile.read(fixtureURL("images/rgba8.png"))
        let rgb = try ImageFile.read(fixtureURL("images/rgb8.png"))
        XCTAssertEqual(rgba.rgb8(), rgb.rgb8(), "alpha is dropped as PIL's convert(\"RGB\") does")
        let gray16 = try ImageFile.read(fixtureURL("images/gray16.png"))
        let g = try gray16.gray(path: "gray16.png")
        XCTAssertEqual(g[0], Float(gray16.samples[0]) / 65535)
        XCTAssertThrowsError(try rgb.gray(path: "rgb8.png")) { error in
            XCTAssertTrue("\(error)".contains("3 channels"), "\(error)")
        }
    }

    func testRoundTrips() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("imageio-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var rng = TestRandom(seed: 3)
        let rgb = (0..<(7 * 5 * 3)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        try ImageFile.writePNG(rgb: rgb, width: 7, height: 5, to: dir.appendingPathComponent("a.png"))
        let back = try ImageFile.read(dir.appendingPathComponent("a.png"))
        XCTAssertEqual(back.samples.map { UInt8($0) }, rgb)
        let depth = (0..<(6 * 4)).map { _ in UInt16(truncatingIfNeeded: rng.next()) }
        try ImageFile.writePNG(gray16: depth, width: 6, height: 4, to: dir.appendingPathComponent("d.png"))
        let d = try ImageFile.read(dir.appendingPathComponent("d.png"))
        XCTAssertEqual(d.bitDepth, 16)
        XCTAssertEqual(d.samples, depth)
        XCTAssertThrowsError(try ImageFile.writePNG(rgb: rgb, width: 8, height: 5, to: dir.appendingPathComponent("bad.png")))
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("bad.png").path))
        XCTAssertThrowsError(try ImageFile.writePNG(rgb: rgb, width: 7, height: 5, to: dir.appendingPathComponent("missing/dir/x.png")))
    }

    func testBadFilesGiveTypedErrors() {
        XCTAssertThrowsError(try ImageFile.read(fixtureURL("images/not-an-image.png"))) {
            guard case .unsupportedFormat = $0 as? ImageIOError else { return XCTFail("\($0)") }
        }
        XCTAssertThrowsError(try ImageFile.read(fixtureURL("images/truncated.png"))) {
            guard case .decodeFailed = $0 as? ImageIOError else { return XCTFail("\($0)") }
        }
        XCTAssertThrowsError(try ImageFile.read(fixtureURL("images/does-not-exist.png"))) {
            guard case .cannotRead = $0 as? ImageIOError else { return XCTFail("\($0)") }
        }
    }
}
