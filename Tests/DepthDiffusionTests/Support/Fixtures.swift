import Foundation

/// Locates committed reference fixtures under `Tests/DepthDiffusionTests/Fixtures`.
func fixtureURL(_ relativePath: String) -> URL {
    URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()   // Support
        .deletingLastPathComponent()   // DepthDiffusionTests
        .appendingPathComponent("Fixtures")
        .appendingPathComponent(relativePath)
}
