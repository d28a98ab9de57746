import DepthDiffusion
import Foundation

/// One runnable line of a batch manifest, with every optional field resolved against ``BatchDefaults``.
public struct BatchJob: Sendable, Equatable {
    /// The job's id: the base name of its outputs.
    public var id: String
    /// The 1-based manifest line it came from.
    public var line: Int
    /// The input image (PNG or JPEG).
    public var image: URL
    /// What to draw.
    public var prompt: String
    /// What to avoid; `nil` is the empty prompt.
    public var negativePrompt: String?
    /// A grayscale depth map replacing the depth estimator.
    public var depth: URL?
    /// The seed of the PyTorch-compatible random source.
    public var seed: UInt64
    /// Denoising steps for strength 1.
    public var steps: Int
    /// How much of the input is replaced.
    public var strength: Double
    /// Classifier-free guidance scale.
    public var guidance: Float
    /// The sampler; `nil` uses the model folder's.
    public var scheduler: SchedulerKind?
    /// DDIM's η.
    public var eta: Double
    /// Images generated for the job.
    public var images: Int

    /// The output file names inside the output folder: `{id}.png`, or `{id}-1.png` … `{id}-k.png` for several images.
    public var outputNames: [String] {
        images == 1 ? ["\(id).png"] : (1...max(images, 1)).map { "\(id)-\($0).png" }
    }

    /// The pipeline request for this job, given its decoded input image and depth map.
    public func request(image rgb: RGBImage, depthMap: DepthMap?) -> DepthToImageRequest {
        DepthToImageRequest(self, image: rgb, depthMap: depthMap)
    }

    /// The seed of a job that names none, when the command line names none either: the 64-bit FNV-1a hash of
    /// the id's UTF-8 bytes, folded to 32 bits, so a rerun reproduces the same image.
    public static func seed(forID id: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in id.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return (hash >> 32) ^ (hash & 0xffff_ffff)
    }

    /// Whether `id` can name output files: 1 to 128 ASCII letters, digits, `.`, `_` or `-`, starting with a
    /// letter or digit (so no path separators, no hidden files, no `..`).
    public static func isValidID(_ id: String) -> Bool {
        let bytes = Array(id.utf8)
        guard (1...128).contains(bytes.count), let first = bytes.first, isAlphanumeric(first) else { return false }
        return bytes.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }

    private static func isAlphanumeric(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a)
    }
}

extension DepthToImageRequest {
    /// The request for `job`: its settings, with the job's decoded input image and depth map.
    init(_ job: BatchJob, image: RGBImage, depthMap: DepthMap?) {
        self.init(prompt: job.prompt, image: image)
        self.depthMap = depthMap
        negativePrompt = job.negativePrompt
        seed = job.seed
        steps = job.steps
        strength = job.strength
        guidanceScale = job.guidance
        scheduler = job.scheduler
        eta = job.eta
        imagesPerPrompt = job.images
    }
}
