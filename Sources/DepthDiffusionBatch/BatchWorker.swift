import DepthDiffusion
import DepthDiffusionImageIO
import Dispatch
import Foundation

/// Runs one shard of a ``BatchManifest``: the worker that a Kubernetes Indexed Job or a Slurm job array
/// starts once per index.
///
/// ```swift
/// let manifest = try BatchManifest(contentsOf: URL(fileURLWithPath: "jobs.jsonl"))
/// let worker = BatchWorker(manifest: manifest, outputFolder: URL(fileURLWithPath: "out"), shard: try BatchShard(parsing: "0/4")) {
///     try DepthToImagePipeline(modelFolder: URL(fileURLWithPath: "sd2-depth"), backend: BackendKind.auto.makeBackend())
/// }
/// let summary = try worker.run()
/// ```
///
/// Outputs are `{id}.png` (`{id}-1.png` … for several images), each stored atomically and durably; after
/// a job's outputs, one line is appended to the shard's results file. A job is skipped when a successful
/// record and all its outputs exist, so a worker killed at any moment and started again does only the rest.
/// A failing line (bad JSON, unreadable image, bad parameter) is recorded with its error and the worker goes on.
public final class BatchWorker {
    /// The manifest.
    public let manifest: BatchManifest
    /// Where outputs and results go (created if missing).
    public let outputFolder: URL
    /// This worker's shard.
    public let shard: BatchShard
    private let loadPipeline: () throws -> DepthToImagePipeline

    /// A worker; `loadPipeline` is called at most once, before the first job that has to run.
    public init(manifest: BatchManifest, outputFolder: URL, shard: BatchShard = .whole,
                loadPipeline: @escaping () throws -> DepthToImagePipeline) {
        self.manifest = manifest
        self.outputFolder = outputFolder
        self.shard = shard
        self.loadPipeline = loadPipeline
    }

    /// The results file of this worker's shard.
    public var resultsFile: URL { outputFolder.appendingPathComponent(BatchResultsLog.fileName(for: shard)) }

    /// The summary file of this worker's shard.
    public var summaryFile: URL { outputFolder.appendingPathComponent("summary-shard-\(shard.index)-of-\(shard.count).json") }

    /// Runs the shard's lines in manifest order. Throws only when the worker cannot go on (the output folder or
    /// results file cannot be written, the model does not load); each job's own failure is in its record.
    public func run(stop: BatchStopFlag? = nil, progress: ((BatchEvent) -> Void)? = nil) throws -> BatchSummary {
        let start = now()
        do {
            try FileManager.default.createDirectory(at: outputFolder, withIntermediateDirectories: true)
        } catch {
            throw BatchError.cannotWrite(path: outputFolder.path, reason: (error as NSError).localizedDescription)
        }
        let entries = manifest.entries(for: shard)
        let succeeded = BatchResultsLog.succeededIDs(in: outputFolder)
        let isDone = { (job: BatchJob) in
            succeeded.contains(job.id) && job.outputNames.allSatisfy {
                FileManager.default.fileExists(atPath: self.outputFolder.appendingPathComponent($0).path)
            }
        }
        let jobs = entries.compactMap { entry -> BatchJob? in if case .job(let job) = entry { return job } else { return nil } }
        var toRun = jobs.filter { !isDone($0) }.count
        progress?(.starting(shard: shard, total: entries.count, alreadyDone: jobs.count - toRun))
        DurableFile.removeTemporaries(of: Set(jobs.flatMap(\.outputNames)), in: outputFolder)
        let results = try BatchResultsWriter(url: resultsFile)

        var summary = BatchSummary(shard: shard.description, jobs: entries.count, done: 0, skipped: 0, failed: 0,
                                   remaining: 0, images: 0, seconds: 0, modelLoadSeconds: 0, imagesPerMinute: 0, stopped: false)
        var pipeline: DepthToImagePipeline?
        var runSeconds = 0.0, runCount = 0
        lines: for (offset, entry) in entries.enumerated() {
            let position = offset + 1
            if stop?.isStopRequested == true {
                summary.stopped = true
                summary.remaining = entries.count - offset
                progress?(.stopped(position: position, total: entries.count))
                break lines
            }
            let record: BatchResultRecord
            switch entry {
            case let .invalid(line, id, error):
                record = BatchResultRecord(id: id, line: line, outputs: [], seed: nil, timings: nil, error: error.description)
            case let .job(job):
                if isDone(job) {
                    summary.skipped += 1
                    progress?(.jobSkipped(position: position, total: entries.count, id: job.id))
                    continue
                }
                progress?(.jobStarted(position: position, total: entries.count, job: job))
                let jobStart = now()
                do {
                    let onStep = { (step: DepthToImageProgress) -> Void in progress?(.step(position: position, total: entries.count, progress: step)) }
                    record = try run(job, stop: stop, onStep: onStep) {
                        if let pipeline { return pipeline }
                        let loadStart = now()
                        let loaded: DepthToImagePipeline
                        do { loaded = try loadPipeline() } catch { throw ModelLoadFailure(underlying: error) }
                        pipeline = loaded
                        summary.modelLoadSeconds = now() - loadStart
                        progress?(.modelLoaded(seconds: summary.modelLoadSeconds))
                        return loaded
                    }
                    summary.images += record.outputs.count
                } catch let failure as ModelLoadFailure {
                    throw failure.underlying
                } catch PipelineError.cancelled {
                    summary.stopped = true
                    summary.remaining = entries.count - offset
                    progress?(.stopped(position: position, total: entries.count))
                    break lines
                } catch {
                    var timings = BatchJobTimings()
                    timings.total = now() - jobStart
                    record = BatchResultRecord(id: job.id, line: job.line, outputs: [], seed: job.seed, timings: timings,
                                               error: "\(error)")
                }
                runSeconds += record.timings?.total ?? now() - jobStart
                runCount += 1
                toRun -= 1
            }
            try results.append(record)
            if record.error == nil { summary.done += 1 } else { summary.failed += 1 }
            let eta = runCount > 0 ? runSeconds / Double(runCount) * Double(toRun) : nil
            progress?(.jobFinished(position: position, total: entries.count, record: record, eta: eta))
        }
        summary.seconds = now() - start
        summary.imagesPerMinute = summary.seconds > 0 ? Double(summary.images) / summary.seconds * 60 : 0
        try writeSummary(summary)
        return summary
    }

    /// A model that does not load stops the worker instead of failing one job.
    private struct ModelLoadFailure: Error { var underlying: Error }

    /// Reads the inputs, generates, and stores the outputs of one job. The model is asked for only once the
    /// inputs have been read, so a run whose jobs all fail on their inputs does not load it.
    private func run(_ job: BatchJob, stop: BatchStopFlag?, onStep: @escaping (DepthToImageProgress) -> Void,
                     pipeline: () throws -> DepthToImagePipeline) throws -> BatchResultRecord {
        let readStart = now()
        var timings = BatchJobTimings()
        let image = try ImageFile.readRGBImage(job.image)
        let depth = try job.depth.map { try ImageFile.readDepthMap($0) }
        timings.read = now() - readStart
        let model = try pipeline()
        let start = now() - timings.read   // the job's time, without loading the model
        let result = try model.generate(job.request(image: image, depthMap: depth)) { step in
            onStep(step)
            return stop?.isStopRequested != true
        }
        timings.add(result.timings)
        let writeStart = now()
        for (output, name) in zip(result.images, job.outputNames) {
            try DurableFile.write(try ImageFile.encodePNG(output), to: outputFolder.appendingPathComponent(name))
        }
        timings.write = now() - writeStart
        timings.total = now() - start
        return BatchResultRecord(id: job.id, line: job.line, outputs: job.outputNames, seed: job.seed, timings: timings, error: nil)
    }

    private func writeSummary(_ summary: BatchSummary) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        do {
            try DurableFile.write(try encoder.encode(summary) + Data("\n".utf8), to: summaryFile)
        } catch let error as BatchError {
            throw error
        } catch {
            throw BatchError.cannotWrite(path: summaryFile.path, reason: "\(error)")
        }
    }

    private func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
}
