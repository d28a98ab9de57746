import Foundation
import Synchronization

/// diffusers `AutoencoderKL`: the Stable Diffusion VAE. ``encode(_:)`` maps images in [-1, 1] to the latent
/// posterior; ``decode(_:)`` maps latents back to images. Neither applies `scaling_factor`: multiply the
/// sampled latent by ``scalingFactor`` after encoding and divide by it before decoding, as the pipelines do.
///
/// Large images are processed in overlapping tiles (``tiling``), reproducing diffusers' `enable_tiling`.
public final class AutoencoderKL: Sendable {
    public let config: AutoencoderKLConfig
    public let encoder: VAEEncoder
    public let decoder: VAEDecoder
    public let quantConv: Conv2d?
    public let postQuantConv: Conv2d?
    /// When to tile (default ``VAETilingMode/automatic``).
    public var tiling: VAETilingMode {
        get { tilingSettings.withLock { $0.mode } }
        set { tilingSettings.withLock { $0.mode = newValue } }
    }
    /// Tile geometry (diffusers' defaults from `sample_size`).
    public var tileSizes: VAETileSizes {
        get { tilingSettings.withLock { $0.sizes } }
        set { tilingSettings.withLock { $0.sizes = newValue } }
    }
    /// Images with more pixels than this are tiled in ``VAETilingMode/automatic`` mode (default 1024·1024).
    public var automaticTilingPixels: Int {
        get { tilingSettings.withLock { $0.automaticPixels } }
        set { tilingSettings.withLock { $0.automaticPixels = newValue } }
    }
    /// The three settings above; a model may be shared between threads, so they sit behind a lock.
    private struct TilingSettings {
        var mode: VAETilingMode = .automatic
        var sizes: VAETileSizes
        var automaticPixels = 1024 * 1024
    }
    private let tilingSettings: Mutex<TilingSettings>

    /// The config's `scaling_factor`.
    public var scalingFactor: Float { config.scalingFactor }

    /// Builds the model, binding every parameter by its diffusers name from `binder`.
    public init(config: AutoencoderKLConfig, weights binder: WeightBinder) throws {
        try config.validate()
        self.config = config
        encoder = try VAEEncoder(binder.scope("encoder"), config: config)
        decoder = try VAEDecoder(binder.scope("decoder"), config: config)
        let l = config.latentChannels
        quantConv = config.useQuantConv
            ? try Conv2d(binder.scope("quant_conv"), inChannels: 2 * l, outChannels: 2 * l, kernelSize: 1) : nil
        postQuantConv = config.usePostQuantConv
            ? try Conv2d(binder.scope("post_quant_conv"), inChannels: l, outChannels: l, kernelSize: 1) : nil
        tilingSettings = Mutex(TilingSettings(sizes: VAETileSizes(config: config)))
    }

    /// Loads `config.json` and the safetensors weights of a diffusers `vae` folder onto `backend`.
    public convenience init(folder: URL, backend: ComputeBackend, variant: String? = nil) throws {
        let config = try AutoencoderKLConfig(contentsOf: folder.appendingPathComponent("config.json"))
        let binder = WeightBinder(source: try SafeTensorsCollection(url: folder, variant: variant), backend: backend)
        try self.init(config: config, weights: binder)
        try binder.finish()
    }

    /// Whether an image of `height`×`width` pixels is tiled under the current mode.
    public func usesTiles(height: Int, width: Int) -> Bool {
        tileSizes.usesTiles(height: height, width: width, mode: tiling, automaticPixels: automaticTilingPixels)
    }

    /// The encoder's moments (after `quant_conv`) for images `[B, in_channels, H, W]` (diffusers `_encode`).
    public func encodeMoments(_ image: Tensor) throws -> Tensor {
        guard image.rank == 4, image.shape[1] == config.inChannels else {
            throw TensorError.shapeMismatch(operation: "AutoencoderKL.encode", detail: "image \(image.shape) must be [batch, \(config.inChannels), height, width]")
        }
        let run: (Tensor) throws -> Tensor = { x in
            let m = try self.encoder(x)
            return try self.quantConv.map { try $0(m) } ?? m
        }
        if usesTiles(height: image.shape[2], width: image.shape[3]) {
            return try tiledApply(image, inputTile: tileSizes.sampleTile, outputTile: tileSizes.latentTile,
                                  overlapFactor: tileSizes.overlapFactor, run)
        }
        return try run(image)
    }

    /// The latent posterior of images `[B, in_channels, H, W]` with values in [-1, 1].
    public func encode(_ image: Tensor) throws -> DiagonalGaussianDistribution {
        try DiagonalGaussianDistribution(moments: encodeMoments(image))
    }

    /// Images `[B, out_channels, 8h, 8w]` (roughly in [-1, 1]) for latents `[B, latent_channels, h, w]`
    /// already divided by ``scalingFactor``.
    public func decode(_ latents: Tensor) throws -> Tensor {
        guard latents.rank == 4, latents.shape[1] == config.latentChannels else {
            throw TensorError.shapeMismatch(operation: "AutoencoderKL.decode", detail: "latents \(latents.shape) must be [batch, \(config.latentChannels), height, width]")
        }
        let run: (Tensor) throws -> Tensor = { z in
            try self.decoder(self.postQuantConv.map { try $0(z) } ?? z)
        }
        let f = config.scaleFactor
        let tiled: Bool
        switch tiling {
        case .disabled: tiled = false
        case .enabled: tiled = latents.shape[2] > tileSizes.latentTile || latents.shape[3] > tileSizes.latentTile
        case .automatic:
            tiled = latents.shape[2] * f * latents.shape[3] * f > automaticTilingPixels
                && (latents.shape[2] > tileSizes.latentTile || latents.shape[3] > tileSizes.latentTile)
        }
        if tiled {
            return try tiledApply(latents, inputTile: tileSizes.latentTile, outputTile: tileSizes.sampleTile,
                                  overlapFactor: tileSizes.overlapFactor, run)
        }
        return try run(latents)
    }
}
