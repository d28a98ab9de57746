import Foundation

extension SingleFileOptions {
    /// The repositories whose `tokenizer/` holds the vocabulary Stable Diffusion 2 uses (they are identical).
    static let tokenizerRepositories = ["stabilityai/stable-diffusion-2-depth", "stabilityai/stable-diffusion-2",
                                        "stabilityai/stable-diffusion-2-1"]

    /// The CLIP tokenizer: ``tokenizerFolder``, else `configFolder/tokenizer`, else the Hugging Face cache.
    /// Folders without `tokenizer_config.json` / `special_tokens_map.json` get Stable Diffusion 2's settings.
    func tokenizer() throws -> CLIPTokenizer {
        func hasVocabulary(_ folder: URL) -> Bool {
            ["vocab.json", "merges.txt"].allSatisfy { FileManager.default.fileExists(atPath: folder.appendingPathComponent($0).path) }
        }
        var searched: [String] = []
        var candidates: [URL] = []
        if let tokenizerFolder {
            // An explicit folder must have the files.
            guard hasVocabulary(tokenizerFolder) else { throw SingleFileError.tokenizerNotFound(searched: [tokenizerFolder.path]) }
            candidates = [tokenizerFolder]
        } else {
            if let configFolder { candidates.append(configFolder.appendingPathComponent("tokenizer")) }
            let cache = HuggingFaceCache(explicit: huggingFaceCache)
            for id in Self.tokenizerRepositories {
                if let snapshot = cache.snapshot(id) { candidates.append(snapshot.appendingPathComponent("tokenizer")) }
                else { searched.append(cache.repositoryFolder(id).path) }
            }
        }
        guard let folder = candidates.first(where: hasVocabulary) else {
            throw SingleFileError.tokenizerNotFound(searched: candidates.map(\.path) + searched)
        }
        let configured = ["tokenizer_config.json", "special_tokens_map.json"].contains {
            FileManager.default.fileExists(atPath: folder.appendingPathComponent($0).path)
        }
        if configured { return try CLIPTokenizer(folder: folder) }
        let (merges, _) = try CLIPTokenizer.readMerges(folder.appendingPathComponent("merges.txt"))
        return try CLIPTokenizer(vocabulary: CLIPTokenizer.readVocabulary(folder.appendingPathComponent("vocab.json")),
                                 merges: merges, configuration: .stableDiffusion2)
    }

    /// The folder of the fallback depth model named by ``depthModel`` (`nil` when none is named).
    func depthModelFolder(checkpoint: String) throws -> URL? {
        guard let depthModel else { return nil }
        var folder = URL(fileURLWithPath: depthModel)
        if !FileManager.default.fileExists(atPath: depthModel) {
            guard HuggingFaceCache.isModelID(depthModel) else {
                throw SingleFileError.depthModelNotFound(file: checkpoint, detail: "\(depthModel) does not exist")
            }
            let cache = HuggingFaceCache(explicit: huggingFaceCache)
            guard let snapshot = cache.snapshot(depthModel) else {
                throw SingleFileError.depthModelNotFound(file: checkpoint,
                    detail: "\(depthModel) is neither a folder nor in the Hugging Face cache (\(cache.repositoryFolder(depthModel).path))")
            }
            folder = snapshot
        }
        let nested = folder.appendingPathComponent("depth_estimator")
        if FileManager.default.fileExists(atPath: nested.appendingPathComponent("config.json").path) { folder = nested }
        guard FileManager.default.fileExists(atPath: folder.appendingPathComponent("config.json").path) else {
            throw SingleFileError.depthModelNotFound(file: checkpoint, detail: "\(folder.path) has no config.json of a DPT model")
        }
        return folder
    }
}

extension CLIPTokenizerConfiguration {
    /// The special tokens of stabilityai/stable-diffusion-2(-depth)'s `tokenizer/`: padding with `"!"` (id 0).
    public static var stableDiffusion2: CLIPTokenizerConfiguration {
        var c = CLIPTokenizerConfiguration()
        c.pad = SpecialToken("!", normalized: false)
        c.maxLength = 77
        return c
    }
}

extension SingleFileCheckpoint {
    /// Binds `source` through `build` and checks that every tensor was used and fits.
    func bind<Model>(_ component: String, _ source: WeightSource, backend: ComputeBackend, precision: WeightPrecision,
                     ignoring: (String) -> Bool = { _ in false }, _ build: (WeightBinder) throws -> Model) throws -> Model {
        let binder = WeightBinder(source: source, backend: backend, precision: precision)
        do {
            // The binder throws early when the mismatched parameters are too large to stand in for.
            let model = try build(binder)
            try binder.finish(ignoringUnused: ignoring)
            return model
        } catch let error as WeightBindingError {
            throw SingleFileError.weightsDoNotMatch(file: url.path, component: component, detail: error.description)
        }
    }
}
