#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Host memory of the CPU backend: 64-byte aligned float32 storage, recycled through a ``BufferPool``.
///
/// `@unchecked Sendable`: the class is an immutable handle (count, pointer, pool); the memory behind it is
/// written only by the backend's kernels, and like any device buffer it is the caller's job not to write
/// one buffer from two threads at once (the models only read their weights; each call has its own activations).
final class CPUBuffer: DeviceBuffer, @unchecked Sendable {
    let count: Int
    let pointer: UnsafeMutablePointer<Float>
    private let pool: BufferPool?
    private let bytes: Int
    /// Bytes at the end returned to the system by ``releasePages(after:)``.
    private var releasedBytes = 0

    init(count: Int, pool: BufferPool? = nil) throws {
        let (exact, overflow) = max(count, 1).multipliedReportingOverflow(by: MemoryLayout<Float>.stride)
        guard !overflow, exact <= Int.max / 2 else { throw TensorError.outOfMemory(bytes: Int.max, device: "CPU") }
        bytes = BufferPool.pageRounded(exact)
        let raw = try pool?.take(bytes) ?? BufferPool.allocate(bytes)
        self.count = count
        self.pool = pool
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
    }

    /// Returns the whole pages inside the floats `range` to the system when the buffer is mapped directly (they
    /// read as zeros when touched again), without changing the pool's count: for memory that is about to be
    /// written again, or that ``releasePages(after:)`` will release. With `hugePages` false, the range is then
    /// faulted back in 4 KiB pages, not 2 MiB ones (a buffer written a few rows of every channel at a time would
    /// otherwise be wholly resident after its first rows), until ``allowHugePages()``.
    func discardPages(_ range: Range<Int>, hugePages: Bool = true) {
        guard bytes >= BufferPool.directThreshold else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE))), stride = MemoryLayout<Float>.stride
        let lo = (range.lowerBound * stride + page - 1) / page * page
        let hi = min(bytes, range.upperBound * stride) / page * page
        guard hi > lo else { return }
        _ = madvise(UnsafeMutableRawPointer(pointer) + lo, hi - lo, MADV_DONTNEED)
        if !hugePages { _ = madvise(UnsafeMutableRawPointer(pointer) + lo, hi - lo, MADV_NOHUGEPAGE) }
    }

    /// Lets the kernel back the buffer with transparent huge pages again (as ``BufferPool/allocate(_:)`` asks).
    func allowHugePages() {
        guard bytes >= BufferPool.directThreshold else { return }
        _ = madvise(UnsafeMutableRawPointer(pointer), bytes, MADV_HUGEPAGE)
    }

    /// Returns the whole pages past the first `count` floats to the system (when the buffer was mapped
    /// directly); they read as zeros when touched again. The buffer keeps its size.
    func releasePages(after count: Int) {
        guard bytes >= BufferPool.directThreshold else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = (count * MemoryLayout<Float>.stride + page - 1) / page * page
        guard start < bytes - releasedBytes else { return }
        _ = madvise(UnsafeMutableRawPointer(pointer) + start, bytes - start, MADV_DONTNEED)
        pool?.forget(bytes - start - releasedBytes)
        releasedBytes = bytes - start
    }

    deinit {
        if let pool {
            pool.give(UnsafeMutableRawPointer(pointer), bytes, released: releasedBytes)
        } else {
            BufferPool.release(pointer, bytes)
        }
    }
}

/// A cache of freed allocations keyed by size, so that the activations of one denoising step reuse
/// the pages of the previous one instead of faulting in fresh memory. Holds at most `limitBytes`.
///
/// The cache never raises the process's peak memory: live plus cached bytes never exceed the most live bytes
/// there ever were, because a request the cache cannot serve first returns enough cached memory to the
/// system. Allocations of ``directThreshold`` bytes or more are mapped and unmapped directly (not through
/// `malloc`, whose heap would keep freed pages resident) and ask for transparent huge pages, so that the fresh
/// memory of a miss faults in 2 MiB at a time (a VAE decode at 512x512 ran 1.3x slower with 4 KiB faults).
/// Smaller ones come from `malloc`. (A threshold of 4 MiB left 50-60 MB more in the heap at the pipeline's
/// peak, and the text encoder ran within the noise of this one.)
///
/// `@unchecked Sendable`: raw pointers are not `Sendable` types; every mutable property is accessed under
/// `lock`, and a pointer handed out is owned by one ``CPUBuffer`` until it is given back.
final class BufferPool: @unchecked Sendable {
    private var free: [Int: [UnsafeMutableRawPointer]] = [:]
    private var order: [(bytes: Int, pointer: UnsafeMutableRawPointer)] = []
    private var held = 0
    /// Bytes handed out and not given back, and the most there ever were.
    private var live = 0, peakLive = 0
    private let lock = NSLock()
    private var limit: Int

    init(limitBytes: Int) { limit = limitBytes }

    /// The most bytes the pool holds; lowering it frees what is over the new limit.
    var limitBytes: Int {
        get { lock.lock(); defer { lock.unlock() }; return limit }
        set {
            lock.lock(); defer { lock.unlock() }
            limit = max(0, newValue)
            evict()
        }
    }

    deinit { for p in order { Self.release(p.pointer, p.bytes) } }

    /// The bytes cached now.
    var heldBytes: Int { lock.lock(); defer { lock.unlock() }; return held }

    /// The bytes handed out and not given back (less pages returned with ``forget(_:)``).
    var liveBytes: Int { lock.lock(); defer { lock.unlock() }; return live }

    /// Allocations at least this large (256 KiB) are `mmap`ed, and `munmap`ed when freed.
    static let directThreshold = 256 << 10

    /// Whole 4 KiB pages: the CPU backend's sizes. (Rounding further would leave the slack of each weight resident
    /// whenever a transparent huge page covers it: 50 MB of the full-size pipeline's weights.)
    static func pageRounded(_ bytes: Int) -> Int { (bytes + 4095) & ~4095 }

    /// Sizes rounded so that nearby requests share entries: to 4 KiB below 1 MiB, then to 1/16 of the power of two
    /// (the OpenCL backend's device buffers).
    static func roundedBytes(_ bytes: Int) -> Int {
        if bytes <= 1 << 20 { return pageRounded(bytes) }
        let step = max(4096, (1 << (Int.bitWidth - bytes.leadingZeroBitCount - 1)) / 16)
        return (bytes + step - 1) / step * step
    }

    static func allocate(_ bytes: Int) throws -> UnsafeMutableRawPointer {
        if bytes >= directThreshold {
            guard let raw = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
                  raw != MAP_FAILED else {
                throw TensorError.outOfMemory(bytes: bytes, device: "CPU")
            }
            _ = madvise(raw, bytes, MADV_HUGEPAGE)
            return raw
        }
        var raw: UnsafeMutableRawPointer?
        guard posix_memalign(&raw, 64, bytes) == 0, let raw else {
            throw TensorError.outOfMemory(bytes: bytes, device: "CPU")
        }
        return raw
    }

    /// Frees memory from ``allocate(_:)`` of `bytes` bytes.
    static func release(_ pointer: UnsafeMutableRawPointer, _ bytes: Int) {
        if bytes >= directThreshold { munmap(pointer, bytes) } else { Glibc.free(pointer) }
    }

    func take(_ bytes: Int) throws -> UnsafeMutableRawPointer {
        lock.lock()
        live += bytes
        peakLive = max(peakLive, live)
        if var list = free[bytes], let p = list.popLast() {
            free[bytes] = list
            if let i = order.firstIndex(where: { $0.pointer == p }) { order.remove(at: i) }
            held -= bytes
            lock.unlock()
            return p
        }
        // A miss: free cached memory (oldest first) until live plus cached bytes fit under the peak again.
        while live + held > peakLive, !order.isEmpty { _ = evictOldest() }
        lock.unlock()
        do {
            return try Self.allocate(bytes)
        } catch {
            lock.lock(); live -= bytes; lock.unlock()
            throw error
        }
    }

    /// Gives back an allocation of `bytes` from ``take(_:)``, of which `released` bytes were already
    /// subtracted with ``forget(_:)``. Cached, it counts at its full size (it is used whole again).
    func give(_ pointer: UnsafeMutableRawPointer, _ bytes: Int, released: Int = 0) {
        lock.lock()
        defer { lock.unlock() }
        live -= bytes - released
        guard bytes <= limit else { Self.release(pointer, bytes); return }
        free[bytes, default: []].append(pointer)
        order.append((bytes, pointer))
        held += bytes
        evict()
    }

    /// Stops counting `bytes` of a live allocation whose pages were returned to the system, so that the
    /// cache's bound follows the memory actually in use.
    func forget(_ bytes: Int) {
        lock.lock()
        live -= bytes
        lock.unlock()
    }

    /// Frees the oldest cached allocations until the pool holds at most `limit` bytes. Called under `lock`.
    private func evict() {
        while held > limit, !order.isEmpty { _ = evictOldest() }
    }

    /// Frees the oldest cached allocation and returns its size. Called under `lock` with a non-empty cache.
    private func evictOldest() -> Int {
        let old = order.removeFirst()
        if var list = free[old.bytes], let i = list.firstIndex(of: old.pointer) {
            list.remove(at: i); free[old.bytes] = list
        }
        Self.release(old.pointer, old.bytes)
        held -= old.bytes
        return old.bytes
    }

    /// Returns every cached allocation to the system.
    func trim() {
        lock.lock()
        for p in order { Self.release(p.pointer, p.bytes) }
        order.removeAll(); free.removeAll(); held = 0
        lock.unlock()
    }
}

/// Scratch memory for one operation, returned to the pool when it goes out of scope.
struct Scratch {
    let buffer: CPUBuffer
    var pointer: UnsafeMutablePointer<Float> { buffer.pointer }
    init(count: Int, pool: BufferPool?) throws { buffer = try CPUBuffer(count: count, pool: pool) }
}
