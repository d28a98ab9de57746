// libFuzzer entry point for the whole torch.save reader (ZIP container, pickle, tensor validation and
// reading every tensor): any byte string must load or throw, never crash or read out of bounds.
// Built by fuzz-checkpoint.sh.
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCheckpoint(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    guard let checkpoint = try? PyTorchCheckpoint(bytes: bytes, owner: nil, url: URL(fileURLWithPath: "fuzz.ckpt")) else { return 0 }
    for name in checkpoint.names { _ = try? checkpoint.floats(name) }
    return 0
}
