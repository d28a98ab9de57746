import Foundation
import XCTest
@testable import DepthDiffusion

/// Pillow 13 `Image.resize` on RGB (8-bit) and F (float) images (`Fixtures/resample`).
final class ImageResamplerTests: XCTestCase {
    struct Case { let filter: ResampleFilter; let name: String; let src: (Int, Int); let dst: (Int, Int); let u8: String; let f32In: String; let f32: String }

    private func cases() throws -> [Case] {
        let data = try Data(contentsOf: fixtureURL("resample/cases.json"))
        let list = ((try JSONSerialization.jsonObject(with: data) as? [String: Any])?["cases"] as? [[String: Any]]) ?? []
        let filters: [String: ResampleFilter] = ["bilinear": .bilinear, "bicubic": .bicubic, "lanczos": .lanczos]
        let cases = list.compactMap { c -> Case? in
            guard let name = c["filter"] as? String, let f = filters[name], let s = c["src"] as? [Int], let d = c["dst"] as? [Int],
                  let u8 = c["u8"] as? String, let fi = c["f32_input"] as? String, let f32 = c["f32"] as? String else { return nil }
            return Case(filter: f, name: name, src: (s[0], s[1]), dst: (d[0], d[1]), u8: u8, f32In: fi, f32: f32)
        }
        XCTAssertEqual(cases.count, 15)
        return cases
    }

    func testEightBitMatchesPIL() throws {
        var worst = 0, differing = 0, total = 0
        for c in try cases() {
            let image = try makeTestImage(width: c.src.0, height: c.src.1)
            let out = try image.resized(width: c.dst.0, height: c.dst.1, filter: c.filter)
            let expected = [UInt8](try Data(contentsOf: fixtureURL("resample/\(c.u8)")))
            XCTAssertEqual(out.pixels.count, expected.count)
            let diffs = zip(out.pixels, expected).map { abs(Int($0) - Int($1)) }
            let maxDiff = diffs.max() ?? 0
            worst = max(worst, maxDiff); differing += diffs.filter { $0 != 0 }.count; total += diffs.count
            XCTAssertEqual(maxDiff, 0, "\(c.name) \(c.src) -> \(c.dst)")  // measured: bit-exact
        }
        print("[resample] 8-bit vs PIL: max level difference \(worst), \(differing) of \(total) samples differ")
    }

    func testFloatMatchesPIL() throws {
        var worst = 0.0
        for c in try cases() {
            let input = try loadFloat32Fixture("resample/\(c.f32In)")
            let expected = try loadFloat32Fixture("resample/\(c.f32)")
            let out = try ImageResampler.resize(input, width: c.src.0, height: c.src.1, channels: 1, toWidth: c.dst.0,
                                                toHeight: c.dst.1, filter: c.filter)
            let stats = assertClose(out, expected.map(Double.init), atol: 1e-4, rtol: 1e-6, "float \(c.name) \(c.src) -> \(c.dst)")
            worst = max(worst, stats.maxAbs)
        }
        print("[resample] float vs PIL F mode: max abs \(worst) (values up to ~130)")
    }

    func testSameSizeIsIdentityAndBadSizesThrow() throws {
        let image = try makeTestImage(width: 5, height: 4)
        XCTAssertEqual(try image.resized(width: 5, height: 4, filter: .lanczos), image)
        XCTAssertThrowsError(try image.resized(width: 0, height: 4, filter: .bilinear))
        XCTAssertThrowsError(try RGBImage(width: 2, height: 2, pixels: [1, 2, 3]))
    }
}
