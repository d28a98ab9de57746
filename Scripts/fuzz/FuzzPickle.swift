// The `pickle` target: the restricted pickle reader. Any byte string must parse or throw a PickleError,
// never crash, hang or read out of bounds.

func fuzzPickle(_ bytes: UnsafeRawBufferPointer) {
    guard let document = try? PickleReader.parse(bytes) else { return }
    // Walk what was built, as the checkpoint reader does.
    if case let .dict(root) = document.root {
        _ = document.value(in: root, forKey: "state_dict")
        for (key, value) in document.dicts[root] { _ = (key.string, value.int) }
    }
}
