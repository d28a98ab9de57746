import CRuntimeLibraries

/// OpenBLAS, opened at run time by the CPU backend.
///
/// OpenBLAS picks its kernel once, in its library constructor, from `OPENBLAS_CORETYPE` or its own table of
/// processor models; a model it does not know (such as a recent Intel Xeon for Debian's 0.3.21) gets the
/// generic SSE3 "Prescott" kernel, several times slower. Opening the library ourselves lets the kernel be
/// chosen from the processor's feature bits first: AVX-512 with BF16 → `Cooperlake`, AVX-512 → `SkylakeX`,
/// AVX2 + FMA → `Zen` (AMD) or `Haswell`, AVX → `Sandybridge`. A `OPENBLAS_CORETYPE` set by the user or the
/// machine is always kept, and the environment is left as it was after loading.
public enum OpenBLASLibrary {
    /// How the running kernel was chosen.
    public enum CoreChoice: String, Sendable {
        /// `OPENBLAS_CORETYPE` was set before the library was loaded.
        case environment = "OPENBLAS_CORETYPE"
        /// Chosen by DepthDiffusion from CPUID feature bits.
        case cpuid = "CPUID"
        /// OpenBLAS's own processor detection (the processor has no AVX).
        case openBLAS = "OpenBLAS detection"
    }

    /// Loads `libopenblas.so.0` (once per process) or throws ``BackendError/unavailable(_:)`` saying how to
    /// install it.
    public static func load() throws {
        var message = [CChar](repeating: 0, count: 512)
        guard dd_blas_load(&message, message.count) == 0 else {
            throw BackendError.unavailable(String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
    }

    /// The kernel OpenBLAS runs (`openblas_get_corename`), e.g. `"Cooperlake"`; `nil` when not loaded.
    public static var coreName: String? { dd_blas_corename().map { String(cString: $0) } }

    /// The kernel chosen from this processor's CPUID feature bits, whether or not it is in use.
    public static var cpuidCore: String? { dd_blas_cpuid_core().map { String(cString: $0) } }

    /// How the running kernel was chosen; `nil` when not loaded.
    public static var coreChoice: CoreChoice? {
        switch dd_blas_core_source() {
        case 1: return .environment
        case 2: return .cpuid
        case 3: return .openBLAS
        default: return nil
        }
    }

    /// The `OPENBLAS_THREAD_TIMEOUT` OpenBLAS read when it was loaded, and whether DepthDiffusion chose it;
    /// `nil` when not loaded.
    ///
    /// After each threaded GEMM, OpenBLAS's idle threads spin for 2^value cycles before they sleep (2^28,
    /// about 70 ms, by default). Spinning, they take cores from the kernels that run on the backend's own
    /// workers between GEMMs, so when the environment has no value, the library loads OpenBLAS with 16
    /// (about 16 µs): the UNet step ran 10-15 % faster on 2 cores (AMD Zen 5). A value set by the user
    /// is kept, and the environment is left as it was.
    public static var idleThreadTimeout: (exponent: String, chosenByDepthDiffusion: Bool)? {
        guard let value = dd_blas_thread_timeout() else { return nil }
        return (String(cString: value), dd_blas_thread_timeout_source() == 2)
    }

    /// "kernel `core` (from `choice`)", the part of ``CPUBackend/deviceDescription`` about OpenBLAS. When
    /// `OPENBLAS_CORETYPE` chose a kernel other than the one this processor's CPUID bits give, it says so, so
    /// that a machine-wide setting that slows the library down is visible (`list-backends`, `depth-bench`):
    /// "kernel Haswell (from OPENBLAS_CORETYPE; this CPU can run Cooperlake)".
    public static func describeKernel(core: String?, choice: CoreChoice?, cpuidCore: String?) -> String {
        let core = core ?? "unknown"
        var text = "kernel \(core) (from \(choice?.rawValue ?? "unknown")"
        if choice == .environment, let cpuidCore, cpuidCore.lowercased() != core.lowercased() {
            text += "; this CPU can run \(cpuidCore)"
        }
        return text + ")"
    }

    /// OpenBLAS's build configuration (`openblas_get_config`); `nil` when not loaded.
    public static var config: String? { dd_blas_config().map { String(cString: $0) } }

    /// OpenBLAS's thread count (process-wide).
    static var threads: Int {
        get { Int(dd_blas_get_threads()) }
        set { dd_blas_set_threads(Int32(newValue)) }
    }
}
