import CRuntimeLibraries
import Foundation

/// An OpenCL device found on this machine.
public struct OpenCLDeviceInfo: Sendable, Equatable {
    /// Index of the platform in `clGetPlatformIDs` order.
    public var platformIndex: Int
    /// Index of the device within its platform.
    public var deviceIndex: Int
    public var platformName: String
    public var name: String
    public var vendor: String
    public var isGPU: Bool
    public var globalMemoryBytes: UInt64
    public var computeUnits: Int

    /// One-line description, e.g. `"NVIDIA H100 (NVIDIA Corporation, GPU, 132 CUs, 79.1 GiB) on NVIDIA CUDA"`.
    public var summary: String {
        let gib = Double(globalMemoryBytes) / Double(1 << 30)
        return "\(name) (\(vendor), \(isGPU ? "GPU" : "CPU/other"), \(computeUnits) CUs, \(String(format: "%.1f", gib)) GiB) on \(platformName)"
    }
}

/// Enumeration of OpenCL platforms and devices through the ICD loader.
public enum OpenCLPlatforms {
    /// Why OpenCL cannot be used on this machine, or `nil` when at least one device is there: the ICD loader
    /// `libOpenCL.so.1` is missing (it is opened at run time, so the CPU backend works without it), or no
    /// driver (ICD) provides a platform with a device.
    public static var unavailableReason: String? {
        if let error = loaderError { return error }
        if devices().isEmpty {
            return "no OpenCL device found: install an OpenCL driver (a GPU vendor's ICD, or pocl-opencl-icd for the CPU)"
        }
        return nil
    }

    /// The ICD loader's load error, or `nil` once it is loaded (loads it on first use).
    static var loaderError: String? {
        var message = [CChar](repeating: 0, count: 512)
        guard dd_cl_load(&message, message.count) != 0 else { return nil }
        return String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Every device of every platform; empty when no OpenCL runtime is installed.
    public static func devices() -> [OpenCLDeviceInfo] {
        guard loaderError == nil else { return [] }
        var platformCount: cl_uint = 0
        guard ddclGetPlatformIDs(0, nil, &platformCount) == CL_SUCCESS, platformCount > 0 else { return [] }
        var platforms = [cl_platform_id?](repeating: nil, count: Int(platformCount))
        guard ddclGetPlatformIDs(platformCount, &platforms, nil) == CL_SUCCESS else { return [] }
        var result: [OpenCLDeviceInfo] = []
        for (pi, platform) in platforms.enumerated() {
            guard let platform else { continue }
            let platformName = platformString(platform, cl_platform_info(CL_PLATFORM_NAME))
            var deviceCount: cl_uint = 0
            guard ddclGetDeviceIDs(platform, cl_device_type(CL_DEVICE_TYPE_ALL), 0, nil, &deviceCount) == CL_SUCCESS,
                  deviceCount > 0 else { continue }
            var devices = [cl_device_id?](repeating: nil, count: Int(deviceCount))
            guard ddclGetDeviceIDs(platform, cl_device_type(CL_DEVICE_TYPE_ALL), deviceCount, &devices, nil) == CL_SUCCESS else { continue }
            for (di, device) in devices.enumerated() {
                guard let device else { continue }
                let type: cl_device_type = deviceValue(device, cl_device_info(CL_DEVICE_TYPE)) ?? 0
                let memory: cl_ulong = deviceValue(device, cl_device_info(CL_DEVICE_GLOBAL_MEM_SIZE)) ?? 0
                let units: cl_uint = deviceValue(device, cl_device_info(CL_DEVICE_MAX_COMPUTE_UNITS)) ?? 0
                result.append(OpenCLDeviceInfo(
                    platformIndex: pi, deviceIndex: di, platformName: platformName,
                    name: deviceString(device, cl_device_info(CL_DEVICE_NAME)),
                    vendor: deviceString(device, cl_device_info(CL_DEVICE_VENDOR)),
                    isGPU: type & cl_device_type(CL_DEVICE_TYPE_GPU) != 0,
                    globalMemoryBytes: UInt64(memory), computeUnits: Int(units)))
            }
        }
        return result
    }

    static func platformString(_ p: cl_platform_id, _ param: cl_platform_info) -> String {
        infoString { ddclGetPlatformInfo(p, param, $0, $1, $2) }
    }

    static func deviceString(_ d: cl_device_id, _ param: cl_device_info) -> String {
        infoString { ddclGetDeviceInfo(d, param, $0, $1, $2) }.trimmingCharacters(in: .whitespaces)
    }

    /// A string-valued `clGet*Info` query: asks for the size, then the bytes; empty on failure.
    private static func infoString(_ query: (Int, UnsafeMutableRawPointer?, UnsafeMutablePointer<Int>?) -> cl_int) -> String {
        var size = 0
        guard query(0, nil, &size) == CL_SUCCESS, size > 0 else { return "" }
        var bytes = [CChar](repeating: 0, count: size + 1)
        guard bytes.withUnsafeMutableBytes({ query(size, $0.baseAddress, nil) }) == CL_SUCCESS else { return "" }
        return String(decoding: bytes.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func deviceValue<T>(_ d: cl_device_id, _ param: cl_device_info) -> T? {
        var value = [UInt8](repeating: 0, count: MemoryLayout<T>.size)
        guard ddclGetDeviceInfo(d, param, MemoryLayout<T>.size, &value, nil) == CL_SUCCESS else { return nil }
        return value.withUnsafeBytes { $0.loadUnaligned(as: T.self) }
    }
}
