import Foundation
import XCTest
@testable import DepthDiffusion

/// Reads the tensors and metadata of a UNet/VAE fixture folder written by make_unet_vae_fixtures.py.
struct ModelFixture {
    let folder: URL
    let meta: [String: Any]

    init(_ relativePath: String) throws {
        folder = fixtureURL(relativePath)
        let data = try Data(contentsOf: folder.appendingPathComponent("case.json"))
        meta = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// The float32 little-endian tensor named `key` in case.json, as (shape, values).
    func tensor(_ key: String) throws -> (shape: [Int], values: [Float]) {
        let entry = try XCTUnwrap(meta[key] as? [String: Any], "fixture has no \(key)")
        let file = try XCTUnwrap(entry["file"] as? String)
        let shape = try XCTUnwrap(entry["shape"] as? [Int])
        let data = try Data(contentsOf: folder.appendingPathComponent(file))
        let values = data.withUnsafeBytes { raw in
            (0..<data.count / 4).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
        }
        XCTAssertEqual(values.count, shape.reduce(1, *), "\(file) size")
        return (shape, values)
    }

    func tensor(_ key: String, on backend: ComputeBackend) throws -> Tensor {
        let (shape, values) = try tensor(key)
        return try Tensor(shape: shape, data: values, on: backend)
    }
}

/// Compares with the fixture, prints the measured error and checks it is within `relTol` of the output scale.
func checkAgainstFixture(_ actual: Tensor, _ expected: (shape: [Int], values: [Float]), relTol: Double, _ label: String,
                         file: StaticString = #filePath, line: UInt = #line) throws {
    XCTAssertEqual(actual.shape, expected.shape, "\(label) shape", file: file, line: line)
    let scale = Double(expected.values.map { abs($0) }.max() ?? 1)
    let stats = assertClose(try actual.toArray(), expected.values.map(Double.init), atol: relTol * scale, rtol: 0, label,
                            file: file, line: line)
    print("[measured] \(label): \(stats)")
    XCTAssertLessThanOrEqual(stats.maxRel, relTol, label, file: file, line: line)
}
