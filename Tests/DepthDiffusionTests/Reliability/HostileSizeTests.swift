import DepthDiffusionImageIO
import Foundation
import XCTest
@testable import DepthDiffusion

/// Sizes that would overflow, narrow silently or exhaust memory are refused with typed errors before allocating.
final class HostileSizeTests: XCTestCase {
    func testTensorShapesAreCountedWithoutOverflow() throws {
        let backend = try CPUBackend()
        for shape in [[1 << 40, 1 << 40], [Int.max, 2], [3, -1], [1 << 62]] {
            XCTAssertThrowsError(try Tensor(uninitializedShape: shape, on: backend)) { error in
                guard case .invalidArgument = error as? TensorError else { return XCTFail("\(error)") }
            }
        }
        XCTAssertEqual(try Tensor.elementCount([0, Int.max]), 0)
        let small = try Tensor(shape: [2, 3], repeating: 1, on: backend)
        XCTAssertThrowsError(try small.reshaped([-1, Int.max, 4]))
        XCTAssertThrowsError(try small.reshaped([1 << 40, 1 << 40]))
        XCTAssertEqual(try small.reshaped([3, -1]).shape, [3, 2])
    }

    func testImageAndDepthSizesAreCheckedWithoutOverflow() {
        XCTAssertThrowsError(try RGBImage(width: 1 << 62, height: 4, pixels: []))
        XCTAssertThrowsError(try DepthMap(width: Int.max, height: Int.max, values: []))
        XCTAssertThrowsError(try DepthMap(width: -2, height: -2, values: [1, 2, 3, 4]))
    }

    func testAbsurdConfigShapesAreRefusedBeforeAllocatingPlaceholders() throws {
        let backend = try CPUBackend()
        let folder = try ModelFolder(url: PipelineParityTests.modelURL)
        // A config within the size limits but far larger than its checkpoint: every parameter is mis-shaped. Binding
        // stops once the placeholders would pass the budget, instead of allocating gigabytes of zeros.
        var config = try UNet2DConditionConfig(contentsOf: PipelineParityTests.modelURL.appendingPathComponent("unet/config.json"))
        config.blockOutChannels = [8192, 8192]
        let binder = WeightBinder(source: try folder.weights("unet"), backend: backend)
        let start = Date()
        XCTAssertThrowsError(try UNet2DConditionModel(config: config, weights: binder)) { error in
            guard let binding = error as? WeightBindingError else { return XCTFail("\(error)") }
            XCTAssertFalse(binding.isComplete)
            XCTAssertFalse(binding.shapeMismatches.isEmpty)
            XCTAssertTrue("\(binding)".contains("stopped early"), "\(binding)")
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 20)
        // A shape whose element count overflows (the binder, used directly with any sizes).
        XCTAssertThrowsError(try binder.scope("x").tensor("weight", shape: [1 << 40, 1 << 40])) { error in
            XCTAssertTrue(error is ConfigError, "\(error)")
            XCTAssertTrue("\(error)".contains("x.weight would have shape"), "\(error)")
        }
        // Missing parameters of a sane model are still all listed.
        let empty = WeightBinder(source: try folder.weights("vae"), backend: backend)
        XCTAssertThrowsError(try { _ = try UNet2DConditionModel(config: config.sd2DepthSmall, weights: empty); try empty.finish() }()) { error in
            guard let binding = error as? WeightBindingError else { return XCTFail("\(error)") }
            XCTAssertTrue(binding.isComplete)
            XCTAssertGreaterThan(binding.missing.count, 20)
        }
    }

    func testOpenCLArgumentsOutsideInt32AreErrors() throws {
        XCTAssertEqual(try OpenCLBackend.int32(Int(Int32.max), "k"), Int32.max)
        XCTAssertThrowsError(try OpenCLBackend.int32(Int(Int32.max) + 1, "copy")) { error in
            XCTAssertEqual(error as? BackendError, .sizeOutOfRange(operation: "copy", value: Int(Int32.max) + 1, limit: Int(Int32.max)))
            XCTAssertTrue("\(error)".contains("cpu backend"), "\(error)")
        }
        XCTAssertThrowsError(try OpenCLBackend.int32(-(1 << 40), "k"))
        XCTAssertEqual(try OpenCLBackend.indexMap([2, 3], [3, 1], [0, 1]).count, 20)
        XCTAssertThrowsError(try OpenCLBackend.indexMap([2, 3], [1 << 33, 1], [0, 1]))
        XCTAssertThrowsError(try OpenCLBackend.indexMap([2], [1], [1], offsetA: 1 << 31))
    }
}

private extension UNet2DConditionConfig {
    /// The demo UNet's structure, so the VAE's weights miss every one of its parameters.
    var sd2DepthSmall: UNet2DConditionConfig { var c = self; c.blockOutChannels = [32, 64]; return c }
}
