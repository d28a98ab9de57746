import XCTest
@testable import DepthDiffusion

final class SafeTensorsDTypeTests: XCTestCase {
    func testElementSizesAndByteCounts() {
        XCTAssertEqual(SafeTensorsDType.f32.elementSize, 4)
        XCTAssertEqual(SafeTensorsDType.f16.elementSize, 2)
        XCTAssertEqual(SafeTensorsDType.bf16.elementSize, 2)
        XCTAssertEqual(SafeTensorsDType.i64.elementSize, 8)
        XCTAssertEqual(SafeTensorsDType.f8E4M3.elementSize, 1)
        XCTAssertNil(SafeTensorsDType.f4.elementSize)
        XCTAssertEqual(SafeTensorsDType.f4.byteCount(elementCount: 6), 3)
        XCTAssertNil(SafeTensorsDType.f4.byteCount(elementCount: 3))
        XCTAssertNil(SafeTensorsDType.f64.byteCount(elementCount: .max))
        XCTAssertEqual(SafeTensorsDType(rawValue: "BF16"), .bf16)
        XCTAssertEqual(SafeTensorsDType.allCases.filter(\.isFloatLoadable), [.f16, .bf16, .f32])
    }
}
