import ArgumentParser

/// `depth2img`: generates one image (the default subcommand, `generate`) or runs a batch manifest (`batch`).
@main
struct Depth2ImgCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "depth2img",
        abstract: "Stable Diffusion 2 depth-to-image: one image (depth2img [generate] ...) or a manifest of jobs (depth2img batch ...).",
        subcommands: [Depth2Img.self, BatchCommand.self],
        defaultSubcommand: Depth2Img.self)
}
