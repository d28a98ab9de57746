// Generates one image with the public API of DepthDiffusion.
// Usage: swift run -c release UsingDepthDiffusion MODEL_DIR INPUT.png OUTPUT.png
import DepthDiffusion
import DepthDiffusionImageIO
import Foundation

let arguments = CommandLine.arguments
guard arguments.count == 4 else {
    print("usage: UsingDepthDiffusion MODEL_DIR INPUT.png OUTPUT.png")
    exit(2)
}
do {
    let backend = try BackendKind.auto.makeBackend()
    let pipeline = try DepthToImagePipeline(modelFolder: URL(fileURLWithPath: arguments[1]), backend: backend)
    var request = DepthToImageRequest(prompt: "a lighthouse on a cliff, oil painting",
                                            image: try ImageFile.readRGBImage(URL(fileURLWithPath: arguments[2])))
    request.steps = 10
    request.seed = 7
    let result = try pipeline.generate(request) { progress in
        print("step \(progress.step)/\(progress.totalSteps)")
        return true
    }
    try ImageFile.write(result.images[0], to: URL(fileURLWithPath: arguments[3]))
    print("wrote \(arguments[3]) (\(result.images[0].width)x\(result.images[0].height)) in \(result.timings.total) s on \(backend.name)")
} catch {
    print("error: \(error)")
    exit(1)
}
