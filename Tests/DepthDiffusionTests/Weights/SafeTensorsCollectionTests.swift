import Foundation
import XCTest
@testable import DepthDiffusion

/// Sharded weights (index json), directory resolution with variants, and shard errors.
final class SafeTensorsCollectionTests: SafeTensorsTestCase {
    private let shard1 = "model-00001-of-00002.safetensors"
    private let shard2 = "model-00002-of-00002.safetensors"

    /// Copies the committed sharded fixture into `dir` in the temp directory.
    private func copyShardedFixture(to dir: String, skipping skipped: String? = nil) throws -> URL {
        for name in ["model.safetensors.index.json", shard1, shard2] where name != skipped {
            try copyFixture("safetensors/sharded/\(name)", to: "\(dir)/\(name)")
        }
        return tempDirectory.appendingPathComponent("\(dir)/model.safetensors.index.json")
    }

    private func f32Tensor(_ name: String, begin: Int = 0) -> String {
        #""\#(name)":{"dtype":"F32","shape":[2],"data_offsets":[\#(begin),\#(begin + 8)]}"#
    }

    private func writeIndex(_ weightMap: String, to name: String) throws -> URL {
        try write(Data(#"{"metadata":{"total_size":16},"weight_map":{\#(weightMap)}}"#.utf8), to: name)
    }

    func testSingleFileHasSameAPIAsShards() throws {
        let url = fixtureURL("safetensors/f16.safetensors")
        let weights = try SafeTensorsCollection(url: url)
        let file = try SafeTensorsFile(url: url)
        XCTAssertEqual(weights.names, file.names)
        XCTAssertEqual(weights.metadata, file.metadata)
        XCTAssertEqual(try weights.floats("conv.weight"), try file.floats("conv.weight"))
        XCTAssertEqual(try weights.rawData("conv.weight"), try file.rawData("conv.weight"))
        XCTAssertEqual(try weights.withRawBytes("conv.weight") { $0.count }, 48)
        XCTAssertTrue(weights.contains("specials"))
        XCTAssertFalse(weights.contains("nope"))
    }

    func testDirectoryWithShardIndexIsFound() throws {
        _ = try copyShardedFixture(to: "text_encoder")
        let weights = try SafeTensorsCollection(url: tempDirectory.appendingPathComponent("text_encoder"))
        XCTAssertEqual(weights.url.lastPathComponent, "model.safetensors.index.json")
        XCTAssertEqual(weights.names, ["a.weight", "b.weight", "c.bias"])
        XCTAssertEqual(try weights.entry("b.weight").dtype, .f16)
    }

    func testDirectoryPrefersRequestedVariant() throws {
        try copyFixture("safetensors/f32.safetensors", to: "unet/diffusion_pytorch_model.safetensors")
        try copyFixture("safetensors/f16.safetensors", to: "unet/diffusion_pytorch_model.fp16.safetensors")
        let unet = tempDirectory.appendingPathComponent("unet")
        XCTAssertEqual(try SafeTensorsCollection(url: unet).url.lastPathComponent, "diffusion_pytorch_model.safetensors")
        XCTAssertEqual(try SafeTensorsCollection(url: unet, variant: "fp16").url.lastPathComponent,
                       "diffusion_pytorch_model.fp16.safetensors")
        XCTAssertEqual(try SafeTensorsCollection(url: unet, variant: "fp16").names, ["conv.weight", "specials"])
    }

    func testVariantFallsBackToStandardOnlyWhenAllowed() throws {
        try copyFixture("safetensors/f32.safetensors", to: "vae/diffusion_pytorch_model.safetensors")
        let vae = tempDirectory.appendingPathComponent("vae")
        XCTAssertEqual(try SafeTensorsCollection(url: vae, variant: "fp16").url.lastPathComponent,
                       "diffusion_pytorch_model.safetensors")
        assertSafeTensorsError(try SafeTensorsCollection(url: vae, variant: "fp16", allowVariantFallback: false), file: vae) {
            $0 == .noWeightsFound(directory: vae.path, tried: SafeTensorsCollection.candidateFileNames(variant: "fp16", allowVariantFallback: false))
        }
    }

    func testShardedVariantIndexName() throws {
        for name in [shard1, shard2] {
            try copyFixture("safetensors/sharded/\(name)", to: "unet/\(name)")
        }
        try copyFixture("safetensors/sharded/model.safetensors.index.json",
                        to: "unet/diffusion_pytorch_model.safetensors.index.fp16.json")
        let weights = try SafeTensorsCollection(url: tempDirectory.appendingPathComponent("unet"), variant: "fp16")
        XCTAssertEqual(weights.files.count, 2)
        XCTAssertEqual(weights.url.lastPathComponent, "diffusion_pytorch_model.safetensors.index.fp16.json")
    }

    func testEmptyDirectoryListsWhatWasTried() throws {
        let empty = tempDirectory.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        assertSafeTensorsError(try SafeTensorsCollection(url: empty), file: empty) { error in
            guard case .noWeightsFound(_, let tried) = error else { return false }
            return tried.contains("diffusion_pytorch_model.safetensors") && error.description.contains("model.safetensors.index.json")
        }
    }

    func testIndexNamingMissingShard() throws {
        let index = try copyShardedFixture(to: "missing", skipping: shard2)
        assertSafeTensorsError(try SafeTensorsCollection(url: index), file: index, tensor: "b.weight") {
            $0 == .missingShard(index: index.path, shard: self.shard2, tensor: "b.weight")
        }
    }

    func testDuplicateTensorAcrossShards() throws {
        let first = try writeSafeTensors("dup/one.safetensors", header: "{\(f32Tensor("x"))}", data: [UInt8](repeating: 0, count: 8))
        let second = try writeSafeTensors("dup/two.safetensors", header: "{\(f32Tensor("x")),\(f32Tensor("y", begin: 8))}",
                                          data: [UInt8](repeating: 0, count: 16))
        let index = try writeIndex(#""x":"one.safetensors","y":"two.safetensors""#, to: "dup/model.safetensors.index.json")
        assertSafeTensorsError(try SafeTensorsCollection(url: index), file: second, tensor: "x") {
            $0 == .duplicateTensor(tensor: "x", file: second.path, otherFile: first.path)
        }
    }

    func testIndexMappingOneTensorToTwoShards() throws {
        let index = try writeIndex(#""x":"one.safetensors","x":"two.safetensors""#, to: "twice/model.safetensors.index.json")
        let dir = index.deletingLastPathComponent()
        assertSafeTensorsError(try SafeTensorsCollection(url: index), file: dir.appendingPathComponent("two.safetensors"), tensor: "x") {
            if case .duplicateTensor = $0 { return true }; return false
        }
    }

    func testIndexMappingTensorToShardWithoutIt() throws {
        try writeSafeTensors("lying/one.safetensors", header: "{\(f32Tensor("x"))}", data: [UInt8](repeating: 0, count: 8))
        let index = try writeIndex(#""x":"one.safetensors","ghost":"one.safetensors""#, to: "lying/model.safetensors.index.json")
        assertSafeTensorsError(try SafeTensorsCollection(url: index), file: index, tensor: "ghost") {
            $0 == .tensorMissingFromShard(index: index.path, shard: "one.safetensors", tensor: "ghost")
        }
    }

    func testMalformedIndexes() throws {
        let bodies = ["{", "[]", #"{"metadata":{}}"#, #"{"weight_map":{}}"#, #"{"weight_map":{"x":3}}"#,
                      #"{"weight_map":{"x":"../escape.safetensors"}}"#, #"{"weight_map":{"x":"/etc/passwd"}}"#]
        for (number, body) in bodies.enumerated() {
            let index = try write(Data(body.utf8), to: "bad\(number)/model.safetensors.index.json")
            assertSafeTensorsError(try SafeTensorsCollection(url: index), file: index) { if case .invalidIndex = $0 { return true }; return false }
        }
    }

    func testCorruptShardIsReportedWithItsPath() throws {
        let index = try copyShardedFixture(to: "corrupt")
        let shard = index.deletingLastPathComponent().appendingPathComponent(shard1)
        try write(Data(contentsOf: shard).dropLast(4), to: "corrupt/\(shard1)")
        assertSafeTensorsError(try SafeTensorsCollection(url: index), file: shard, tensor: "a.weight") {
            if case .tensorOutOfBounds = $0 { return true }; return false
        }
    }

    func testMissingTensorInCollectionNamesTheIndex() throws {
        let index = fixtureURL("safetensors/sharded/model.safetensors.index.json")
        let weights = try SafeTensorsCollection(url: index)
        assertSafeTensorsError(try weights.floats("d.weight"), file: index, tensor: "d.weight") {
            $0 == .tensorNotFound(file: index.path, tensor: "d.weight")
        }
    }

    func testMissingPath() throws {
        let missing = tempDirectory.appendingPathComponent("nothing-here")
        assertSafeTensorsError(try SafeTensorsCollection(url: missing), file: missing) { if case .cannotOpen = $0 { return true }; return false }
    }
}
