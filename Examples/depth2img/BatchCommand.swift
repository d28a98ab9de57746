import ArgumentParser
import DepthDiffusion
import DepthDiffusionBatch
import Foundation

/// `depth2img batch`: runs one shard of a JSON Lines manifest with a model loaded once.
struct BatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "batch",
        abstract: "Runs the jobs of a JSON Lines manifest (one shard of it), loading the model once; resumable.",
        discussion: """
            Each manifest line is {"id": ..., "image": ..., "prompt": ...} plus optional negative_prompt, depth, seed, \
            steps, strength, guidance, scheduler, images and eta (defaults: the options below). Relative paths are \
            relative to the manifest. Outputs: DIR/ID.png (DIR/ID-K.png for several images), and one results line per \
            job in DIR/results-shard-I-of-N.jsonl. Jobs already done are skipped, so a killed worker can simply be \
            started again. The job on line n belongs to shard (n-1) mod N. The shard comes from --shard, else \
            JOB_COMPLETION_INDEX with --shard-count or DEPTHDIFFUSION_SHARD_COUNT (Kubernetes Indexed Job), else \
            SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_MIN and SLURM_ARRAY_TASK_COUNT (Slurm array); otherwise the whole \
            manifest. Exit status: 0 when every job of the shard is done, 1 when any failed, 128+signal when stopped \
            by SIGTERM or SIGINT (run again to finish).
            """)

    @OptionGroup var source: ModelOptions
    @Option(help: "The JSON Lines manifest.") var manifest: String
    @Option(help: "Folder for the images, results and summary files (created if missing).") var outputDir: String
    @Option(help: "This worker's shard as INDEX/COUNT, e.g. 0/4.") var shard: String?
    @Option(help: "The number of shards when the index comes from JOB_COMPLETION_INDEX or a Slurm array.") var shardCount: Int?
    @Option(help: "Backend: auto, cpu, opencl or opencl:PLATFORM:DEVICE.") var backend: String = "auto"
    @Option(help: "Default negative prompt.") var negativePrompt: String?
    @Option(help: "Default strength, in (0, 1].") var strength: Double = 0.8
    @Option(help: "Default denoising steps for strength 1.") var steps: Int = 50
    @Option(help: "Default classifier-free guidance scale.") var guidance: Float = 7.5
    @Option(help: "Default seed; when omitted, each job's seed is derived from its id.") var seed: UInt64?
    @Option(help: "Default sampler: \(SchedulerKind.allCases.map(\.rawValue).joined(separator: "|")); default: the model's.")
    var scheduler: String?
    @Option(help: "Default DDIM eta.") var eta: Double = 0
    @Option(help: "Default number of images per job.") var images: Int = 1

    func validate() throws {
        guard steps >= 1 else { throw ValidationError("--steps must be at least 1") }
        guard strength > 0 && strength <= 1 else { throw ValidationError("--strength must be in (0, 1]") }
        guard (1...64).contains(images) else { throw ValidationError("--images must be in 1...64") }
        if let scheduler, SchedulerKind(rawValue: scheduler) == nil {
            throw ValidationError("unknown --scheduler \(scheduler); use one of \(SchedulerKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    func run() throws {
        let summary: BatchSummary
        let stop = BatchStopFlag()
        do {
            summary = try work(stop: stop)
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode.failure
        }
        if summary.stopped { throw ExitCode(128 + (stop.signal ?? 0)) }
        if summary.failed > 0 { throw ExitCode.failure }
    }

    private func work(stop: BatchStopFlag) throws -> BatchSummary {
        let (shard, shardSource) = try BatchShard.resolve(option: self.shard, count: shardCount,
                                                     environment: ProcessInfo.processInfo.environment)
        var defaults = BatchDefaults()
        defaults.negativePrompt = negativePrompt
        defaults.seed = seed
        defaults.steps = steps
        defaults.strength = strength
        defaults.guidance = guidance
        defaults.scheduler = scheduler.flatMap(SchedulerKind.init(rawValue:))
        defaults.eta = eta
        defaults.images = images
        let manifest = try BatchManifest(contentsOf: URL(fileURLWithPath: self.manifest), defaults: defaults)
        let printer = BatchProgressPrinter(shardSource: shardSource, model: self.source.model)
        let worker = BatchWorker(manifest: manifest, outputFolder: URL(fileURLWithPath: outputDir), shard: shard) {
            let compute = try BackendKind(parsing: backend).makeBackend()
            printer.note("backend: \(compute.name) — \(compute.deviceDescription)")
            return try self.source.loadPipeline(backend: compute, note: printer.note)
        }
        printer.note("results: \(worker.resultsFile.path)")
        stop.stopOnSignals { signal in
            printer.note("received signal \(signal): stopping after the current step (again to exit at once)")
        }
        let summary = try worker.run(stop: stop, progress: printer.report)
        printer.note(summary.description)
        return summary
    }
}
