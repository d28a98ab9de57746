import CDepthKernels
import XCTest
@testable import DepthDiffusion

/// The ``BackendCapability/weights16`` kernels on every backend: 16-bit weights keep exactly the rounded values,
/// and linear layers and convolutions with them match a double-precision reference computed from those values.
final class Weights16Tests: SafeTensorsTestCase {
    static let precisions: [WeightPrecision] = [.fp16, .bf16]

    /// `values` rounded to `precision` (nearest, ties to even) and widened back.
    static func rounded(_ values: [Float], _ precision: WeightPrecision) -> [Float] {
        var r = values
        switch precision {
        case .fp16: dd_f16_round_floats(&r, r.count)
        case .bf16: dd_bf16_round_floats(&r, r.count)
        case .fp32: break
        }
        return r
    }

    /// Whether `backend` also rounds the activations to bf16 in products with bf16 weights (the CPU backend on
    /// AVX512-BF16, outside Winograd convolutions).
    static func roundsActivations(_ backend: ComputeBackend, _ precision: WeightPrecision) -> Bool {
        precision == .bf16 && backend is CPUBackend && BF16GEMMPath.preferred == .avx512bf16
    }

    func weight(_ backend: ComputeBackend, _ shape: [Int], _ values: [Float], _ precision: WeightPrecision) throws -> Tensor {
        try values.withUnsafeBufferPointer { p in
            let buffer = try backend.makeWeight16(.float32(p), rows: shape[0], cols: values.count / shape[0], precision: precision)
            return try Tensor(shape: shape, buffer: buffer, backend: backend, storage: precision)
        }
    }

    func testWidenedWeightsAreTheRoundedValues() throws {
        var rng = TestRandom(seed: 61)
        // Ordinary values, values past fp16's range and below its normal range, ties, zeros of both signs.
        let values = rng.floats(37 * 11, scale: 3) + [70_000, -1e6, 3e-6, -6e-8, 1 + 1.0 / 2048, 1 + 1.0 / 256, 0, -0.0, 65_504]
        for backend in try conformanceBackends() {
            for precision in Self.precisions {
                let w = try weight(backend, [52, 8], values, precision)
                XCTAssertEqual(w.storage, precision)
                let widened = try w.toArray()
                let expected = Self.rounded(values, precision)
                XCTAssertEqual(widened.map(\.bitPattern), expected.map(\.bitPattern), "\(precision) on \(backend.name)")
            }
        }
    }

    func testStoredHalfAndBFloat16BitsAreKeptExactly() throws {
        var rng = TestRandom(seed: 62)
        let values = rng.floats(64, scale: 2)
        let half = values.map { Float16($0).bitPattern }
        let bf16 = Self.rounded(values, .bf16).map { UInt16($0.bitPattern >> 16) }
        for backend in try conformanceBackends() {
            for (bits, precision) in [(half, WeightPrecision.fp16), (bf16, .bf16)] {
                let buffer = try bits.withUnsafeBytes { raw in
                    try backend.makeWeight16(precision == .fp16 ? .float16(raw) : .bfloat16(raw), rows: 8, cols: 8, precision: precision)
                }
                let widened = try Tensor(shape: [8, 8], buffer: buffer, backend: backend, storage: precision).toArray()
                let exact = bits.map { precision == .fp16 ? Float16Conversion.float(fromHalfBits: $0) : Float16Conversion.float(fromBFloat16Bits: $0) }
                XCTAssertEqual(widened, exact, "\(precision) bits on \(backend.name)")
            }
        }
    }

    func testLinearWith16BitWeights() throws {
        var rng = TestRandom(seed: 63)
        for (m, n, k) in [(1, 1, 1), (5, 33, 17), (19, 64, 96), (40, 70, 3)] {
            let x = rng.floats(m * k), w = rng.floats(n * k, scale: 0.5), bias = rng.floats(n)
            var outputs: [(String, [Float])] = []
            for backend in try conformanceBackends() {
                for precision in Self.precisions {
                    let xr = Self.roundsActivations(backend, precision) ? Self.rounded(x, .bf16) : x
                    let d = GEMMDescriptor(m: m, n: n, k: k, transposeB: true, bias: .perColumn)
                    let reference = Ref.gemm(d, a: xr, b: Self.rounded(w, precision), bias: bias, c: [Float](repeating: 0, count: m * n))
                    let y = try backend.linear(Tensor(shape: [m, k], data: x, on: backend), weight: weight(backend, [n, k], w, precision),
                                               bias: Tensor(shape: [n], data: bias, on: backend), activation: .gelu,
                                               residual: Tensor(shape: [m, n], data: [Float](repeating: 1, count: m * n), on: backend))
                    let expected = reference.map { Ref.unary(.gelu, $0) + 1 }
                    // Measured: at most 1.9e-6 absolute at outputs up to 7.4 (float32 accumulation of the rounded values).
                    assertClose(try y.toArray(), expected, atol: 1e-5, rtol: 1e-5, "linear \(m)x\(n)x\(k) \(precision) on \(backend.name)")
                    outputs.append(("\(backend.name) \(precision)", try y.toArray()))
                }
            }
            // Both backends agree wherever they compute the same products (fp16 everywhere; bf16 unless the CPU
            // also rounds the activations, which the reference above covers).
            let fp16 = outputs.filter { $0.0.hasSuffix("fp16") }
            for pair in zip(fp16, fp16.dropFirst()) {
                assertClose(pair.1.1, pair.0.1.map(Double.init), atol: 1e-5, rtol: 1e-5, "linear fp16 \(pair.1.0) vs \(pair.0.0)")
            }
        }
    }

    func testConvolutionWith16BitWeightsOnEveryPath() throws {
        var rng = TestRandom(seed: 64)
        // 1x1; 3x3 on a small map (patches on AVX512-BF16, shifted GEMM or im2col otherwise); stride 2 with
        // asymmetric padding; a 5x3 kernel with uneven strides and padding wider than the map; 3x3 on two 24x24 maps (72 tiles: Winograd, float32 products of the rounded weights).
        let cases: [(Conv2DDescriptor, winograd: Bool)] = [
            (Conv2DDescriptor(batch: 2, inChannels: 6, height: 5, width: 7, outChannels: 9, kernelH: 1, kernelW: 1,
                              strideH: 1, strideW: 1, padTop: 0, padBottom: 0, padLeft: 0, padRight: 0), false),
            (Conv2DDescriptor(batch: 2, inChannels: 5, height: 8, width: 6, outChannels: 35, kernelH: 3, kernelW: 3,
                              strideH: 1, strideW: 1, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1), false),
            (Conv2DDescriptor(batch: 1, inChannels: 4, height: 9, width: 9, outChannels: 8, kernelH: 3, kernelW: 3,
                              strideH: 2, strideW: 2, padTop: 0, padBottom: 1, padLeft: 0, padRight: 1), false),
            (Conv2DDescriptor(batch: 2, inChannels: 3, height: 4, width: 3, outChannels: 5, kernelH: 5, kernelW: 3,
                              strideH: 1, strideW: 2, padTop: 2, padBottom: 2, padLeft: 2, padRight: 1), false),
            (Conv2DDescriptor(batch: 2, inChannels: 8, height: 24, width: 24, outChannels: 16, kernelH: 3, kernelW: 3,
                              strideH: 1, strideW: 1, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1), true),
        ]
        for (d, winograd) in cases {
            let x = rng.floats(d.batch * d.inChannels * d.height * d.width)
            let wShape = [d.outChannels, d.inChannels, d.kernelH, d.kernelW]
            let w = rng.floats(wShape.reduce(1, *), scale: 0.3), b = rng.floats(d.outChannels)
            for backend in try conformanceBackends() {
                for precision in Self.precisions {
                    let xr = Self.roundsActivations(backend, precision) && !winograd ? Self.rounded(x, .bf16) : x
                    let expected = Ref.conv2d(d, x: xr, w: Self.rounded(w, precision), b: b)
                    let y = try backend.conv2d(Tensor(shape: [d.batch, d.inChannels, d.height, d.width], data: x, on: backend),
                                               weight: weight(backend, wShape, w, precision), bias: Tensor(shape: [d.outChannels], data: b, on: backend),
                                               stride: (d.strideH, d.strideW),
                                               padding: Padding2D(top: d.padTop, bottom: d.padBottom, left: d.padLeft, right: d.padRight))
                    // Measured: at most 9.2e-6 absolute (CPU Winograd case) at outputs up to 3.8; the float32 conv2d
                    // tolerance of the conformance suite.
                    assertClose(try y.toArray(), expected, atol: 3e-5, rtol: 1e-5, "conv2d \(d) \(precision) on \(backend.name)")
                }
            }
        }
    }

    func testBinderKeepsFloat32WhereTheBackendHasNo16BitWeights() throws {
        var rng = TestRandom(seed: 65)
        let values = rng.floats(12)
        let source = try DictionaryWeightSource(["layer.weight": ([3, 4], values), "layer.bias": ([3], [1, 2, 3])])
        for backend in try conformanceBackends() {
            let plain = MandatoryKernelsBackend(backend)
            let binder = WeightBinder(source: source, backend: plain, precision: .fp16)
            XCTAssertEqual(binder.precision, .fp32, "a backend without weights16 keeps float32")
            let layer = try Linear(binder.scope("layer"), inFeatures: 4, outFeatures: 3)
            XCTAssertEqual(layer.weight.storage, .fp32)
            XCTAssertEqual(try layer.weight.toArray(), values)

            let sixteen = WeightBinder(source: source, backend: backend, precision: .bf16)
            let half = try Linear(sixteen.scope("layer"), inFeatures: 4, outFeatures: 3)
            XCTAssertEqual(half.weight.storage, .bf16)
            XCTAssertEqual(half.bias?.storage, .fp32, "biases stay float32")
            // A 16-bit weight is refused by every operation except linear and conv2d, with a typed error.
            XCTAssertThrowsError(try backend.add(half.weight, half.weight)) { error in
                guard case .invalidArgument(let op, _) = error as? TensorError else { return XCTFail("\(error)") }
                XCTAssertEqual(op, "add")
            }
            // A backend without the capability makes no 16-bit weights.
            XCTAssertThrowsError(try values.withUnsafeBufferPointer { try plain.makeWeight16(.float32($0), rows: 3, cols: 4, precision: .fp16) }) { error in
                XCTAssertEqual(error as? TensorError, .unsupported(operation: "weights16", backend: plain.name))
            }
        }
    }

    func testHalfSafetensorsReachTheDeviceBitForBit() throws {
        var rng = TestRandom(seed: 66)
        let values = rng.floats(24, scale: 4)
        let half = values.map { Float16($0).bitPattern }
        let bf16 = Self.rounded(values, .bf16).map { UInt16($0.bitPattern >> 16) }
        func file(_ name: String, _ dtype: String, _ bits: [UInt16]) throws -> SafeTensorsCollection {
            let header = #"{"w.weight":{"dtype":"\#(dtype)","shape":[4,6],"data_offsets":[0,48]}}"#
            return try SafeTensorsCollection(url: writeSafeTensors(name, header: header, data: bits.withUnsafeBytes { Array($0) }))
        }
        let f16File = try file("f16.safetensors", "F16", half), bf16File = try file("bf16.safetensors", "BF16", bf16)
        for backend in try conformanceBackends() {
            for (source, precision, bits) in [(f16File, WeightPrecision.fp16, half), (bf16File, .bf16, bf16)] {
                let w = try WeightBinder(source: source, backend: backend, precision: precision).scope("w").weight("weight", shape: [4, 6])
                let exact = bits.map { precision == .fp16 ? Float16Conversion.float(fromHalfBits: $0) : Float16Conversion.float(fromBFloat16Bits: $0) }
                XCTAssertEqual(try w.toArray(), exact, "\(precision) file on \(backend.name)")
            }
            // An fp16 file held as bf16 is rounded from its exact values.
            let cross = try WeightBinder(source: f16File, backend: backend, precision: .bf16).scope("w").weight("weight", shape: [4, 6])
            let widenedHalf = half.map(Float16Conversion.float(fromHalfBits:))
            XCTAssertEqual(try cross.toArray(), Self.rounded(widenedHalf, .bf16))
        }
    }
}

extension Weights16Tests {
    /// Tensor data at addresses that are not 4-byte (F32) or 2-byte (F16) aligned is read through copies, and a
    /// non-float tensor bound as a weight is a typed error.
    func testUnalignedAndNonFloatTensorsFromSafetensors() throws {
        var rng = TestRandom(seed: 67)
        let f32 = rng.floats(4 * 3), f16 = rng.floats(4 * 3).map { Float16($0) }
        var data = f32.withUnsafeBytes { Array($0) } + f16.withUnsafeBytes { Array($0) }
        data += [UInt8](repeating: 7, count: 8)
        var header = #"{"a.weight":{"dtype":"F32","shape":[4,3],"data_offsets":[0,48]},"b.weight":{"dtype":"F16","shape":[4,3],"data_offsets":[48,72]},"c.weight":{"dtype":"I64","shape":[1,1],"data_offsets":[72,80]}}"#
        // Data starts at 8 + header length: make that odd, so F32 is misaligned and F16 sits at an odd address.
        if header.utf8.count % 2 == 0 { header += " " }
        let file = try SafeTensorsCollection(url: writeSafeTensors("unaligned.safetensors", header: header, data: data))
        let halfValues = f16.map(Float.init)
        for backend in try conformanceBackends() {
            let binder = WeightBinder(source: file, backend: backend, precision: .bf16)
            XCTAssertEqual(try binder.scope("a").tensor("weight", shape: [4, 3]).toArray(), f32, "misaligned F32 on \(backend.name)")
            XCTAssertEqual(try binder.scope("a").weight("weight", shape: [4, 3]).toArray(), Self.rounded(f32, .bf16))
            XCTAssertEqual(try binder.scope("b").weight("weight", shape: [4, 3]).toArray(), Self.rounded(halfValues, .bf16),
                           "F16 at an odd address on \(backend.name)")
            XCTAssertEqual(try WeightBinder(source: file, backend: backend, precision: .fp16).scope("b")
                .weight("weight", shape: [4, 3]).toArray(), halfValues)
            XCTAssertThrowsError(try binder.scope("c").weight("weight", shape: [1, 1])) { error in
                guard case .unsupportedDType(_, let tensor, let dtype)? = error as? SafeTensorsError else { return XCTFail("\(error)") }
                XCTAssertEqual(tensor, "c.weight")
                XCTAssertEqual(dtype, .i64)
            }
        }
    }
}

/// Weights from a dictionary of name → (shape, values).
final class DictionaryWeightSource: WeightSource {
    let tensors: [String: (shape: [Int], values: [Float])]
    init(_ tensors: [String: (shape: [Int], values: [Float])]) throws { self.tensors = tensors }
    var tensorNames: [String]? { Array(tensors.keys) }
    func shape(of name: String) -> [Int]? { tensors[name]?.shape }
    func floats(_ name: String, shape: [Int]) throws -> [Float] {
        guard let t = tensors[name] else { throw WeightBindingError(missing: [name], shapeMismatches: [], unexpected: []) }
        return t.values
    }
}
