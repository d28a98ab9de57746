// The libFuzzer entry point of the fuzzing executable built by fuzz.sh: DD_FUZZ_TARGET names the target
// that every input is given to, DD_FUZZ_ROOT the repository (for fixtures a target needs).
import Foundation

/// The fuzz targets, by the name fuzz.sh and DD_FUZZ_TARGET use.
enum FuzzTarget: String, CaseIterable, Sendable {
    case safetensors, safetensorsIndex = "safetensors-index", config, tokenizer, tokenizerJSON = "tokenizer-json"
    case png, jpeg, depthmap, pickle, checkpoint

    /// The target selected by the environment; an unknown name stops the process before fuzzing starts.
    static let selected: FuzzTarget = {
        let name = ProcessInfo.processInfo.environment["DD_FUZZ_TARGET"] ?? ""
        guard let target = FuzzTarget(rawValue: name) else {
            FileHandle.standardError.write(Data("DD_FUZZ_TARGET must be one of: \(allCases.map(\.rawValue).joined(separator: ", "))\n".utf8))
            exit(2)
        }
        return target
    }()

    func run(_ bytes: UnsafeRawBufferPointer) {
        switch self {
        case .safetensors: fuzzSafeTensors(bytes)
        case .safetensorsIndex: fuzzSafeTensorsIndex(bytes)
        case .config: fuzzConfigs(bytes)
        case .tokenizer: fuzzTokenizer(bytes)
        case .tokenizerJSON: fuzzTokenizerJSON(bytes)
        case .png, .jpeg: fuzzImage(bytes)
        case .depthmap: fuzzDepthMap(bytes)
        case .pickle: fuzzPickle(bytes)
        case .checkpoint: fuzzCheckpoint(bytes)
        }
    }
}

/// The repository, for fixtures (DD_FUZZ_ROOT, else the working directory).
let fuzzRoot = URL(fileURLWithPath: ProcessInfo.processInfo.environment["DD_FUZZ_ROOT"] ?? FileManager.default.currentDirectoryPath)

/// A private scratch folder for targets whose reader takes a file; removed by the OS with /tmp.
let fuzzScratch: URL = {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("dd-fuzz-\(getpid())")
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}()

/// Writes the input to `name` in the scratch folder (or `folder` inside it) and returns its URL.
func fuzzFile(_ bytes: UnsafeRawBufferPointer, named name: String, in folder: String = "") -> URL {
    let directory = folder.isEmpty ? fuzzScratch : fuzzScratch.appendingPathComponent(folder)
    try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let url = directory.appendingPathComponent(name)
    // Plain POSIX calls: Foundation's Data.write syncs every file to disk, which would make the file
    // targets a hundred times slower. A failed write would fuzz a stale file; stop instead.
    let fd = open(url.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    guard fd >= 0, bytes.isEmpty || write(fd, bytes.baseAddress, bytes.count) == bytes.count, close(fd) == 0 else {
        fatalError("cannot write the fuzzing input to \(url.path)")
    }
    return url
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzTarget.selected.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
