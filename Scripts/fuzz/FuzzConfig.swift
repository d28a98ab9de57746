// The `config` target: every JSON configuration reader gets each input (UNet, VAE, CLIP text encoder,
// DPT with its BiT backbone, the DPT image processor, the scheduler, tokenizer_config.json and
// model_index.json). Each must return a configuration or throw a ConfigError/PipelineError.
import Foundation

func fuzzConfigs(_ bytes: UnsafeRawBufferPointer) {
    let data = Data(bytes)
    _ = try? UNet2DConditionConfig(jsonData: data)
    _ = try? AutoencoderKLConfig(jsonData: data)
    _ = try? DPTConfig(json: data)
    _ = try? SchedulerConfig(data: data)
    // The readers that take a file: config.json, with the other names linked to it.
    let file = fuzzFile(bytes, named: "config.json", in: configFolder.lastPathComponent)
    _ = try? CLIPTextConfig(url: file)
    _ = try? DPTImageProcessor(contentsOf: configFolder.appendingPathComponent("preprocessor_config.json"))
    _ = try? CLIPTokenizerConfiguration(folder: configFolder)
    _ = try? ModelFolder(url: configFolder)
}

/// The scratch folder of the file readers: `config.json` and links to it under the names
/// `preprocessor_config.json`, `tokenizer_config.json` and `model_index.json`, and the component folders
/// that ModelFolder requires.
private let configFolder: URL = {
    let folder = fuzzScratch.appendingPathComponent("config")
    let manager = FileManager.default
    try? manager.createDirectory(at: folder, withIntermediateDirectories: true)
    for name in ["preprocessor_config.json", "tokenizer_config.json", "model_index.json"] {
        try? manager.createSymbolicLink(atPath: folder.appendingPathComponent(name).path, withDestinationPath: "config.json")
    }
    for component in ["unet", "vae", "text_encoder", "tokenizer", "depth_estimator", "feature_extractor", "scheduler"] {
        try? manager.createDirectory(at: folder.appendingPathComponent(component), withIntermediateDirectories: true)
    }
    return folder
}()
