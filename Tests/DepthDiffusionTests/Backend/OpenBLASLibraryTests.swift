import XCTest
@testable import DepthDiffusion

/// OpenBLAS is opened at run time with its kernel chosen from CPUID unless `OPENBLAS_CORETYPE` was set.
final class OpenBLASLibraryTests: XCTestCase {
    func testLoadsAndReportsTheKernelItRuns() throws {
        try OpenBLASLibrary.load()
        let core = try XCTUnwrap(OpenBLASLibrary.coreName)
        XCTAssertFalse(core.isEmpty)
        XCTAssertTrue(OpenBLASLibrary.config?.hasPrefix("OpenBLAS") ?? false, OpenBLASLibrary.config ?? "nil")
        let backend = try CPUBackend()
        XCTAssertTrue(backend.deviceDescription.contains("kernel \(core)"), backend.deviceDescription)
    }

    func testKernelFollowsCPUIDUnlessTheEnvironmentChoseOne() throws {
        try OpenBLASLibrary.load()
        let choice = try XCTUnwrap(OpenBLASLibrary.coreChoice)
        let preset = ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"]
        if let preset, !preset.isEmpty {
            // A machine or user setting is never replaced.
            XCTAssertEqual(choice, .environment)
        } else if let cpuid = OpenBLASLibrary.cpuidCore {
            XCTAssertEqual(choice, .cpuid)
            XCTAssertEqual(OpenBLASLibrary.coreName?.lowercased(), cpuid.lowercased())
            // The variable was set for OpenBLAS's constructor only.
            XCTAssertNil(ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"])
        } else {
            XCTAssertEqual(choice, .openBLAS)
        }
    }

    func testIdleThreadsSleepSoonUnlessTheEnvironmentSaysOtherwise() throws {
        try OpenBLASLibrary.load()
        let timeout = try XCTUnwrap(OpenBLASLibrary.idleThreadTimeout)
        if let preset = ProcessInfo.processInfo.environment["OPENBLAS_THREAD_TIMEOUT"], !preset.isEmpty {
            XCTAssertEqual(timeout.exponent, preset)
            XCTAssertFalse(timeout.chosenByDepthDiffusion)
        } else {
            XCTAssertEqual(timeout.exponent, "16")
            XCTAssertTrue(timeout.chosenByDepthDiffusion)
            // Set for OpenBLAS's constructor only.
            XCTAssertNil(ProcessInfo.processInfo.environment["OPENBLAS_THREAD_TIMEOUT"])
        }
    }

    func testDescriptionSaysWhenTheEnvironmentChoseAnotherKernelThanCPUID() {
        XCTAssertEqual(OpenBLASLibrary.describeKernel(core: "Haswell", choice: .environment, cpuidCore: "Cooperlake"),
                       "kernel Haswell (from OPENBLAS_CORETYPE; this CPU can run Cooperlake)")
        // OpenBLAS reports lower-case names for some kernels.
        XCTAssertEqual(OpenBLASLibrary.describeKernel(core: "cooperlake", choice: .environment, cpuidCore: "Cooperlake"),
                       "kernel cooperlake (from OPENBLAS_CORETYPE)")
        XCTAssertEqual(OpenBLASLibrary.describeKernel(core: "Cooperlake", choice: .cpuid, cpuidCore: "Cooperlake"),
                       "kernel Cooperlake (from CPUID)")
        XCTAssertEqual(OpenBLASLibrary.describeKernel(core: nil, choice: nil, cpuidCore: nil), "kernel unknown (from unknown)")
        // The running backend describes the kernel it loaded the same way.
        if let backend = try? CPUBackend() {
            let expected = OpenBLASLibrary.describeKernel(core: OpenBLASLibrary.coreName, choice: OpenBLASLibrary.coreChoice,
                                                          cpuidCore: OpenBLASLibrary.cpuidCore)
            XCTAssertTrue(backend.deviceDescription.contains(expected), backend.deviceDescription)
        }
    }

    func testCPUIDChoiceMatchesTheProcessorFlags() throws {
        let flags = Set((try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("flags") }?
            .split(separator: " ").map(String.init) ?? [])
        try XCTSkipIf(flags.isEmpty, "no /proc/cpuinfo flags")
        let avx512 = ["avx512f", "avx512dq", "avx512cd", "avx512bw", "avx512vl"].allSatisfy(flags.contains)
        let expected: String?
        if avx512 && flags.contains("avx512_bf16") { expected = "Cooperlake" }
        else if avx512 { expected = "SkylakeX" }
        else if flags.contains("avx2") && flags.contains("fma") {
            let amd = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?.contains("AuthenticAMD") ?? false
            expected = amd ? "Zen" : "Haswell"
        } else if flags.contains("avx") { expected = "Sandybridge" }
        else { expected = nil }
        XCTAssertEqual(OpenBLASLibrary.cpuidCore, expected)
        // Never the generic kernels on a processor with AVX2 or AVX-512.
        if flags.contains("avx2"), ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] == nil {
            try OpenBLASLibrary.load()
            XCTAssertFalse(["Prescott", "Core2", "Nehalem"].contains(OpenBLASLibrary.coreName ?? ""))
        }
    }

    func testUnavailableBackendsAreExplainedNotHidden() {
        let available = BackendKind.available().map(\.kind)
        let unavailable = BackendKind.unavailable()
        XCTAssertTrue(available.contains(.cpu))
        // OpenCL is either listed with devices or explained.
        let hasOpenCL = available.contains { if case .opencl = $0 { return true } else { return false } }
        XCTAssertNotEqual(hasOpenCL, unavailable.contains { $0.backend == "opencl" })
        for entry in unavailable { XCTAssertFalse(entry.reason.isEmpty) }
    }
}
