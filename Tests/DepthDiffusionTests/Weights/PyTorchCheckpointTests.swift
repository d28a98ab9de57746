import Foundation
import XCTest
@testable import DepthDiffusion

/// The restricted `torch.save` reader on archives written by torch (Scripts/fixtures/make_single_file_fixtures.py)
/// and on archives crafted to be refused.
final class PyTorchCheckpointTests: XCTestCase {
    struct Expected: Decodable { let shape: [Int], dtype: String, values: [Double] }

    func testReadsDTypesViewsAndNestingAsTorchWroteThem() throws {
        let checkpoint = try PyTorchCheckpoint(url: fixtureURL("single_file/tensors.ckpt"))
        let expected = try JSONDecoder().decode([String: Expected].self,
                                                from: Data(contentsOf: fixtureURL("single_file/tensors.json")))
        // The tensors come from `state_dict` (flattening its nested dict); the other top-level values are not tensors.
        XCTAssertEqual(Set(checkpoint.names), Set(expected.keys))
        let dtypes: [String: SafeTensorsDType] = ["float32": .f32, "float16": .f16, "bfloat16": .bf16, "float64": .f64, "int64": .i64]
        for (name, e) in expected.sorted(by: { $0.key < $1.key }) {
            let entry = try checkpoint.entry(name)
            XCTAssertEqual(entry.shape, e.shape, name)
            XCTAssertEqual(entry.dtype, dtypes[e.dtype], name)
            if entry.dtype == .i64 {
                XCTAssertThrowsError(try checkpoint.floats(name)) { error in
                    XCTAssertEqual(error as? PyTorchCheckpointError, .unsupportedDType(file: checkpoint.url.path, tensor: name, dtype: .i64))
                }
                continue
            }
            // The values are torch's own float32 conversions, so they must match exactly.
            XCTAssertEqual(try checkpoint.floats(name), e.values.map { Float($0) }, name)
        }
        XCTAssertFalse(try checkpoint.entry("transposed").isContiguous)
        XCTAssertTrue(try checkpoint.entry("f32").isContiguous)
        XCTAssertEqual(try checkpoint.entry("column").offset, 2)
    }

    func testCheckpointAndSafetensorsHoldTheSameTensors() throws {
        let ckpt = try PyTorchCheckpoint(url: fixtureURL("single_file/tiny.ckpt"))
        let safetensors = try SafeTensorsCollection(url: fixtureURL("single_file/tiny.safetensors"))
        XCTAssertEqual(ckpt.names, safetensors.names)
        // The token embedding is stored as an overlapping strided view of a short storage.
        let embedding = try ckpt.entry("cond_stage_model.model.token_embedding.weight")
        XCTAssertEqual(embedding.strides, [1, 1])
        for name in ckpt.names {
            XCTAssertEqual(ckpt.shape(of: name), safetensors.shape(of: name), name)
            if ckpt.entries[name]?.dtype == .i32 { continue }
            XCTAssertEqual(try ckpt.floats(name), try safetensors.floats(name), name)
        }
    }

    func testReadsTheStateDictOfALightningTrainingCheckpoint() throws {
        // Lightning keys the callback states by the callback class: kept as an inert name, never called.
        let checkpoint = try PyTorchCheckpoint(url: fixtureURL("single_file/lightning.ckpt"))
        XCTAssertEqual(checkpoint.names, ["model.diffusion_model.out.2.bias"])
        XCTAssertEqual(try checkpoint.floats("model.diffusion_model.out.2.bias"), [0.5, -1.0, 2.0, 0.25])
        guard case let .forbiddenCall(callee, _)? = pickleError("reduce_lightning_callback.ckpt") else {
            return XCTFail("\(String(describing: open("reduce_lightning_callback.ckpt")))")
        }
        XCTAssertTrue(callee.contains("ModelCheckpoint"), callee)
    }

    // MARK: - Refused files

    func open(_ name: String) -> Error? {
        do { _ = try PyTorchCheckpoint(url: fixtureURL("single_file/malicious/\(name)")); return nil } catch { return error }
    }

    func pickleError(_ name: String) -> PickleError? {
        if case let .refusedPickle(_, error)? = open(name) as? PyTorchCheckpointError { return error }
        return nil
    }

    func testRefusesGlobalOsSystem() throws {
        guard case let .forbiddenGlobal(module, name, _)? = pickleError("global_os_system.ckpt") else {
            return XCTFail("\(String(describing: open("global_os_system.ckpt")))")
        }
        XCTAssertEqual([module, name], ["os", "system"])
        let message = "\(open("global_os_system.ckpt")!)"
        XCTAssertTrue(message.contains("os.system") && message.contains("refused"), message)
    }

    func testRefusesBuiltinsBehindStackGlobal() {
        guard case let .forbiddenGlobal(module, name, _)? = pickleError("stack_global_eval.ckpt") else {
            return XCTFail("\(String(describing: open("stack_global_eval.ckpt")))")
        }
        XCTAssertEqual([module, name], ["builtins", "eval"])
    }

    func testRefusesReduceOnAnAllowedNonCallable() {
        guard case let .forbiddenCall(callee, _)? = pickleError("reduce_storage_type.ckpt") else {
            return XCTFail("\(String(describing: open("reduce_storage_type.ckpt")))")
        }
        XCTAssertTrue(callee.contains("torch.FloatStorage"), callee)
    }

    func testRefusesObjectConstructionOpcodes() {
        guard case let .forbiddenOpcode(name, _)? = pickleError("inst.ckpt") else {
            return XCTFail("\(String(describing: open("inst.ckpt")))")
        }
        XCTAssertEqual(name, "INST")
    }

    func testRefusesViewsOutsideTheirStorage() {
        guard case let .invalidTensor(_, tensor, reason)? = open("storage_out_of_range.ckpt") as? PyTorchCheckpointError else {
            return XCTFail("\(String(describing: open("storage_out_of_range.ckpt")))")
        }
        XCTAssertEqual(tensor, "w")
        XCTAssertTrue(reason.contains("reaches element 5 of a storage of 4"), reason)
    }

    func testRefusesStoragesLargerThanTheirRecord() {
        guard case let .invalidTensor(_, _, reason)? = open("storage_too_short.ckpt") as? PyTorchCheckpointError else {
            return XCTFail("\(String(describing: open("storage_too_short.ckpt")))")
        }
        XCTAssertTrue(reason.contains("has 12 bytes"), reason)
    }

    func testRefusesMissingStorageRecords() {
        guard case let .invalidTensor(_, _, reason)? = open("missing_storage.ckpt") as? PyTorchCheckpointError else {
            return XCTFail("\(String(describing: open("missing_storage.ckpt")))")
        }
        XCTAssertTrue(reason.contains("data/0 is missing"), reason)
    }

    func testRefusesCompressedTruncatedAndLegacyFiles() {
        guard case let .invalidArchive(_, detail)? = open("compressed.ckpt") as? PyTorchCheckpointError else {
            return XCTFail("\(String(describing: open("compressed.ckpt")))")
        }
        XCTAssertTrue(detail.contains("compressed"), detail)
        guard case let .invalidArchive(_, truncated)? = open("truncated.ckpt") as? PyTorchCheckpointError else {
            return XCTFail("\(String(describing: open("truncated.ckpt")))")
        }
        XCTAssertTrue(truncated.contains("truncated"), truncated)
        XCTAssertEqual(open("legacy.ckpt") as? PyTorchCheckpointError,
                       .legacyFormat(file: fixtureURL("single_file/malicious/legacy.ckpt").path))
    }

    /// Every prefix of a valid archive is refused with a typed error (never a crash or a partial load).
    func testEveryTruncationOfAnArchiveIsRefused() throws {
        let bytes = try Data(contentsOf: fixtureURL("single_file/tensors.ckpt"))
        for length in stride(from: 0, to: bytes.count, by: 7) {
            let prefix = Data(bytes.prefix(length))
            XCTAssertThrowsError(try prefix.withUnsafeBytes {
                try PyTorchCheckpoint(bytes: $0, owner: nil, url: URL(fileURLWithPath: "prefix-\(length).ckpt"))
            }, "\(length) bytes") { XCTAssertTrue($0 is PyTorchCheckpointError, "\(length): \($0)") }
        }
    }

    /// Inputs the fuzzer (Scripts/fuzz/fuzz-checkpoint.sh) found crashing, kept as regressions.
    func testInputsFoundByFuzzingAreRefused() {
        let inputs: [[UInt8]] = [
            // A ZIP64 end record pointing before the start of a 51-byte file (size − 56 underflowed).
            [0x50, 0x4b, 0x03, 0x04, 0x00, 0x6f, 0x72, 0x00, 0x00, 0x50, 0x4b, 0x06, 0x07, 0x00, 0x00, 0x00,
             0x00, 0xe7, 0x0f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x50, 0x4b, 0x05,
             0x06, 0x00, 0x00, 0x00, 0x00, 0x0f, 0x00, 0x0f, 0x00, 0xaf, 0x03, 0x00, 0x00, 0xff, 0xff, 0xff,
             0xff, 0x00, 0x00],
        ]
        for input in inputs {
            XCTAssertThrowsError(try input.withUnsafeBytes {
                try PyTorchCheckpoint(bytes: $0, owner: nil, url: URL(fileURLWithPath: "fuzz.ckpt"))
            }) { XCTAssertTrue($0 is PyTorchCheckpointError, "\($0)") }
        }
    }

    // MARK: - The pickle machine

    func parse(_ bytes: [UInt8]) throws -> PickleDocument { try bytes.withUnsafeBytes { try PickleReader.parse($0) } }

    func testMemoNegativeIntegersAndOrderedDictState() throws {
        // {"a": -2, "b": <memo of "a"'s value>} as OrderedDict with a BUILD state, protocol 2.
        let bytes: [UInt8] = [0x80, 0x02] + Array("ccollections\nOrderedDict\n".utf8) + [UInt8(ascii: ")"), UInt8(ascii: "R"),
            UInt8(ascii: "("), 0x8c, 1, UInt8(ascii: "a"), 0x8a, 1, 0xfe, UInt8(ascii: "q"), 3,
            0x8c, 1, UInt8(ascii: "b"), UInt8(ascii: "h"), 3, UInt8(ascii: "u"),
            UInt8(ascii: "}"), UInt8(ascii: "b"), UInt8(ascii: ".")]
        let document = try parse(bytes)
        guard case let .dict(root) = document.root else { return XCTFail("\(document.root)") }
        XCTAssertEqual(document.value(in: root, forKey: "a"), .int(-2))
        XCTAssertEqual(document.value(in: root, forKey: "b"), .int(-2))
    }

    func testDeepNestingIsNotRecursive() throws {
        // 200 000 nested one-element tuples: built, kept and freed without recursion.
        let bytes: [UInt8] = [0x80, 0x02, UInt8(ascii: ")")] + [UInt8](repeating: 0x85, count: 200_000) + [UInt8(ascii: ".")]
        let document = try parse(bytes)
        XCTAssertEqual(document.sequences.count, 200_001)
    }

    func testStackMisuseIsMalformed() {
        for bytes: [UInt8] in [[UInt8(ascii: ".")], [0x80, 0x02, UInt8(ascii: "s"), UInt8(ascii: ".")],
                               [0x80, 0x02, UInt8(ascii: "h"), 9, UInt8(ascii: ".")], [0x80, 0x02, UInt8(ascii: "t")],
                               [0x80, 0x02, UInt8(ascii: "X"), 0xff, 0xff, 0xff, 0x7f]] {
            XCTAssertThrowsError(try parse(bytes), "\(bytes)") { error in
                guard let error = error as? PickleError else { return XCTFail("\(error)") }
                switch error {
                case .malformed, .truncated: break
                default: XCTFail("\(bytes): \(error)")
                }
            }
        }
    }
}
