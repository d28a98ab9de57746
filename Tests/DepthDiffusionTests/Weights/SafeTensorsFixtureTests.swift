import Foundation
import XCTest
@testable import DepthDiffusion

/// Reads files written by the Python `safetensors` library (see
/// `Scripts/fixtures/make_safetensors_fixtures.py`) and compares every value, bit for bit,
/// with torch's own float32 upcast stored in `expected.json`.
final class SafeTensorsFixtureTests: XCTestCase {
    private struct ExpectedTensor: Decodable {
        var dtype: String
        var shape: [Int]
        var f32_bits: [UInt32]?
    }

    private func expected() throws -> [String: [String: ExpectedTensor]] {
        let data = try Data(contentsOf: fixtureURL("safetensors/expected.json"))
        return try JSONDecoder().decode([String: [String: ExpectedTensor]].self, from: data)
    }

    private func assertMatchesExpected(_ weights: SafeTensorsCollection, _ tensors: [String: ExpectedTensor],
                                       line: UInt = #line) throws {
        XCTAssertEqual(weights.names, tensors.keys.sorted(), line: line)
        for (name, want) in tensors {
            let entry = try weights.entry(name)
            XCTAssertEqual(entry.dtype.rawValue, want.dtype, name, line: line)
            XCTAssertEqual(entry.shape, want.shape, name, line: line)
            guard let bits = want.f32_bits else { continue }
            let values = try weights.floats(name)
            XCTAssertEqual(values.count, entry.elementCount, name, line: line)
            XCTAssertEqual(values.map(\.bitPattern), bits, "\(name): values differ from torch's float32 upcast", line: line)
        }
    }

    func testEverySingleFileFixtureMatchesTorch() throws {
        let all = try expected()
        let singleFiles = all.keys.filter { !$0.hasSuffix(".json") }
        XCTAssertEqual(Set(singleFiles), ["f32.safetensors", "f16.safetensors", "bf16.safetensors", "with_int64.safetensors"])
        for name in singleFiles {
            let weights = try SafeTensorsCollection(url: fixtureURL("safetensors/\(name)"))
            XCTAssertEqual(weights.files.count, 1)
            try assertMatchesExpected(weights, all[name] ?? [:])
        }
    }

    func testShardedFixtureMatchesTorch() throws {
        let name = "sharded/model.safetensors.index.json"
        let weights = try SafeTensorsCollection(url: fixtureURL("safetensors/\(name)"))
        XCTAssertEqual(weights.files.map(\.url.lastPathComponent),
                       ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"])
        try assertMatchesExpected(weights, try expected()[name] ?? [:])
        XCTAssertEqual(try weights.file(containing: "c.bias").url.lastPathComponent, "model-00002-of-00002.safetensors")
    }

    func testSpecialHalfValuesAreExact() throws {
        let values = try SafeTensorsFile(url: fixtureURL("safetensors/f16.safetensors")).floats("specials")
        XCTAssertEqual(values[0].bitPattern, 0)                 // +0
        XCTAssertEqual(values[1].bitPattern, 0x8000_0000)       // -0
        XCTAssertEqual(values[4], 65504)                        // max
        XCTAssertEqual(values[6], 0x1p-14)                      // smallest normal
        XCTAssertEqual(values[7], 0x1p-24)                      // smallest subnormal
        XCTAssertEqual(values[8], -0x1p-24)
        XCTAssertEqual(values[9], 1023 * 0x1p-24)               // largest subnormal
        XCTAssertEqual(values[11], .infinity)
        XCTAssertEqual(values[12], -.infinity)
        XCTAssertTrue(values[13].isNaN)
    }

    func testFileMetadataNamesAndEntries() throws {
        let file = try SafeTensorsFile(url: fixtureURL("safetensors/f32.safetensors"))
        XCTAssertEqual(file.metadata, ["format": "pt", "generator": "make_safetensors_fixtures.py"])
        XCTAssertEqual(file.names, ["empty", "matrix", "scalar", "specials"])
        XCTAssertEqual(try file.entry("scalar").shape, [])
        XCTAssertEqual(try file.floats("scalar"), [0.5])
        XCTAssertEqual(try file.entry("empty").shape, [0, 3])
        XCTAssertEqual(try file.floats("empty"), [])
        XCTAssertEqual(try file.entry("matrix").byteCount, 48)
    }

    func testInt64BufferFileOpensAndKeepsRawStorage() throws {
        let url = fixtureURL("safetensors/with_int64.safetensors")
        let file = try SafeTensorsFile(url: url)
        let ids = try file.entry("embeddings.position_ids")
        XCTAssertEqual(ids.dtype, .i64)
        XCTAssertEqual(ids.shape, [1, 8])
        let raw = try file.rawData("embeddings.position_ids")
        let decoded = (0..<8).map { i in raw.withUnsafeBytes { Int64(littleEndian: $0.loadUnaligned(fromByteOffset: i * 8, as: Int64.self)) } }
        XCTAssertEqual(decoded, Array(0..<8))
        XCTAssertEqual(try file.floats("embeddings.weight").count, 8)
    }

    #if !(os(macOS) && arch(x86_64))  // Swift's Float16 is unavailable on Intel Macs
    func testRawBytesOfHalfTensorMatchFloats() throws {
        let file = try SafeTensorsFile(url: fixtureURL("safetensors/f16.safetensors"))
        let floats = try file.floats("conv.weight")
        let fromRaw: [Float] = try file.withRawBytes("conv.weight") { bytes in
            (0..<bytes.count / 2).map { Float(Float16(bitPattern: UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self)))) }
        }
        XCTAssertEqual(floats, fromRaw)
        XCTAssertEqual(try file.rawData("conv.weight").count, 2 * 3 * 2 * 2 * 2)
    }
    #endif
}
