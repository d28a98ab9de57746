import ArgumentParser
import CRuntimeLibraries
import DepthDiffusion
import Foundation

/// `depth-bench ops`: GEMM and the models' main convolution shapes, next to raw `cblas_sgemm`.
struct OpsBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ops",
        abstract: "Times GEMM and the UNet/VAE convolution shapes; reports GFLOP/s against raw sgemm.")

    @OptionGroup var options: CommonOptions
    @Option(help: "Only run ops whose name contains this text.")
    var filter: String?

    struct Case {
        var name: String
        var shape: String
        var flops: Double
        var run: () throws -> Void
    }

    func run() throws {
        let backend = try options.makeBackend()
        var cases: [Case] = []
        func conv(_ name: String, batch: Int, channels: Int, size: Int, precision: WeightPrecision = .fp32) throws {
            let x = try Tensor(shape: [batch, channels, size, size], data: benchmarkData(batch * channels * size * size), on: backend)
            let weights = benchmarkData(channels * channels * 9, seed: 2)
            let w = precision == .fp32
                ? try Tensor(shape: [channels, channels, 3, 3], data: weights, on: backend)
                : try weights.withUnsafeBufferPointer {
                    try Tensor(shape: [channels, channels, 3, 3],
                               buffer: try backend.makeWeight16(.float32($0), rows: channels, cols: channels * 9, precision: precision),
                               backend: backend, storage: precision)
                }
            let b = try Tensor(shape: [channels], data: benchmarkData(channels, seed: 3), on: backend)
            let d = Conv2DDescriptor(batch: batch, inChannels: channels, height: size, width: size, outChannels: channels,
                                     kernelH: 3, kernelW: 3, padTop: 1, padBottom: 1, padLeft: 1, padRight: 1)
            cases.append(Case(name: name, shape: "\(batch)x\(channels)x\(size)x\(size) -> \(channels), 3x3 pad 1"
                                  + (precision == .fp32 ? "" : ", \(precision) weights"),
                              flops: d.flops) {
                let y = try backend.conv2d(x, weight: w, bias: b, stride: (1, 1), padding: .uniform(1))
                try backend.synchronize()
                _ = y
            })
        }
        func gemm(_ name: String, rows: Int, inFeatures: Int, outFeatures: Int) throws {
            let x = try Tensor(shape: [rows, inFeatures], data: benchmarkData(rows * inFeatures), on: backend)
            let w = try Tensor(shape: [outFeatures, inFeatures], data: benchmarkData(outFeatures * inFeatures, seed: 2), on: backend)
            let b = try Tensor(shape: [outFeatures], data: benchmarkData(outFeatures, seed: 3), on: backend)
            cases.append(Case(name: name, shape: "[\(rows)x\(inFeatures)] x [\(outFeatures)x\(inFeatures)]ᵀ + bias",
                              flops: 2 * Double(rows * inFeatures * outFeatures)) {
                _ = try backend.linear(x, weight: w, bias: b)
                try backend.synchronize()
            })
        }
        func attention(_ name: String, batch: Int, tokens: Int, keys: Int, heads: Int, headDim: Int,
                       bf16Products: Bool = false) throws {
            let q = try Tensor(shape: [batch, tokens, heads * headDim], data: benchmarkData(batch * tokens * heads * headDim), on: backend)
            let k = try Tensor(shape: [batch, keys, heads * headDim], data: benchmarkData(batch * keys * heads * headDim, seed: 2), on: backend)
            let v = try Tensor(shape: [batch, keys, heads * headDim], data: benchmarkData(batch * keys * heads * headDim, seed: 3), on: backend)
            let d = AttentionDescriptor(batch: batch, heads: heads, queryLength: tokens, keyLength: keys, headDim: headDim)
            cases.append(Case(name: name, shape: "[\(batch)x\(tokens)x\(heads)x\(headDim)] attending to \(keys) keys"
                                  + (bf16Products ? ", bf16 products where the CPU has them" : ""),
                              flops: d.flops) {
                _ = try backend.attention(q: q, k: k, v: v, heads: heads, bf16Products: bf16Products)
                try backend.synchronize()
            })
        }
        try conv("unet.conv.320x64x64", batch: 2, channels: 320, size: 64)
        try conv("unet.conv.640x32x32", batch: 2, channels: 640, size: 32)
        try conv("unet.conv.1280x16x16", batch: 2, channels: 1280, size: 16)
        try conv("unet.conv.1280x8x8", batch: 2, channels: 1280, size: 8)
        try conv("unet.conv.1280x16x16.bf16", batch: 2, channels: 1280, size: 16, precision: .bf16)
        try conv("unet.conv.1280x8x8.bf16", batch: 2, channels: 1280, size: 8, precision: .bf16)
        try conv("vae.conv.128x512x512", batch: 1, channels: 128, size: 512)
        try conv("vae.conv.512x64x64", batch: 1, channels: 512, size: 64)
        try gemm("gemm.unet.proj.8192x320x320", rows: 8192, inFeatures: 320, outFeatures: 320)
        try gemm("gemm.unet.ff.8192x320x2560", rows: 8192, inFeatures: 320, outFeatures: 2560)
        try gemm("gemm.unet.ff.512x1280x10240", rows: 512, inFeatures: 1280, outFeatures: 10240)
        try attention("gemm.attention.unet.self.4096x5x64", batch: 2, tokens: 4096, keys: 4096, heads: 5, headDim: 64)
        try attention("gemm.attention.unet.cross.4096x5x64", batch: 2, tokens: 4096, keys: 77, heads: 5, headDim: 64)
        try attention("gemm.attention.unet.self.4096x5x64.bf16", batch: 2, tokens: 4096, keys: 4096, heads: 5,
                      headDim: 64, bf16Products: true)
        try attention("gemm.attention.unet.self.1024x10x64.bf16", batch: 2, tokens: 1024, keys: 1024, heads: 10,
                      headDim: 64, bf16Products: true)
        try gemm("gemm.text.154x1024x4096", rows: 154, inFeatures: 1024, outFeatures: 4096)

        if let filter { cases = cases.filter { $0.name.contains(filter) } }
        // Raw sgemm, 2048³, in the same run: timed before and after the ops, best of all runs.
        let n = 2048
        try OpenBLASLibrary.load()
        let a = benchmarkData(n * n), bm = benchmarkData(n * n, seed: 2)
        var c = [Float](repeating: 0, count: n * n)
        var sgemmTimes: [Double] = []
        func timeSgemm() {
            for i in 0...options.iterations {
                let t = measure {
                    dd_sgemm(0, 0, Int32(n), Int32(n), Int32(n), 1, a, Int32(n), bm, Int32(n), 0, &c, Int32(n))
                }
                if i > 0 { sgemmTimes.append(t) }
            }
        }
        timeSgemm()
        // Each op runs a warm-up and then all its iterations back to back; an iteration's total
        // is the sum of the ops' i-th runs.
        var perCase = [[Double]](repeating: [], count: cases.count)
        for (i, c) in cases.enumerated() {
            try c.run()
            for _ in 0..<options.iterations { perCase[i].append(try measure(c.run)) }
        }
        timeSgemm()
        let sgemmGflops = 2 * pow(Double(n), 3) / sgemmTimes.min()! / 1e9
        let totals = (0..<options.iterations).map { it in perCase.reduce(0) { $0 + $1[it] } }
        let totalFlops = cases.reduce(0) { $0 + $1.flops }
        if options.json {
            try printJSON([
                "component": "ops", "backend": backend.name, "device": backend.deviceDescription,
                "seconds": totals, "min_seconds": totals.min()!, "gflop": totalFlops / 1e9,
                "peak_rss_bytes": peakRSSBytes(), "sgemm_gflops": sgemmGflops,
                "ops": cases.enumerated().map { i, c in
                    ["name": c.name, "shape": c.shape, "seconds": perCase[i].min()!,
                     "gflops": c.flops / perCase[i].min()! / 1e9] as [String: Any]
                },
            ])
        } else {
            print("backend: \(backend.name) — \(backend.deviceDescription)")
            print(String(format: "raw cblas_sgemm 2048³: %.1f GFLOP/s", sgemmGflops))
            print("op".padding(toLength: 30, withPad: " ", startingAt: 0) + "  min ms     GFLOP/s  % of sgemm")
            for (i, c) in cases.enumerated() {
                let t = perCase[i].min()!, g = c.flops / t / 1e9
                print(c.name.padding(toLength: 30, withPad: " ", startingAt: 0)
                      + String(format: "%8.2f  %10.1f  %9.0f%%", t * 1e3, g, 100 * g / sgemmGflops))
            }
            print(String(format: "peak RSS: %.0f MB", Double(peakRSSBytes()) / 1e6))
        }
    }
}
