// The `checkpoint` target: the whole torch.save reader (ZIP container, pickle, tensor validation and
// reading every tensor). Any byte string must load or throw, never crash or read out of bounds.
import Foundation

func fuzzCheckpoint(_ bytes: UnsafeRawBufferPointer) {
    guard let checkpoint = try? PyTorchCheckpoint(bytes: bytes, owner: nil, url: URL(fileURLWithPath: "fuzz.ckpt")) else { return }
    for name in checkpoint.names { _ = try? checkpoint.floats(name) }
}
