// swift-tools-version:6.0
// A separate package that uses DepthDiffusion as a dependency, through its public API only.
import PackageDescription

let package = Package(
    name: "UsingDepthDiffusion",
    dependencies: [
        .package(name: "DepthDiffusion", path: "../.."),
    ],
    targets: [
        .executableTarget(
            name: "UsingDepthDiffusion",
            dependencies: [
                .product(name: "DepthDiffusion", package: "DepthDiffusion"),
                .product(name: "DepthDiffusionImageIO", package: "DepthDiffusion"),
            ]
        ),
    ]
)
