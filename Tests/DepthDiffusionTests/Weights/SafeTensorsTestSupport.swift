import Foundation
import XCTest
@testable import DepthDiffusion

/// Builds safetensors files byte by byte (for corruption tests) in a per-test temp directory.
class SafeTensorsTestCase: XCTestCase {
    private(set) var tempDirectory: URL!

    override func setUpWithError() throws {
        tempDirectory = FileManager.default.temporaryDirectory
            .appendingPathComponent("safetensors-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: tempDirectory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if let tempDirectory { try? FileManager.default.removeItem(at: tempDirectory) }
    }

    /// The bytes of a safetensors file: little-endian header length, header, data.
    func safetensorsBytes(header: String, data: [UInt8]) -> Data {
        safetensorsBytes(headerBytes: Array(header.utf8), data: data)
    }

    func safetensorsBytes(headerBytes: [UInt8], data: [UInt8]) -> Data {
        var bytes = Data()
        withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: headerBytes)
        bytes.append(contentsOf: data)
        return bytes
    }

    /// Writes `data` to `name` in the temp directory and returns its URL.
    @discardableResult
    func write(_ data: Data, to name: String) throws -> URL {
        let url = tempDirectory.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: url, options: .atomic)
        return url
    }

    /// Writes a safetensors file with the given header and data.
    @discardableResult
    func writeSafeTensors(_ name: String, header: String, data: [UInt8]) throws -> URL {
        try write(safetensorsBytes(header: header, data: data), to: name)
    }

    /// Copies a committed fixture into the temp directory under `name`.
    @discardableResult
    func copyFixture(_ fixture: String, to name: String) throws -> URL {
        try write(Data(contentsOf: fixtureURL(fixture)), to: name)
    }

    /// Asserts that `expression` throws a ``SafeTensorsError`` accepted by `matches`, whose
    /// `file` is `file`, and whose message names the file and (if given) the tensor.
    func assertSafeTensorsError<T>(
        _ expression: @autoclosure () throws -> T,
        file expectedFile: URL,
        tensor: String? = nil,
        _ matches: (SafeTensorsError) -> Bool,
        sourceFile: StaticString = #filePath, line: UInt = #line
    ) {
        do {
            _ = try expression()
            XCTFail("expected a SafeTensorsError, nothing was thrown", file: sourceFile, line: line)
        } catch let error as SafeTensorsError {
            XCTAssertTrue(matches(error), "unexpected error case: \(error)", file: sourceFile, line: line)
            XCTAssertEqual(error.file, expectedFile.path, file: sourceFile, line: line)
            XCTAssertTrue(error.description.contains(expectedFile.path),
                          "message does not name the file: \(error)", file: sourceFile, line: line)
            if let tensor {
                XCTAssertEqual(error.tensor, tensor, file: sourceFile, line: line)
                XCTAssertTrue(error.description.contains("'\(tensor)'"),
                              "message does not name the tensor: \(error)", file: sourceFile, line: line)
            }
        } catch {
            XCTFail("expected a SafeTensorsError, got \(error)", file: sourceFile, line: line)
        }
    }
}
