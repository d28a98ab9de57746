import XCTest
@testable import DepthDiffusion

/// The CPU backend's cache of freed buffers: it reuses a freed buffer of the same size, stays within its limit,
/// and never adds to the peak: a request it cannot serve first frees at least as many cached bytes.
final class BufferPoolTests: XCTestCase {
    func testSameSizeIsReused() throws {
        let pool = BufferPool(limitBytes: 8 << 20)
        let bytes = BufferPool.roundedBytes(1 << 20)
        let p = try pool.take(bytes)
        pool.give(p, bytes)
        XCTAssertEqual(pool.heldBytes, bytes)
        XCTAssertEqual(try pool.take(bytes), p)
        XCTAssertEqual(pool.heldBytes, 0)
        pool.give(p, bytes)
    }

    func testMissFreesCachedMemoryFirst() throws {
        // Two live 512 KiB buffers set the peak at 1 MiB. Once both are cached, a 768 KiB request that neither
        // can serve frees both (oldest first) so that live plus cached bytes stay within 1 MiB.
        let pool = BufferPool(limitBytes: 8 << 20)
        let small = BufferPool.roundedBytes(512 << 10), large = BufferPool.roundedBytes(768 << 10)
        let a = try pool.take(small), b = try pool.take(small)
        pool.give(a, small)
        pool.give(b, small)
        XCTAssertEqual(pool.heldBytes, 2 * small)
        let c = try pool.take(large)
        XCTAssertEqual(pool.heldBytes, 0)
        pool.give(c, large)
        // 512 KiB live plus the cached 768 KiB would pass the peak: the cached buffer goes.
        let d = try pool.take(small)
        XCTAssertEqual(pool.heldBytes, 0)
        pool.give(d, small)
        // 64 KiB live plus the cached 512 KiB stay under the peak: the cache is kept.
        let tiny = BufferPool.roundedBytes(64 << 10)
        let e = try pool.take(tiny)
        XCTAssertEqual(pool.heldBytes, small)
        pool.give(e, tiny)
    }

    func testLimitIsKept() throws {
        // 8 MiB buffers: mapped directly (BufferPool.directThreshold), unmapped when the cache lets them go.
        let bytes = BufferPool.roundedBytes(8 << 20)
        XCTAssertGreaterThanOrEqual(bytes, BufferPool.directThreshold)
        let pool = BufferPool(limitBytes: bytes)
        let a = try pool.take(bytes), b = try pool.take(bytes)
        pool.give(a, bytes)
        pool.give(b, bytes)
        XCTAssertEqual(pool.heldBytes, bytes)
        pool.limitBytes = 0
        XCTAssertEqual(pool.heldBytes, 0)
        // Buffers over the limit go straight back to the system; written memory stays usable until then.
        let c = try pool.take(bytes)
        c.storeBytes(of: 7, as: Int.self)
        pool.give(c, bytes)
        XCTAssertEqual(pool.heldBytes, 0)
    }
}
