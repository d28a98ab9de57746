import XCTest
@testable import DepthDiffusion

final class BackendSelectionTests: XCTestCase {
    func testParsing() throws {
        XCTAssertEqual(try BackendKind(parsing: "cpu"), .cpu)
        XCTAssertEqual(try BackendKind(parsing: "AUTO"), .auto)
        XCTAssertEqual(try BackendKind(parsing: "opencl"), .opencl(device: nil))
        XCTAssertEqual(try BackendKind(parsing: "opencl:1:2"), .opencl(device: OpenCLDeviceSelector(platform: 1, device: 2)))
        for bad in ["", "gpu", "opencl:1", "opencl:a:b", "cpu:0", "opencl:-1:0"] {
            XCTAssertThrowsError(try BackendKind(parsing: bad)) { error in
                XCTAssertTrue("\(error)".contains("use cpu, opencl"), "\(error)")
            }
        }
    }

    func testEnvironmentOverridesChoice() throws {
        XCTAssertEqual(try BackendKind.auto.makeBackend(environment: [BackendKind.environmentVariable: "cpu"]).name, "cpu")
        XCTAssertThrowsError(try BackendKind.cpu.makeBackend(environment: [BackendKind.environmentVariable: "tpu"]))
        XCTAssertEqual(try BackendKind.cpu.makeBackend(environment: [:]).name, "cpu")
    }

    func testOpenCLDeviceSelection() throws {
        XCTAssertThrowsError(try BackendKind.opencl(device: OpenCLDeviceSelector(platform: 99, device: 0)).makeBackend(environment: [:])) { error in
            XCTAssertTrue("\(error)".contains("no OpenCL device"), "\(error)")
        }
        guard !OpenCLPlatforms.devices().isEmpty else { return }
        let backend = try BackendKind.opencl(device: nil).makeBackend(environment: [:])
        XCTAssertEqual(backend.name, "opencl")
        XCTAssertTrue(backend.deviceDescription.contains("GEMM tile"), backend.deviceDescription)
        XCTAssertEqual(try BackendKind.cpu.makeBackend(environment: [BackendKind.environmentVariable: "opencl:0:0"]).name, "opencl")
    }

    func testAvailableListsCPUAndDescribesDevices() {
        let list = BackendKind.available()
        XCTAssertEqual(list.first?.kind, .cpu)
        XCTAssertTrue(list.first?.description.contains("OpenBLAS") ?? false)
        // Every OpenCL device found (PoCL in CI) is listed with a name and its memory.
        for (kind, description) in list.dropFirst() {
            guard case .opencl(let selector?) = kind else { return XCTFail("unexpected \(kind)") }
            XCTAssertGreaterThanOrEqual(selector.platform, 0)
            XCTAssertTrue(description.contains("GiB"), description)
        }
        XCTAssertEqual(OpenCLPlatforms.devices().count, list.count - 1)
    }

    func testTensorsOfDifferentBackendsAreRejected() throws {
        let a = try CPUBackend(), b = try CPUBackend()
        let x = try Tensor(shape: [2], data: [1, 2], on: a), y = try Tensor(shape: [2], data: [3, 4], on: b)
        XCTAssertThrowsError(try a.add(x, y)) { XCTAssertEqual($0 as? TensorError, .backendMismatch(operation: "add")) }
        XCTAssertEqual(try a.add(x, y.to(a)).toArray(), [4, 6])
        XCTAssertThrowsError(try Tensor(shape: [3], data: [1, 2], on: a))
        XCTAssertThrowsError(try Tensor(shape: [-1], data: [], on: a))
    }
}
