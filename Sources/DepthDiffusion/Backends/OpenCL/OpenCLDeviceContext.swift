import CRuntimeLibraries
import Foundation
import Synchronization

/// Everything the OpenCL backend keeps per device for the life of the process: the context, one
/// in-order command queue, the compiled programs and kernels, tile sizes and the buffer pool.
/// Backends created for the same device share it, so kernels are compiled once per process.
///
/// `@unchecked Sendable`: the OpenCL handles are thread-safe objects (OpenCL 1.2 §A.2) except a kernel's
/// arguments, which are set under `launchLock`; the kernel and program caches are guarded by `lock`.
final class OpenCLDeviceContext: @unchecked Sendable {
    let info: OpenCLDeviceInfo
    let device: cl_device_id
    let context: cl_context
    let queue: cl_command_queue
    let pool: OpenCLBufferPool
    let tiles: TileSizes
    let maxWorkGroupSize: Int
    let localMemoryBytes: Int
    private var kernels: [String: cl_kernel] = [:]
    private var programs: [String: cl_program] = [:]
    private let lock = NSLock()
    /// Held while a kernel's arguments are set and the kernel is enqueued (see `OpenCLBackend.launch`).
    let launchLock = NSLock()

    /// Work-group geometry, chosen from the device's limits.
    struct TileSizes: CustomStringConvertible {
        var tsm: Int, tsn: Int, tsk: Int, wptm: Int, wptn: Int
        var reduce: Int
        var threadsM: Int { tsm / wptm }
        var threadsN: Int { tsn / wptn }
        var description: String { "GEMM tile \(tsm)x\(tsn)x\(tsk), \(wptm)x\(wptn) per work-item; reductions \(reduce)" }
        var options: String { "-D TSM=\(tsm) -D TSN=\(tsn) -D TSK=\(tsk) -D WPTM=\(wptm) -D WPTN=\(wptn) -D REDUCE_WG=\(reduce)" }
    }

    private static let shared = Mutex<[String: OpenCLDeviceContext]>([:])

    /// The context of a device, created on first use. `selector` nil picks the first GPU, then any device.
    static func get(_ selector: OpenCLDeviceSelector?) throws -> OpenCLDeviceContext {
        let devices = OpenCLPlatforms.devices()
        guard !devices.isEmpty else {
            throw BackendError.unavailable((OpenCLPlatforms.unavailableReason ?? "no OpenCL device found") + "; or use the cpu backend")
        }
        let info: OpenCLDeviceInfo
        if let selector {
            guard let found = devices.first(where: { $0.platformIndex == selector.platform && $0.deviceIndex == selector.device }) else {
                throw BackendError.unavailable("no OpenCL device \(selector.platform):\(selector.device); available: "
                    + devices.map { "\($0.platformIndex):\($0.deviceIndex) \($0.name)" }.joined(separator: ", "))
            }
            info = found
        } else {
            info = devices.first(where: \.isGPU) ?? devices[0]
        }
        let key = "\(info.platformIndex):\(info.deviceIndex)"
        return try shared.withLock { contexts in
            if let existing = contexts[key] { return existing }
            let created = try OpenCLDeviceContext(info: info)
            contexts[key] = created
            return created
        }
    }

    private init(info: OpenCLDeviceInfo) throws {
        self.info = info
        guard let id = OpenCLPlatforms.deviceID(platform: info.platformIndex, device: info.deviceIndex) else {
            throw BackendError.unavailable("OpenCL device \(info.platformIndex):\(info.deviceIndex) disappeared")
        }
        device = id
        var status: cl_int = 0
        var dev: cl_device_id? = id
        guard let ctx = ddclCreateContext(nil, 1, &dev, nil, nil, &status), status == CL_SUCCESS else {
            try clCheck(status, "clCreateContext on \(info.name)")
            throw BackendError.unavailable("cannot create an OpenCL context on \(info.name)")
        }
        context = ctx
        guard let q = ddclCreateCommandQueue(ctx, id, 0, &status), status == CL_SUCCESS else {
            ddclReleaseContext(ctx)
            try clCheck(status, "clCreateCommandQueue on \(info.name)")
            throw BackendError.unavailable("cannot create an OpenCL queue on \(info.name)")
        }
        queue = q
        let maxWG: Int = OpenCLPlatforms.deviceValue(id, cl_device_info(CL_DEVICE_MAX_WORK_GROUP_SIZE)) ?? 64
        let localMem: cl_ulong = OpenCLPlatforms.deviceValue(id, cl_device_info(CL_DEVICE_LOCAL_MEM_SIZE)) ?? 16384
        maxWorkGroupSize = maxWG
        localMemoryBytes = Int(localMem)
        // Largest square register-tiled configuration the device allows.
        let reduce = 1 << (Int.bitWidth - 1 - min(maxWG, 256).leadingZeroBitCount)
        if maxWG >= 256 && localMem >= 16384 {
            tiles = TileSizes(tsm: 64, tsn: 64, tsk: 16, wptm: 4, wptn: 4, reduce: reduce)
        } else if maxWG >= 64 {
            tiles = TileSizes(tsm: 32, tsn: 32, tsk: 16, wptm: 4, wptn: 4, reduce: reduce)
        } else {
            tiles = TileSizes(tsm: 16, tsn: 16, tsk: 8, wptm: 4, wptn: 4, reduce: reduce)
        }
        // Keep up to a quarter of the device memory (at most 4 GiB) of released buffers for reuse.
        pool = OpenCLBufferPool(limitBytes: Int(min(info.globalMemoryBytes / 4, 4 << 30)))
    }

    func createMem(_ bytes: Int) throws -> cl_mem {
        var status: cl_int = 0
        let mem = ddclCreateBuffer(context, cl_mem_flags(CL_MEM_READ_WRITE), bytes, nil, &status)
        try clCheck(status, "ddclCreateBuffer(\(bytes) bytes)", bytes: bytes, device: info.name)
        guard let mem else { throw TensorError.outOfMemory(bytes: bytes, device: info.name) }
        return mem
    }

    /// The kernel `name` from `source` built with `options`; compiled on first use and cached.
    func kernel(_ name: String, source: String, options: String) throws -> cl_kernel {
        let key = name + "|" + options
        lock.lock(); defer { lock.unlock() }
        if let k = kernels[key] { return k }
        let program = try program(source: source, options: options)
        var status: cl_int = 0
        let k = ddclCreateKernel(program, name, &status)
        try clCheck(status, "ddclCreateKernel(\(name))")
        guard let k else { throw TensorError.backendFailure("ddclCreateKernel(\(name)) returned nothing") }
        kernels[key] = k
        return k
    }

    private func program(source: String, options: String) throws -> cl_program {
        let key = String(source.hashValueStable) + "|" + options
        if let p = programs[key] { return p }
        var status: cl_int = 0
        let program: cl_program? = source.withCString { src in
            var ptr: UnsafePointer<CChar>? = src
            return ddclCreateProgramWithSource(context, 1, &ptr, nil, &status)
        }
        try clCheck(status, "clCreateProgramWithSource")
        guard let program else { throw TensorError.backendFailure("clCreateProgramWithSource returned nothing") }
        var dev: cl_device_id? = device
        let built = ddclBuildProgram(program, 1, &dev, "-cl-std=CL1.2 " + options, nil, nil)
        if built != CL_SUCCESS {
            var size = 0
            ddclGetProgramBuildInfo(program, device, cl_program_build_info(CL_PROGRAM_BUILD_LOG), 0, nil, &size)
            var log = [CChar](repeating: 0, count: size + 1)
            ddclGetProgramBuildInfo(program, device, cl_program_build_info(CL_PROGRAM_BUILD_LOG), size, &log, nil)
            ddclReleaseProgram(program)
            let text = String(decoding: log.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw TensorError.backendFailure("OpenCL kernel build failed on \(info.name) (error \(built), options \(options)):\n\(text)")
        }
        programs[key] = program
        return program
    }
}

extension OpenCLPlatforms {
    /// The `cl_device_id` of a platform/device index pair.
    static func deviceID(platform: Int, device: Int) -> cl_device_id? {
        var platformCount: cl_uint = 0
        guard ddclGetPlatformIDs(0, nil, &platformCount) == CL_SUCCESS, platform < Int(platformCount) else { return nil }
        var platforms = [cl_platform_id?](repeating: nil, count: Int(platformCount))
        guard ddclGetPlatformIDs(platformCount, &platforms, nil) == CL_SUCCESS, let p = platforms[platform] else { return nil }
        var count: cl_uint = 0
        guard ddclGetDeviceIDs(p, cl_device_type(CL_DEVICE_TYPE_ALL), 0, nil, &count) == CL_SUCCESS, device < Int(count) else { return nil }
        var devices = [cl_device_id?](repeating: nil, count: Int(count))
        guard ddclGetDeviceIDs(p, cl_device_type(CL_DEVICE_TYPE_ALL), count, &devices, nil) == CL_SUCCESS else { return nil }
        return devices[device]
    }
}
