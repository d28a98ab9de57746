import ArgumentParser

/// `depth-bench`: the one place where DepthDiffusion's performance is measured.
@main
struct DepthBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "depth-bench",
        abstract: "Times DepthDiffusion's operations and models.",
        subcommands: [OpsBenchmark.self, BF16GEMMBenchmark.self, UNetBenchmark.self, VAEDecodeBenchmark.self, VAEEncodeBenchmark.self,
                      TextEncoderBenchmark.self, DepthBenchmark.self, PipelineBenchmark.self])
}
