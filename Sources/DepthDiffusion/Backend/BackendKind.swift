import Foundation

/// Which compute backend to run on, chosen at run time.
///
/// The environment variable `DEPTHDIFFUSION_BACKEND` (`cpu`, `opencl`, `opencl:P:D` for platform P
/// and device D, or `auto`) overrides the choice made in code, so a user can switch devices without
/// rebuilding.
public enum BackendKind: Equatable, Sendable, CustomStringConvertible {
    /// The OpenBLAS CPU backend.
    case cpu
    /// The OpenCL backend on a device (`nil` picks the first GPU, then any device).
    case opencl(device: OpenCLDeviceSelector?)
    /// OpenCL on a GPU when one exists, the CPU otherwise.
    case auto

    /// Environment variable that overrides the requested backend.
    public static let environmentVariable = "DEPTHDIFFUSION_BACKEND"

    /// Parses `cpu`, `opencl`, `opencl:P:D` or `auto`.
    public init(parsing text: String) throws {
        let parts = text.lowercased().split(separator: ":").map(String.init)
        switch parts.first {
        case "cpu" where parts.count == 1: self = .cpu
        case "auto" where parts.count == 1: self = .auto
        case "opencl" where parts.count == 1: self = .opencl(device: nil)
        case "opencl" where parts.count == 3:
            guard let p = Int(parts[1]), let d = Int(parts[2]), p >= 0, d >= 0 else { fallthrough }
            self = .opencl(device: OpenCLDeviceSelector(platform: p, device: d))
        default: throw BackendError.unknownBackend(text)
        }
    }

    public var description: String {
        switch self {
        case .cpu: return "cpu"
        case .auto: return "auto"
        case .opencl(nil): return "opencl"
        case .opencl(let s?): return "opencl:\(s.platform):\(s.device)"
        }
    }

    /// Creates the backend, applying the environment override first.
    public func makeBackend(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ComputeBackend {
        var kind = self
        if let override = environment[Self.environmentVariable], !override.isEmpty {
            kind = try BackendKind(parsing: override)
        }
        switch kind {
        case .cpu: return try CPUBackend()
        case .opencl(let selector): return try OpenCLBackend(device: selector)
        case .auto:
            // A GPU through OpenCL when there is one, the CPU otherwise (PoCL's CPU device is not faster than OpenBLAS).
            if let gpu = OpenCLPlatforms.devices().first(where: \.isGPU),
               let backend = try? OpenCLBackend(device: OpenCLDeviceSelector(platform: gpu.platformIndex, device: gpu.deviceIndex)) {
                return backend
            }
            return try CPUBackend()
        }
    }

    /// The backends usable on this machine, with a description of each device.
    /// Both libraries are opened at run time, so a backend whose library is missing is listed by
    /// ``unavailable()`` instead.
    public static func available() -> [(kind: BackendKind, description: String)] {
        var list: [(BackendKind, String)] = []
        if let cpu = try? CPUBackend() { list.append((.cpu, cpu.deviceDescription)) }
        for d in OpenCLPlatforms.devices() {
            list.append((.opencl(device: OpenCLDeviceSelector(platform: d.platformIndex, device: d.deviceIndex)), d.summary))
        }
        return list
    }

    /// The backends that cannot run on this machine, each with the reason and what to install.
    public static func unavailable() -> [(backend: String, reason: String)] {
        var list: [(String, String)] = []
        do { try OpenBLASLibrary.load() } catch { list.append(("cpu", "\(error)")) }
        if let reason = OpenCLPlatforms.unavailableReason { list.append(("opencl", reason)) }
        return list
    }
}

/// A platform and device index pair, as `clGetPlatformIDs` / `clGetDeviceIDs` list them.
public struct OpenCLDeviceSelector: Equatable, Sendable {
    public var platform: Int
    public var device: Int
    public init(platform: Int, device: Int) { self.platform = platform; self.device = device }
}

/// Errors raised while choosing or creating a backend.
public enum BackendError: Error, CustomStringConvertible, Equatable {
    case unknownBackend(String)
    case unavailable(String)
    /// A size, stride or offset of an operation does not fit the backend's index type (32-bit for OpenCL kernels).
    case sizeOutOfRange(operation: String, value: Int, limit: Int)
    public var description: String {
        switch self {
        case .unknownBackend(let s): return "unknown backend '\(s)': use cpu, opencl, opencl:PLATFORM:DEVICE or auto"
        case .unavailable(let s): return s
        case let .sizeOutOfRange(operation, value, limit):
            return "\(operation): the size \(value) exceeds this backend's limit of \(limit); use a smaller image or batch, or the cpu backend"
        }
    }
}
