@testable import DepthDiffusion

/// Every backend the conformance suite checks. Adding a backend is one line in this list; each is
/// compared with the double-precision reference and with every other backend in the list.
func conformanceBackends() throws -> [ComputeBackend] {
    [
        CPUBackend(),
    ]
}
