import Foundation
import XCTest
@testable import DepthDiffusion

/// One test per way a single `.safetensors` file can be broken. Each builds the broken file
/// in a temp directory and checks the exact ``SafeTensorsError`` case and its message.
final class SafeTensorsCorruptionTests: SafeTensorsTestCase {
    /// Four F32 values, one tensor `w` of shape [2, 2].
    private let fourFloats: [UInt8] = [Float](arrayLiteral: 1, 2, 3, 4).flatMap { value in
        withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) }
    }

    private func fixtureBytes(_ name: String = "f32.safetensors") throws -> Data {
        try Data(contentsOf: fixtureURL("safetensors/\(name)"))
    }

    private func withHeaderLength(_ length: UInt64, _ data: Data) -> Data {
        var copy = data
        withUnsafeBytes(of: length.littleEndian) { copy.replaceSubrange(0..<8, with: $0) }
        return copy
    }

    // MARK: File and length prefix

    func testEmptyFile() throws {
        let url = try write(Data(), to: "empty.safetensors")
        assertSafeTensorsError(try SafeTensorsFile(url: url), file: url) { if case .emptyFile = $0 { return true }; return false }
    }

    func testFileShorterThanLengthPrefix() throws {
        let url = try write(try fixtureBytes().prefix(5), to: "short.safetensors")
        assertSafeTensorsError(try SafeTensorsFile(url: url), file: url) { $0 == .fileTooShort(file: url.path, size: 5) }
    }

    func testHeaderLengthLargerThanFile() throws {
        let valid = try fixtureBytes()
        let url = try write(withHeaderLength(UInt64(valid.count), valid), to: "long-header.safetensors")
        assertSafeTensorsError(try SafeTensorsFile(url: url), file: url) {
            $0 == .headerLengthExceedsFile(file: url.path, headerLength: UInt64(valid.count), fileSize: valid.count)
        }
    }

    func testAbsurdHeaderLength() throws {
        let valid = try fixtureBytes()
        for length in [UInt64.max, UInt64(1) << 40, UInt64(SafeTensorsFile.maxHeaderLength) + 1] {
            let url = try write(withHeaderLength(length, valid), to: "absurd-\(length).safetensors")
            assertSafeTensorsError(try SafeTensorsFile(url: url), file: url) { if case .headerTooLarge(_, length, _) = $0 { return true }; return false }
        }
    }

    func testMissingFileAndDirectory() throws {
        let missing = tempDirectory.appendingPathComponent("nope.safetensors")
        assertSafeTensorsError(try SafeTensorsFile(url: missing), file: missing) { if case .cannotOpen = $0 { return true }; return false }
        assertSafeTensorsError(try SafeTensorsFile(url: tempDirectory), file: tempDirectory) { if case .cannotOpen = $0 { return true }; return false }
    }

    // MARK: Header JSON

    func testNonUTF8Header() throws {
        var header = Array(#"{"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}"#.utf8)
        header[2] = 0xFF  // inside the tensor name
        let url = try write(safetensorsBytes(headerBytes: header, data: fourFloats), to: "latin1.safetensors")
        assertSafeTensorsError(try SafeTensorsFile(url: url), file: url) { if case .malformedHeader = $0 { return true }; return false }
    }

    func testMalformedJSON() throws {
        for (index, header) in [#"{"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}"#,
                                #"{"w":{"dtype":"F32",}}"#, "{", "", "nul", #"{"w" 1}"#, #"{} {}"#].enumerated() {
            let url = try writeSafeTensors("malformed-\(index).safetensors", header: header, data: fourFloats)
            assertSafeTensorsError(try SafeTensorsFile(url: url), file: url) { if case .malformedHeader = $0 { return true }; return false }
        }
    }

    func testDeeplyNestedJSONIsRejectedWithoutCrashing() throws {
        let url = try writeSafeTensors("nested.safetensors", header: String(repeating: "[", count: 100_000), data: [])
        assertSafeTensorsError(try SafeTensorsFile(url: url), file: url) { if case .malformedHeader = $0 { return true }; return false }
    }

    func testJSONThatIsNotAnObject() throws {
        let url = try writeSafeTensors("array.safetensors", header: "[1, 2]", data: fourFloats)
        assertSafeTensorsError(try SafeTensorsFile(url: url), file: url) { $0 == .headerNotObject(file: url.path, found: "array") }
    }

    func testEntryThatIsNotAnObject() throws {
        let url = try writeSafeTensors("entry.safetensors", header: #"{"w": 3}"#, data: fourFloats)
        assertSafeTensorsError(try SafeTensorsFile(url: url), file: url, tensor: "w") { if case .invalidEntry = $0 { return true }; return false }
    }

    func testEntryMissingEachField() throws {
        let fields = [#""dtype":"F32""#, #""shape":[2,2]"#, #""data_offsets":[0,16]"#]
        for (missing, field) in ["dtype", "shape", "data_offsets"].enumerated() {
            let present = fields.enumerated().filter { $0.offset != missing }.map(\.element).joined(separator: ",")
            let url = try writeSafeTensors("missing-\(field).safetensors", header: #"{"w.x":{\#(present)}}"#, data: fourFloats)
            assertSafeTensorsError(try SafeTensorsFile(url: url), file: url, tensor: "w.x") {
                $0 == .missingField(file: url.path, tensor: "w.x", field: field)
            }
        }
    }

    func testNegativeOrNonIntegerShape() throws {
        for (index, shape) in ["[-2,-2]", "[2.5,2]", #"["2",2]"#, "[1e0,4]", "[4,null]", "{}", "99999999999999999999"].enumerated() {
            let header = #"{"w":{"dtype":"F32","shape":\#(shape),"data_offsets":[0,16]}}"#
            let url = try writeSafeTensors("shape-\(index).safetensors", header: header, data: fourFloats)
            assertSafeTensorsError(try SafeTensorsFile(url: url), file: url, tensor: "w") { if case .invalidShape = $0 { return true }; return false }
        }
    }

    func testShapeWhoseElementCountOverflows() throws {
        let header = #"{"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,16]}}"#
        let url = try writeSafeTensors("overflow.safetensors", header: header, data: fourFloats)
        assertSafeTensorsError(try SafeTensorsFile(url: url), file: url, tensor: "w") { if case .invalidShape = $0 { return true }; return false }
    }

    func testBadOffsetsShape() throws {
        for (index, offsets) in ["[0]", "[0,16,32]", "[-16,0]", "[0,16.0]", "\"0-16\""].enumerated() {
            let header = #"{"w":{"dtype":"F32","shape":[2,2],"data_offsets":\#(offsets)}}"#
            let url = try writeSafeTensors("offsets-\(index).safetensors", header: header, data: fourFloats)
            assertSafeTensorsError(try SafeTensorsFile(url: url), file: url, tensor: "w") { if case .invalidOffsets = $0 { return true }; return false }
        }
    }

    func testOffsetsOutOfRange() throws {
        let header = #"{"w":{"dtype":"F32","shape":[2,2],"data_offsets":[1000,1016]}}"#
        let url = try writeSafeTensors("out-of-range.safetensors", header: header, data: fourFloats)
        assertSafeTensorsError(try SafeTensorsFile(url: url), file: url, tensor: "w") {
            $0 == .tensorOutOfBounds(file: url.path, tensor: "w", byteRange: 1000..<1016, dataSize: 16)
        }
    }

    func testBeginAfterEnd() throws {
        let header = #"{"w":{"dtype":"F32","shape":[2,2],"data_offsets":[16,0]}}"#
        let url = try writeSafeTensors("reversed.safetensors", header: header, data: fourFloats)
        assertSafeTensorsError(try SafeTensorsFile(url: url), file: url, tensor: "w") { if case .invalidOffsets = $0 { return true }; return false }
    }

    func testOverlappingTensors() throws {
        let header = #"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]},"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}"#
        let url = try writeSafeTensors("overlap.safetensors", header: header, data: fourFloats)
        assertSafeTensorsError(try SafeTensorsFile(url: url), file: url, tensor: "b") {
            $0 == .overlappingTensors(file: url.path, tensor: "b", other: "a")
        }
    }

    func testEmptyTensorsDoNotOverlap() throws {
        let header = #"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"e":{"dtype":"F16","shape":[0],"data_offsets":[8,8]}}"#
        let url = try writeSafeTensors("empty-inside.safetensors", header: header, data: fourFloats)
        XCTAssertEqual(try SafeTensorsFile(url: url).floats("e"), [])
    }

    func testSizeMismatchWithShapeTimesDType() throws {
        let header = #"{"w":{"dtype":"F16","shape":[2,2],"data_offsets":[0,16]}}"#
        let url = try writeSafeTensors("mismatch.safetensors", header: header, data: fourFloats)
        assertSafeTensorsError(try SafeTensorsFile(url: url), file: url, tensor: "w") {
            $0 == .sizeMismatch(file: url.path, tensor: "w", dtype: .f16, shape: [2, 2], expectedBytes: 8, actualBytes: 16)
        }
    }

    func testTruncatedDataSection() throws {
        let valid = try fixtureBytes()
        let last = try SafeTensorsFile(url: fixtureURL("safetensors/f32.safetensors")).entries.values
            .max { $0.byteRange.upperBound < $1.byteRange.upperBound }
        let lastTensor = try XCTUnwrap(last)
        let url = try write(valid.dropLast(10), to: "truncated.safetensors")
        assertSafeTensorsError(try SafeTensorsFile(url: url), file: url, tensor: lastTensor.name) {
            if case .tensorOutOfBounds(_, _, lastTensor.byteRange, lastTensor.byteRange.upperBound - 10) = $0 { return true }
            return false
        }
    }

    func testUnknownDTypeStringInHeader() throws {
        let header = #"{"w":{"dtype":"Q4_K","shape":[2,2],"data_offsets":[0,16]}}"#
        let url = try writeSafeTensors("q4.safetensors", header: header, data: fourFloats)
        assertSafeTensorsError(try SafeTensorsFile(url: url), file: url, tensor: "w") {
            $0 == .unknownDType(file: url.path, tensor: "w", dtype: "Q4_K")
        }
    }

    func testNonFloatDTypeWhenLoadingAsFloat() throws {
        for dtype in SafeTensorsDType.allCases where !dtype.isFloatLoadable && dtype.elementSize != nil {
            let bytes = 4 * (dtype.elementSize ?? 0)
            let header = #"{"ids":{"dtype":"\#(dtype.rawValue)","shape":[4],"data_offsets":[0,\#(bytes)]}}"#
            let url = try writeSafeTensors("\(dtype.rawValue).safetensors", header: header, data: [UInt8](repeating: 1, count: bytes))
            let file = try SafeTensorsFile(url: url)  // listing is fine
            XCTAssertEqual(try file.rawData("ids").count, bytes)
            assertSafeTensorsError(try file.floats("ids"), file: url, tensor: "ids") {
                $0 == .unsupportedDType(file: url.path, tensor: "ids", dtype: dtype)
            }
        }
    }

    func testMissingTensorLookup() throws {
        let url = fixtureURL("safetensors/f32.safetensors")
        let file = try SafeTensorsFile(url: url)
        assertSafeTensorsError(try file.floats("no.such.tensor"), file: url, tensor: "no.such.tensor") {
            $0 == .tensorNotFound(file: url.path, tensor: "no.such.tensor")
        }
        assertSafeTensorsError(try file.rawData("no.such.tensor"), file: url, tensor: "no.such.tensor") { if case .tensorNotFound = $0 { return true }; return false }
    }

    func testDuplicateNameInHeader() throws {
        let header = #"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"w":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}"#
        let url = try writeSafeTensors("dup.safetensors", header: header, data: fourFloats)
        assertSafeTensorsError(try SafeTensorsFile(url: url), file: url, tensor: "w") { if case .invalidEntry = $0 { return true }; return false }
    }

    func testInvalidMetadata() throws {
        for (index, metadata) in [#"{"format":1}"#, "[]", #""pt""#].enumerated() {
            let header = #"{"__metadata__":\#(metadata),"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}"#
            let url = try writeSafeTensors("meta-\(index).safetensors", header: header, data: fourFloats)
            assertSafeTensorsError(try SafeTensorsFile(url: url), file: url) { if case .invalidMetadata = $0 { return true }; return false }
        }
    }

    func testHandWrittenValidFileWithPaddingAndEscapes() throws {
        let header = #"{"__metadata__":{"k":"v\u00e9\n"},"a\"b\u00e9":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}    "#
        let url = try writeSafeTensors("valid.safetensors", header: header, data: fourFloats)
        let file = try SafeTensorsFile(url: url)
        XCTAssertEqual(file.metadata, ["k": "vé\n"])
        XCTAssertEqual(try file.floats("a\"bé"), [1, 2, 3, 4])
    }

    /// Random byte flips and truncations of a real file either open (and read) or throw a
    /// SafeTensorsError; they never crash or read out of bounds.
    func testRandomCorruptionNeverCrashes() throws {
        let valid = try fixtureBytes("with_int64.safetensors")
        var generator = FuzzRandom(seed: 42)
        for trial in 0..<300 {
            var bytes = valid
            if trial % 3 == 0 {
                bytes = bytes.prefix(Int(generator.next() % UInt64(valid.count)))
            } else {
                for _ in 0..<(1 + Int(generator.next() % 4)) {
                    let position = Int(generator.next() % UInt64(min(valid.count, 200)))
                    bytes[position] = UInt8(truncatingIfNeeded: generator.next())
                }
            }
            let url = try write(bytes, to: "fuzz.safetensors")
            do {
                let file = try SafeTensorsFile(url: url)
                for entry in file.entries.values where entry.dtype.isFloatLoadable {
                    XCTAssertEqual(try file.floats(entry.name).count, entry.elementCount)
                }
            } catch is SafeTensorsError {
                // expected for most mutations
            }
        }
    }
}

/// A tiny deterministic PRNG for the fuzz test.
private struct FuzzRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
