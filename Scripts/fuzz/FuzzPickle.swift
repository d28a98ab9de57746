// libFuzzer entry point for the restricted pickle reader: any byte string must parse or throw a
// PickleError, never crash, hang or read out of bounds. Built by fuzz-checkpoint.sh.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPickle(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    guard let document = try? PickleReader.parse(bytes) else { return 0 }
    // Walk what was built, as the checkpoint reader does.
    if case let .dict(root) = document.root {
        _ = document.value(in: root, forKey: "state_dict")
        for (key, value) in document.dicts[root] { _ = (key.string, value.int) }
    }
    return 0
}
