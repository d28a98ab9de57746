import Foundation

/// The fields of diffusers' `AutoencoderKL` `config.json`, with diffusers' defaults.
///
/// `Codable` with the coding keys of the fields that `config.json` holds as they are (`sample_size`, which may
/// be a list there, is left out); ``init(contentsOf:)`` reads a whole file with defaults and checks.
public struct AutoencoderKLConfig: Codable, ModelConfigFile, Equatable, Sendable {
    public var inChannels = 3
    public var outChannels = 3
    public var blockOutChannels = [64]
    public var layersPerBlock = 1
    public var latentChannels = 4
    public var normNumGroups = 32
    /// Image size the VAE was trained on; diffusers derives its tile sizes from it.
    public var sampleSize = 32
    /// Latents are multiplied by this after encoding and divided by it before decoding.
    public var scalingFactor: Float = 0.18215
    public var useQuantConv = true
    public var usePostQuantConv = true
    public var midBlockAddAttention = true

    enum CodingKeys: CodingKey {
        case inChannels, outChannels, blockOutChannels, layersPerBlock, latentChannels, normNumGroups, scalingFactor
        case useQuantConv, usePostQuantConv, midBlockAddAttention
    }

    public init() {}

    /// stabilityai/stable-diffusion-2-depth `vae/config.json` (83.7 M parameters).
    public static var sd2Depth: AutoencoderKLConfig {
        var c = AutoencoderKLConfig()
        c.blockOutChannels = [128, 256, 512, 512]
        c.layersPerBlock = 2
        c.sampleSize = 768
        return c
    }

    /// Reads `config.json` (or the `config.json` inside a component folder).
    public init(contentsOf url: URL) throws {
        self = try Self.read(url)
    }

    /// Decodes the JSON text of a `config.json`.
    public init(jsonData: Data) throws {
        self = try Self.read(jsonData, file: "vae config.json")
    }

    /// Image pixels per latent pixel (`2^(levels-1)`, 8 for Stable Diffusion).
    public var scaleFactor: Int { 1 << (blockOutChannels.count - 1) }

    public func validate() throws {
        func inconsistent(_ s: String) -> ConfigError { .inconsistent(component: "vae", detail: s) }
        guard !blockOutChannels.isEmpty, layersPerBlock >= 1, inChannels >= 1, outChannels >= 1, latentChannels >= 1,
              normNumGroups >= 1, sampleSize >= 1 else { throw inconsistent("sizes must be positive") }
        try ConfigLimits.check("vae", [("in_channels", inChannels), ("out_channels", outChannels), ("latent_channels", latentChannels),
                                       ("norm_num_groups", normNumGroups), ("sample_size", sampleSize)]
                                      + blockOutChannels.enumerated().map { ("block_out_channels[\($0.offset)]", $0.element) },
                               maximum: ConfigLimits.maximumWidth)
        // The scale factor 2^(blocks-1) must stay a sane image size.
        try ConfigLimits.check("vae", [("layers_per_block", layersPerBlock)], maximum: ConfigLimits.maximumDepth)
        try ConfigLimits.check("vae", [("the number of blocks", blockOutChannels.count)], maximum: 8)
        for c in blockOutChannels where c <= 0 || c % normNumGroups != 0 {
            throw inconsistent("block_out_channels entry \(c) is not a multiple of norm_num_groups \(normNumGroups)")
        }
        guard scalingFactor.isFinite, scalingFactor != 0 else { throw inconsistent("scaling_factor must be non-zero") }
    }

    /// The fields that are converted or only checked.
    struct Extras: ModelConfigExtras {
        var sampleSize: IntOrList?, shiftFactor: Float?, actFn: String?, downBlockTypes: [String]?, upBlockTypes: [String]?

        /// Checks the fields and completes `plain`, the fields read as they are.
        func completed(_ plain: AutoencoderKLConfig) throws -> AutoencoderKLConfig {
            if let actFn, actFn != "silu" {
                throw ConfigError.unsupported(component: "vae", field: "act_fn", value: actFn, supported: "silu")
            }
            if let shiftFactor, shiftFactor != 0 {
                throw ConfigError.unsupported(component: "vae", field: "shift_factor", value: "\(shiftFactor)", supported: "null or 0")
            }
            for t in downBlockTypes ?? [] where t != "DownEncoderBlock2D" {
                throw ConfigError.unsupported(component: "vae", field: "down_block_types", value: t, supported: "DownEncoderBlock2D")
            }
            for t in upBlockTypes ?? [] where t != "UpDecoderBlock2D" {
                throw ConfigError.unsupported(component: "vae", field: "up_block_types", value: t, supported: "UpDecoderBlock2D")
            }
            var c = plain
            if let v = sampleSize { c.sampleSize = v.values.first ?? c.sampleSize }
            let n = c.blockOutChannels.count
            if let d = downBlockTypes, d.count != n { throw ConfigError.inconsistent(component: "vae", detail: "\(d.count) down blocks for \(n) channel entries") }
            if let u = upBlockTypes, u.count != n { throw ConfigError.inconsistent(component: "vae", detail: "\(u.count) up blocks for \(n) channel entries") }
            try c.validate()
            return c
        }
    }
}
