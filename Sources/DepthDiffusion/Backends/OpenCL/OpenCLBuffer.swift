import CRuntimeLibraries
import Foundation

/// Device memory of the OpenCL backend, recycled through the device's pool when released.
///
/// `@unchecked Sendable`: an immutable handle; `cl_mem` objects may be used from any thread (OpenCL 1.2
/// §A.2), and the memory is written only by commands on the device's in-order queue.
final class OpenCLBuffer: DeviceBuffer, @unchecked Sendable {
    let count: Int
    let mem: cl_mem
    let bytes: Int
    private let pool: OpenCLBufferPool

    init(count: Int, context: OpenCLDeviceContext) throws {
        self.count = count
        bytes = BufferPool.roundedBytes(max(count, 1) * MemoryLayout<Float>.stride)
        pool = context.pool
        mem = try pool.take(bytes) ?? context.createMem(bytes)
    }

    deinit { pool.give(mem, bytes) }
}

/// Released device buffers keyed by size, so the denoising loop reuses allocations instead of
/// creating and releasing `cl_mem` objects every step. Holds at most its limit (`setLimit(_:)`).
///
/// `@unchecked Sendable`: `cl_mem` handles are not `Sendable` types, but they may be used from any thread,
/// and every mutable property is accessed under `lock`.
final class OpenCLBufferPool: @unchecked Sendable {
    private var free: [Int: [cl_mem]] = [:]
    private var held = 0
    private let lock = NSLock()
    private var limit: Int

    init(limitBytes: Int) { limit = limitBytes }

    /// Holds at most `bytes` from now on, starting empty.
    func setLimit(_ bytes: Int) {
        lock.withLock { limit = max(0, bytes) }
        trim()
    }

    func take(_ bytes: Int) -> cl_mem? {
        lock.lock(); defer { lock.unlock() }
        guard var list = free[bytes], let mem = list.popLast() else { return nil }
        free[bytes] = list
        held -= bytes
        return mem
    }

    func give(_ mem: cl_mem, _ bytes: Int) {
        lock.lock(); defer { lock.unlock() }
        if held + bytes > limit {
            ddclReleaseMemObject(mem)
            return
        }
        free[bytes, default: []].append(mem)
        held += bytes
    }

    /// Releases every cached buffer.
    func trim() {
        lock.lock(); defer { lock.unlock() }
        for list in free.values { for mem in list { ddclReleaseMemObject(mem) } }
        free.removeAll(); held = 0
    }
}
