import Foundation
import XCTest
@testable import DepthDiffusion

final class WeightBinderTests: XCTestCase {
    /// An in-memory checkpoint.
    final class DictionarySource: WeightSource {
        var tensors: [String: (shape: [Int], values: [Float])]
        init(_ tensors: [String: (shape: [Int], values: [Float])]) { self.tensors = tensors }
        var tensorNames: [String]? { Array(tensors.keys) }
        func shape(of name: String) -> [Int]? { tensors[name]?.shape }
        func floats(_ name: String, shape: [Int]) throws -> [Float] { tensors[name]!.values }
    }

    func testBindsByDottedNames() throws {
        let source = DictionarySource([
            "down_blocks.0.resnets.1.conv1.weight": ([2, 1, 1, 1], [1, 2]),
            "down_blocks.0.resnets.1.conv1.bias": ([2], [3, 4]),
        ])
        let binder = WeightBinder(source: source, backend: try CPUBackend())
        let conv = binder.scope("down_blocks").scope(0).scope("resnets").scope(1).scope("conv1")
        XCTAssertEqual(conv.prefix, "down_blocks.0.resnets.1.conv1")
        XCTAssertEqual(try conv.tensor("weight", shape: [2, 1, 1, 1]).toArray(), [1, 2])
        XCTAssertEqual(try conv.optionalTensor("bias", shape: [2])?.toArray(), [3, 4])
        XCTAssertNil(try conv.optionalTensor("scale", shape: [2]))
        XCTAssertNoThrow(try binder.finish())
    }

    func testReportsMissingMismatchedAndUnexpectedTogether() throws {
        let source = DictionarySource([
            "a.weight": ([3, 2], [Float](repeating: 0, count: 6)),
            "b.weight": ([2], [1, 1]),
            "extra.weight": ([1], [0]),
            "position_ids": ([1, 77], [Float](repeating: 0, count: 77)),
        ])
        let binder = WeightBinder(source: source, backend: try CPUBackend())
        _ = try binder.tensor("a.weight", shape: [2, 3])
        _ = try binder.tensor("b.weight", shape: [2])
        _ = try binder.tensor("c.weight", shape: [4])
        XCTAssertThrowsError(try binder.finish(ignoringUnused: { $0 == "position_ids" })) { error in
            guard let e = error as? WeightBindingError else { return XCTFail("\(error)") }
            XCTAssertEqual(e.missing, ["c.weight"])
            XCTAssertEqual(e.shapeMismatches, [.init(name: "a.weight", expected: [2, 3], found: [3, 2])])
            XCTAssertEqual(e.unexpected, ["extra.weight"])
            let text = e.description
            XCTAssertTrue(text.contains("c.weight") && text.contains("a.weight") && text.contains("extra.weight"), text)
        }
    }

    func testBindsFromSafetensorsFile() throws {
        let collection = try SafeTensorsCollection(url: fixtureURL("safetensors/f32.safetensors"))
        let binder = WeightBinder(source: collection, backend: try CPUBackend())
        for name in collection.names {
            let shape = collection.entries[name]!.shape
            let t = try binder.tensor(name, shape: shape)
            XCTAssertEqual(try t.toArray().count, shape.reduce(1, *))
        }
        XCTAssertNoThrow(try binder.finish())
    }

    func testRandomSourceIsDeterministicAndScaled() throws {
        let backend = try CPUBackend()
        let a = try WeightBinder(source: RandomWeightSource(seed: 1), backend: backend).tensor("x.weight", shape: [8, 100]).toArray()
        let b = try WeightBinder(source: RandomWeightSource(seed: 1), backend: backend).tensor("x.weight", shape: [8, 100]).toArray()
        XCTAssertEqual(a, b)
        XCTAssertLessThanOrEqual(a.map(abs).max()!, 0.1)
        XCTAssertEqual(try WeightBinder(source: RandomWeightSource(), backend: backend).tensor("norm1.weight", shape: [4]).toArray(), [1, 1, 1, 1])
    }
}
