import Foundation
import XCTest

/// A test case with a fresh temporary directory, `temp`, for each test; it is removed after the test.
class TemporaryDirectoryTestCase: XCTestCase {
    var temp: URL!

    override func setUpWithError() throws {
        temp = FileManager.default.temporaryDirectory.appendingPathComponent("\(type(of: self))-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: temp, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { if let temp { try? FileManager.default.removeItem(at: temp) } }
}
