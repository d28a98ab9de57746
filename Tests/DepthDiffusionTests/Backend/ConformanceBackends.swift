import Foundation
@testable import DepthDiffusion

/// Every backend the conformance suite checks. Adding a backend is one line in this list; each is
/// compared with the double-precision reference and with every other backend in the list.
///
/// The OpenCL backend joins when the machine has an OpenCL device (PoCL in CI). CI sets
/// `DEPTHDIFFUSION_REQUIRE_OPENCL=1`, which turns a missing device into a failure instead of a skip.
func conformanceBackends() throws -> [ComputeBackend] {
    [
        try CPUBackend(),
        try openCLBackendIfPresent(),
    ].compactMap { $0 }
}

/// The backends of ``conformanceBackends()``, then each of them reduced to its mandatory kernels
/// (``MandatoryKernelsBackend``): every tensor-level operation is checked on the backends' optional
/// kernels and on its generic fallback, against the reference and against each other.
func conformanceBackendsWithFallbacks() throws -> [ComputeBackend] {
    let backends = try conformanceBackends()
    return backends + backends.map { MandatoryKernelsBackend($0) }
}

/// The default OpenCL backend, or nil when no OpenCL device exists (and none is required).
func openCLBackendIfPresent() throws -> ComputeBackend? {
    if OpenCLPlatforms.devices().isEmpty {
        if ProcessInfo.processInfo.environment["DEPTHDIFFUSION_REQUIRE_OPENCL"] == "1" {
            throw BackendError.unavailable("DEPTHDIFFUSION_REQUIRE_OPENCL=1 but no OpenCL device was found")
        }
        return nil
    }
    return try OpenCLBackend()
}
