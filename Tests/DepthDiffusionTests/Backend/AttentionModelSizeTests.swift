import Foundation
import XCTest
@testable import DepthDiffusion

/// Attention at the sizes SD2-depth runs at 512x512 (64x64 latents): 4096 query tokens, 77 text tokens or 4096 keys,
/// 64-wide UNet heads and the VAE mid-block's single 512-wide head, on every backend in ``conformanceBackends()``.
///
/// Each backend computes the whole output. The double-precision reference computes 64 query rows spread over the
/// sequence (first and last included) and those rows are compared; the backends are compared with each other on
/// every value.
final class AttentionModelSizeTests: XCTestCase {
    static let cases: [(String, AttentionDescriptor)] = [
        ("UNet cross-attention (5 heads of 64, 4096x77, CFG batch)",
         AttentionDescriptor(batch: 2, heads: 5, queryLength: 4096, keyLength: 77, headDim: 64)),
        ("UNet self-attention (2 heads of 64, 4096x4096)",
         AttentionDescriptor(batch: 1, heads: 2, queryLength: 4096, keyLength: 4096, headDim: 64)),
        ("VAE mid-block self-attention (1 head of 512, 4096x4096)",
         AttentionDescriptor(batch: 1, heads: 1, queryLength: 4096, keyLength: 4096, headDim: 512)),
        ("cross-attention with 512-wide heads (2 heads, 4096x77)",
         AttentionDescriptor(batch: 1, heads: 2, queryLength: 4096, keyLength: 77, headDim: 512)),
    ]

    /// 64 query rows spread evenly over `length`, first and last included.
    static func sampledRows(_ length: Int) -> [Int] {
        let count = min(64, length)
        return (0..<count).map { count == 1 ? 0 : $0 * (length - 1) / (count - 1) }
    }

    func testAttentionAtSD2Sizes() throws {
        var rng = TestRandom(seed: 64)
        let backends = try conformanceBackends()
        for (label, d) in Self.cases {
            let hd = d.heads * d.headDim
            // Queries at 3x the keys' scale: scores with a standard deviation near 2, so the softmax has clear peaks.
            let q = rng.floats(d.batch * d.queryLength * hd, scale: 3), k = rng.floats(d.batch * d.keyLength * hd)
            let v = rng.floats(d.batch * d.keyLength * hd)
            let rows = Self.sampledRows(d.queryLength)
            let expected = Ref.attention(d, q: q, k: k, v: v, rows: rows)
            var outputs: [(String, [Float])] = []
            for backend in backends {
                let inputs = try [q, k, v].enumerated().map { i, x in
                    try Tensor(shape: [d.batch, i == 0 ? d.queryLength : d.keyLength, hd], data: x, on: backend)
                }
                let start = DispatchTime.now().uptimeNanoseconds
                let out = try backend.attention(q: inputs[0], k: inputs[1], v: inputs[2], heads: d.heads, scale: d.scale,
                                                causal: false).toArray()
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                XCTAssertEqual(out.count, d.batch * d.queryLength * hd, "\(label) [\(backend.name)]")
                var sampled = [Float]()
                for b in 0..<d.batch {
                    for i in rows { sampled += out[((b * d.queryLength) + i) * hd..<((b * d.queryLength) + i + 1) * hd] }
                }
                // Measured at most 1.0e-6 (OpenCL on PoCL, 512-wide heads; outputs up to ~0.6), 5.2e-7 on the CPU.
                let stats = assertClose(sampled, expected, atol: 3e-6, rtol: 1e-5, "\(label) [\(backend.name)] vs reference")
                print(String(format: "[measured] attention %@ [%@]: %.2f s, vs reference %@", label, backend.name, seconds,
                             stats.description))
                outputs.append((backend.name, out))
            }
            for (i, (nameA, a)) in outputs.enumerated() {
                for (nameB, b) in outputs[(i + 1)...] {
                    // Measured at most 1.4e-6 (OpenCL vs CPU, 512-wide heads).
                    let stats = assertClose(b, a.map(Double.init), atol: 3e-6, rtol: 1e-5, "\(label) [\(nameB) vs \(nameA)]")
                    print("[measured] attention \(label) [\(nameB) vs \(nameA)]: \(stats)")
                }
            }
        }
    }
}
