import Foundation
@testable import DepthDiffusion

/// Little-endian float32 values of a fixture file.
func loadFloat32Fixture(_ relativePath: String) throws -> [Float] {
    let data = try Data(contentsOf: fixtureURL(relativePath))
    return data.withUnsafeBytes { raw in
        (0..<data.count / 4).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
    }
}

/// A fixture's `meta.json` as a dictionary.
func loadFixtureMeta(_ relativePath: String) throws -> [String: Any] {
    let data = try Data(contentsOf: fixtureURL(relativePath))
    return (try JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
}
