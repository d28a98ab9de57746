import DepthDiffusion
import DepthDiffusionImageIO
import Foundation

/// A folder with the demo input, a depth map and a manifest of jobs on the demo model, for batch tests.
struct BatchFixture {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let demoModel = root.appendingPathComponent("Examples/demo/model")

    let folder: URL
    var manifest: URL { folder.appendingPathComponent("jobs.jsonl") }

    /// Seven jobs that differ in every optional field; `slow` gives each job many steps, so that a test can
    /// interrupt a job while it runs.
    static let sevenJobs = """
        {"id": "a1", "image": "in/input.png", "prompt": "a red house by a lake", "seed": 1}
        {"id": "a2", "image": "in/input.png", "prompt": "two boats", "images": 2, "scheduler": "euler-a"}
        {"id": "a3", "image": "in/input.png", "prompt": "a castle", "negative_prompt": "fog", "guidance": 3, "seed": 3}
        {"id": "a4", "image": "in/input.png", "prompt": "a forest", "depth": "in/depth.png", "seed": 4}
        {"id": "a5", "image": "in/input.png", "prompt": "a street", "strength": 1, "scheduler": "dpm++2m", "seed": 5}
        {"id": "a6", "image": "in/input.png", "prompt": "a beach", "scheduler": "ddim", "eta": 0.5, "seed": 6}
        {"id": "a7", "image": "in/input.png", "prompt": "a mountain", "steps": 6, "seed": 7}
        """

    /// A new temporary folder holding `in/input.png`, `in/depth.png` and `jobs.jsonl` with `manifest`.
    init(manifest text: String = BatchFixture.sevenJobs) throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("batch-\(UUID().uuidString)")
        let inputs = folder.appendingPathComponent("in")
        try FileManager.default.createDirectory(at: inputs, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: Self.root.appendingPathComponent("Examples/demo/input.png"),
                                        to: inputs.appendingPathComponent("input.png"))
        let depth: [UInt16] = (0..<(24 * 16)).map { (i: Int) -> UInt16 in
            let (x, y) = (i % 24, i / 24)
            return UInt16(x * 2000 + y * 500)
        }
        try ImageFile.writePNG(gray16: depth, width: 24, height: 16, to: inputs.appendingPathComponent("depth.png"))
        try Data((text + "\n").utf8).write(to: manifest)
    }

    func remove() { try? FileManager.default.removeItem(at: folder) }

    /// The PNG files of an output folder, by name.
    static func images(in folder: URL) throws -> [String: Data] {
        var images: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) where name.hasSuffix(".png") {
            images[name] = try Data(contentsOf: folder.appendingPathComponent(name))
        }
        return images
    }

    /// Every file name in an output folder, hidden ones included.
    static func fileNames(in folder: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
    }

    static func loadDemo() throws -> DepthToImagePipeline {
        try DepthToImagePipeline(modelFolder: demoModel, backend: BackendKind.cpu.makeBackend(environment: [:]))
    }
}
