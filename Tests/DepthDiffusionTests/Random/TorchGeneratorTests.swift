import Foundation
import XCTest
@testable import DepthDiffusion

/// Checks `TorchGenerator` against `torch.randn` vectors written by
/// `Scripts/fixtures/make_scheduler_fixtures.py`.
final class TorchGeneratorTests: XCTestCase {
    struct Draw: Decodable {
        let count: Int
        let values: [Float]
        let indices: [Int]?
        let sum: Double?
        let sumAbs: Double?
        let binary: String?
    }
    struct Case: Decodable { let seed: UInt64; let draws: [Draw] }
    struct File: Decodable { let cases: [Case] }

    /// Distance in units in the last place between two floats of the same sign.
    static func ulps(_ a: Float, _ b: Float) -> Int {
        if a == b { return 0 }
        if a.sign != b.sign { return Int.max }
        return abs(Int(a.bitPattern) - Int(b.bitPattern))
    }

    func testMatchesTorchRandnSequences() throws {
        let data = try Data(contentsOf: fixtureURL("random/torch_randn.json"))
        let file = try JSONDecoder().decode(File.self, from: data)
        XCTAssertGreaterThanOrEqual(file.cases.count, 3)
        var worst = 0
        var exact = 0
        var total = 0
        for testCase in file.cases {
            let generator = TorchGenerator(seed: testCase.seed)
            for (drawIndex, draw) in testCase.draws.enumerated() {
                let values = generator.normal(count: draw.count)
                XCTAssertEqual(values.count, draw.count)
                let indices = draw.indices ?? Array(0..<draw.count)
                for (k, index) in indices.enumerated() {
                    let d = Self.ulps(values[index], draw.values[k])
                    worst = max(worst, d)
                    total += 1
                    if d == 0 { exact += 1 }
                    XCTAssertLessThanOrEqual(d, 1, "seed \(testCase.seed) draw \(drawIndex) (n=\(draw.count)) index \(index): \(values[index]) vs \(draw.values[k])")
                }
                if let sum = draw.sum, let sumAbs = draw.sumAbs {
                    let ours = values.reduce(0.0) { $0 + Double($1) }
                    let oursAbs = values.reduce(0.0) { $0 + Double(abs($1)) }
                    XCTAssertEqual(ours, sum, accuracy: 1e-4 * sumAbs / Double(draw.count).squareRoot() + 1e-3)
                    XCTAssertEqual(oursAbs, sumAbs, accuracy: 1e-6 * sumAbs)
                }
                if let binary = draw.binary {
                    let raw = try Data(contentsOf: fixtureURL(binary))
                    let reference = raw.withUnsafeBytes { buffer in
                        (0..<draw.count).map { Float(bitPattern: UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
                    }
                    for i in 0..<draw.count {
                        let d = Self.ulps(values[i], reference[i])
                        worst = max(worst, d)
                        total += 1
                        if d == 0 { exact += 1 }
                        if d > 1 { XCTFail("seed \(testCase.seed) full vector index \(i): \(values[i]) vs \(reference[i])"); break }
                    }
                }
            }
        }
        print("TorchGenerator: \(exact)/\(total) values bit-exact, worst \(worst) ulp")
    }

    func testSameSeedSameStream() {
        XCTAssertEqual(TorchGenerator(seed: 3).normal(count: 40), TorchGenerator(seed: 3).normal(count: 40))
        XCTAssertNotEqual(TorchGenerator(seed: 3).normal(count: 40), TorchGenerator(seed: 4).normal(count: 40))
    }

    func testFastSourceIsDeterministicAndRoughlyStandardNormal() {
        let a = FastRandomSource(seed: 11).normal(count: 100_001)
        XCTAssertEqual(a, FastRandomSource(seed: 11).normal(count: 100_001))
        XCTAssertNotEqual(Array(a.prefix(8)), FastRandomSource(seed: 12).normal(count: 8))
        let mean = a.reduce(0.0) { $0 + Double($1) } / Double(a.count)
        let variance = a.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(a.count) - mean * mean
        XCTAssertEqual(mean, 0, accuracy: 0.02)
        XCTAssertEqual(variance, 1, accuracy: 0.02)
        XCTAssertTrue(a.allSatisfy { $0.isFinite })
    }
}
