import Foundation

/// A deliberately simple estimate of the memory one generation needs on top of the loaded weights, used to
/// refuse a request that cannot fit before anything large is allocated.
///
/// Counted in float32 values, at the resolution where each network is widest, with working sets calibrated on
/// the peak resident memory the CPU backend measured for the full SD2-depth networks (`depth-bench unet` at
/// 256, 512 and 768 pixels, `vae-decode` at 256, 512 and 768, each less the same run at a tiny size; freed
/// buffers the backend keeps for reuse included), with about 25 % to spare:
/// - **UNet**, per latent pixel and batch item (batch = images per prompt, twice that with guidance): the skip
///   connections it keeps, `Σᵢ (layers_per_block + 1) · block_out_channels[i] / 4ⁱ`, plus a working set of
///   `20 · block_out_channels[0]` (block inputs, convolution outputs and transforms, the feed-forward's
///   `8 · channels`). Once: a transformed convolution weight, `36 · block_out_channels[1]²`. Per CPU worker:
///   2²⁰ (attention score blocks and packing). Attention is computed in blocks and adds nothing that grows
///   with the image.
/// - **VAE**, per image pixel and image (or per pixel of one `sample_size`² tile when the VAE tiles): a working
///   set of `2 · block_out_channels[1]` at full resolution (the widest full-resolution ResNet's input, its
///   `conv1` output and convolution transforms). Once: `36 · block_out_channels.last²`. Per CPU worker:
///   `8 · (width + 8) · block_out_channels[1]` (a Winograd tile row).
/// - **Images**: the input image (bytes and floats) and, per output image, the decoded floats and the bytes:
///   `15 + 15 · images` bytes per pixel.
///
/// Measured on the CPU backend, which writes ResNet shortcuts and residual additions in place
/// (``BackendCapability/inPlaceProjection``, ``BackendCapability/convolutionPrologue``); with 2 workers, the VAE
/// at 512x512 held 437 MB against 583 MB estimated, the UNet step 236 MB against 334 MB. The UNet and the VAE do not run at the
/// same time, so the peak is the larger of the two plus the images.
public struct GenerationMemoryEstimate: Sendable, Equatable {
    /// Activations of one UNet evaluation.
    public var unetBytes: Int
    /// Activations of the VAE decoder (or encoder) on the whole image or on one tile.
    public var vaeBytes: Int
    /// The input and output images.
    public var imageBytes: Int
    /// Whether the VAE estimate is for one tile.
    public var vaeTiled: Bool

    /// The estimated peak: `max(unetBytes, vaeBytes) + imageBytes` (saturating at `Int.max`).
    public var peakBytes: Int { Self.add(max(unetBytes, vaeBytes), imageBytes) }

    /// The estimate for a `width`×`height` image (already a multiple of the VAE scale factor).
    ///
    /// - Parameters:
    ///   - vaeTiled: whether the VAE processes this image in tiles (``AutoencoderKL/usesTiles(height:width:)``).
    ///   - workers: the CPU threads that run the networks (each has scratch memory of its own).
    public init(unet: UNet2DConditionConfig, vae: AutoencoderKLConfig, width: Int, height: Int, images: Int,
                guidance: Bool, vaeTiled: Bool, workers: Int = 1) {
        let imagePixels = Self.multiply(max(width, 0), max(height, 0))
        let latentPixels = imagePixels / max(Self.multiply(vae.scaleFactor, vae.scaleFactor), 1)
        let batch = Self.multiply(max(images, 1), guidance ? 2 : 1)
        let workers = max(workers, 1)
        let skips = unet.blockOutChannels.enumerated().reduce(0) { total, level in
            Self.add(total, Self.multiply(Self.add(unet.layersPerBlock, 1), level.element) / (1 << min(2 * level.offset, 62)))
        }
        let unetFirst = unet.blockOutChannels.first ?? 0
        let unetSecond = unet.blockOutChannels.count > 1 ? unet.blockOutChannels[1] : unetFirst
        let unetPerPixel = Self.add(skips, Self.multiply(20, unetFirst))
        let unetFloats = Self.add(Self.multiply(Self.multiply(latentPixels, batch), unetPerPixel),
                                  Self.add(Self.multiply(36, Self.multiply(unetSecond, unetSecond)), Self.multiply(workers, 1 << 20)))
        unetBytes = Self.multiply(unetFloats, 4)
        let widest = vae.blockOutChannels.count > 1 ? vae.blockOutChannels[1] : vae.blockOutChannels.first ?? 0
        let deepest = vae.blockOutChannels.last ?? 0
        let vaePixels = vaeTiled ? min(imagePixels, Self.multiply(vae.sampleSize, vae.sampleSize)) : imagePixels
        let rowWidth = vaeTiled ? min(max(width, 0), vae.sampleSize) : max(width, 0)
        let vaeFloats = Self.add(Self.multiply(Self.multiply(vaePixels, max(images, 1)), Self.multiply(2, widest)),
                                 Self.add(Self.multiply(36, Self.multiply(deepest, deepest)),
                                          Self.multiply(workers, Self.multiply(8 * widest, Self.add(rowWidth, 8)))))
        vaeBytes = Self.multiply(vaeFloats, 4)
        imageBytes = Self.multiply(imagePixels, Self.add(15, Self.multiply(15, max(images, 1))))
        self.vaeTiled = vaeTiled
    }

    /// Memory this process can still use: `MemAvailable` from `/proc/meminfo` (free memory plus reclaimable
    /// caches), or the physical memory where that file is missing; inside a container with a cgroup v2 memory
    /// limit, at most what is left of that limit (`memory.max` − `memory.current`).
    public static func availableBytes() -> Int {
        var available = Int(clamping: ProcessInfo.processInfo.physicalMemory)
        if let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
           let line = text.split(separator: "\n").first(where: { $0.hasPrefix("MemAvailable:") }),
           let kilobytes = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) {
            available = multiply(kilobytes, 1024)
        }
        if let limit = cgroupValue("memory.max"), let used = cgroupValue("memory.current") {
            available = min(available, max(limit - used, 0))
        }
        return available
    }

    /// A number from this process's cgroup v2 folder (`nil` for "max", a missing file or cgroup v1).
    private static func cgroupValue(_ file: String) -> Int? {
        let text = try? String(contentsOfFile: "/sys/fs/cgroup/" + file, encoding: .utf8)
        return text.flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    private static func multiply(_ a: Int, _ b: Int) -> Int {
        let (product, overflow) = a.multipliedReportingOverflow(by: b)
        return overflow ? Int.max : product
    }

    private static func add(_ a: Int, _ b: Int) -> Int {
        let (sum, overflow) = a.addingReportingOverflow(b)
        return overflow ? Int.max : sum
    }
}
