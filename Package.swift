// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "DepthDiffusion",
    products: [
        .library(name: "DepthDiffusion", targets: ["DepthDiffusion"]),
        .library(name: "DepthDiffusionImageIO", targets: ["DepthDiffusionImageIO"]),
        .library(name: "DepthDiffusionBatch", targets: ["DepthDiffusionBatch"]),
        .executable(name: "depth-bench", targets: ["depth-bench"]),
        .executable(name: "list-backends", targets: ["list-backends"]),
        .executable(name: "depth2img", targets: ["depth2img"]),
        .executable(name: "estimate-depth", targets: ["estimate-depth"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "COpenCL", path: "Sources/COpenCL",
                       providers: [.apt(["ocl-icd-opencl-dev", "opencl-headers"])]),
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
            name: "DepthDiffusion",
            dependencies: ["COpenBLAS", "COpenCL", "CDepthKernels"],
            path: "Sources/DepthDiffusion"
        ),
        .executableTarget(
            name: "depth-bench",
            dependencies: ["DepthDiffusion", "COpenBLAS",
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
            dependencies: ["DepthDiffusion", "DepthDiffusionImageIO", "DepthDiffusionBatch",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Examples/depth2img"
        ),
        .executableTarget(
            name: "estimate-depth",
            dependencies: ["DepthDiffusion", "DepthDiffusionImageIO",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Examples/estimate-depth"
        ),
        .testTarget(
            name: "DepthDiffusionTests",
            dependencies: ["DepthDiffusion", "DepthDiffusionImageIO", "DepthDiffusionBatch"],
            path: "Tests/DepthDiffusionTests",
            exclude: ["Fixtures"]
        ),
    ],
    swiftLanguageModes: [.v5]
)
