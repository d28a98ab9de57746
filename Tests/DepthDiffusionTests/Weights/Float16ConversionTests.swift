import XCTest
@testable import DepthDiffusion

final class Float16ConversionTests: XCTestCase {
    #if !(os(macOS) && arch(x86_64))  // Swift's Float16 is unavailable on Intel Macs
    /// All 65,536 half-precision bit patterns convert exactly like Swift's `Float16`.
    func testHalfConversionMatchesFloat16ForEveryBitPattern() {
        for bits in UInt16.min...UInt16.max {
            let ours = Float16Conversion.float(fromHalfBits: bits)
            let reference = Float(Float16(bitPattern: bits))
            if reference.isNaN {
                XCTAssertTrue(ours.isNaN, "bits \(bits)")
            } else if ours.bitPattern != reference.bitPattern {
                XCTFail("half bits 0x\(String(bits, radix: 16)): got \(ours), expected \(reference)")
            }
        }
    }
    #endif

    func testHalfSpecialValues() {
        XCTAssertEqual(Float16Conversion.float(fromHalfBits: 0x0001), 0x1p-24)   // smallest subnormal
        XCTAssertEqual(Float16Conversion.float(fromHalfBits: 0x03FF), 1023 * 0x1p-24)
        XCTAssertEqual(Float16Conversion.float(fromHalfBits: 0x0400), 0x1p-14)   // smallest normal
        XCTAssertEqual(Float16Conversion.float(fromHalfBits: 0x3C00), 1)
        XCTAssertEqual(Float16Conversion.float(fromHalfBits: 0x7BFF), 65504)
        XCTAssertEqual(Float16Conversion.float(fromHalfBits: 0x7C00), .infinity)
        XCTAssertEqual(Float16Conversion.float(fromHalfBits: 0xFC00), -.infinity)
        XCTAssertEqual(Float16Conversion.float(fromHalfBits: 0x8000).bitPattern, 0x8000_0000)
        XCTAssertEqual(Float16Conversion.float(fromHalfBits: 0x7E00).bitPattern, 0x7FC0_0000)
        XCTAssertTrue(Float16Conversion.float(fromHalfBits: 0x7C01).isNaN)
    }

    func testBFloat16IsUpperHalfOfFloat() {
        for value: Float in [0, -0.0, 1, -2.5, .infinity, -.infinity, .greatestFiniteMagnitude, 0x1p-133, .nan] {
            let bits = UInt16(value.bitPattern >> 16)
            XCTAssertEqual(Float16Conversion.float(fromBFloat16Bits: bits).bitPattern, value.bitPattern & 0xFFFF_0000)
        }
    }

    func testDecodeIsUnalignedAndRejectsNonFloatTypes() {
        let bytes: [UInt8] = [0xAA, 0x00, 0x3C, 0x00, 0xC0]  // one pad byte, then half 1.0 and -2.0
        bytes.withUnsafeBytes { raw in
            let unaligned = UnsafeRawBufferPointer(rebasing: raw[1...])
            XCTAssertEqual(Float16Conversion.decode(unaligned, as: .f16), [1, -2])
            XCTAssertNil(Float16Conversion.decode(unaligned, as: .i16))
        }
    }
}
