import DepthDiffusion
import Foundation

extension ModelFolder {
    /// Opens a model from the Hugging Face cache, downloading the files it lacks (see ``HubClient``).
    ///
    /// ```swift
    /// let folder = try ModelFolder(repo: "stabilityai/stable-diffusion-2-depth", variant: "fp16")
    /// let pipeline = try DepthToImagePipeline(modelFolder: folder.url, backend: backend, variant: "fp16")
    /// ```
    public init(repo: String, revision: String = "main", variant: String? = nil, client: HubClient = HubClient()) throws {
        let folder = try client.snapshot(repo: HubRepositoryID(repo), revision: revision, variant: variant)
        try self.init(url: folder, variant: variant)
    }

    /// What a command line's `--model` names: an existing folder is used as it is; otherwise text of the
    /// form `org/name` is a hub repository, resolved (and downloaded when needed) with `client` for the
    /// given components; anything else is returned as a path (and reported missing when opened).
    public static func locate(_ argument: String, revision: String = "main", variant: String? = nil,
                              components: [String] = PipelineFiles.allComponents, client: HubClient = HubClient()) throws -> URL {
        var isDirectory: ObjCBool = false
        let local = URL(fileURLWithPath: argument)
        if FileManager.default.fileExists(atPath: local.path, isDirectory: &isDirectory) && isDirectory.boolValue { return local }
        guard !argument.hasPrefix("/"), !argument.hasPrefix("."), HubRepositoryID.isValid(argument) else { return local }
        return try client.snapshot(repo: HubRepositoryID(argument), revision: revision, variant: variant, components: components)
    }
}
