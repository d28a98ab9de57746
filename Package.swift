// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "DepthDiffusion",
    products: [
        .library(name: "DepthDiffusion", targets: ["DepthDiffusion"]),
        .library(name: "DepthDiffusionImageIO", targets: ["DepthDiffusionImageIO"]),
        .library(name: "DepthDiffusionHub", targets: ["DepthDiffusionHub"]),
        .library(name: "DepthDiffusionBatch", targets: ["DepthDiffusionBatch"]),
        .executable(name: "depth-bench", targets: ["depth-bench"]),
        .executable(name: "list-backends", targets: ["list-backends"]),
        .executable(name: "depth2img", targets: ["depth2img"]),
        .executable(name: "estimate-depth", targets: ["estimate-depth"]),
        .executable(name: "hub-fixture-server", targets: ["hub-fixture-server"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // OpenBLAS and the OpenCL ICD loader are opened at run time (dlopen), not linked: see CRuntimeLibraries.h.
        .target(name: "CRuntimeLibraries", path: "Sources/CRuntimeLibraries", linkerSettings: [.linkedLibrary("dl")]),
        .systemLibrary(name: "CPNG", path: "Sources/CPNG", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CTurboJPEG", path: "Sources/CTurboJPEG", providers: [.apt(["libturbojpeg0-dev"])]),
        .target(
            name: "DepthDiffusionImageIO",
            dependencies: ["DepthDiffusion", "CPNG", "CTurboJPEG"],
            path: "Sources/DepthDiffusionImageIO"
        ),
        .target(
            name: "DepthDiffusionBatch",
            dependencies: ["DepthDiffusion", "DepthDiffusionImageIO"],
            path: "Sources/DepthDiffusionBatch"
        ),
        .target(name: "CDepthKernels", path: "Sources/CDepthKernels"),
        .target(
            name: "DepthDiffusionHub",
            dependencies: ["DepthDiffusion"],
            path: "Sources/DepthDiffusionHub"
        ),
        // A local stand-in for the Hugging Face hub (tests and CI run without the internet).
        .target(name: "HubFixtureServer", dependencies: ["DepthDiffusionHub"], path: "Tests/HubFixtureServer"),
        .executableTarget(name: "hub-fixture-server", dependencies: ["HubFixtureServer"], path: "Tests/hub-fixture-server"),
        .target(
            name: "DepthDiffusion",
            dependencies: ["CRuntimeLibraries", "CDepthKernels"],
            path: "Sources/DepthDiffusion"
        ),
        .executableTarget(
            name: "depth-bench",
            dependencies: ["DepthDiffusion", "CRuntimeLibraries",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Benchmarks/depth-bench"
        ),
        .executableTarget(
            name: "list-backends",
            dependencies: ["DepthDiffusion"],
            path: "Examples/list-backends"
        ),
        .executableTarget(
            name: "depth2img",
            dependencies: ["DepthDiffusion", "DepthDiffusionImageIO", "DepthDiffusionHub", "DepthDiffusionBatch",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Examples/depth2img"
        ),
        .executableTarget(
            name: "estimate-depth",
            dependencies: ["DepthDiffusion", "DepthDiffusionImageIO", "DepthDiffusionHub", "DepthDiffusionBatch",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Examples/estimate-depth"
        ),
        .testTarget(
            name: "DepthDiffusionTests",
            dependencies: ["DepthDiffusion", "DepthDiffusionImageIO", "DepthDiffusionHub", "DepthDiffusionBatch", "HubFixtureServer"],
            path: "Tests/DepthDiffusionTests",
            exclude: ["Fixtures"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
