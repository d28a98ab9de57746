// The `tokenizer` and `tokenizer-json` targets.
import Foundation

/// Arbitrary text (the input decoded as UTF-8, invalid sequences replaced) through the CLIP tokenizer
/// with the committed vocabulary and merges: cleaning, pre-tokenizing, byte-level BPE, truncation, padding.
func fuzzTokenizer(_ bytes: UnsafeRawBufferPointer) {
    let text = String(decoding: bytes, as: UTF8.self)
    let ids = clipTokenizer.encode(text)
    precondition(ids.count == clipTokenizer.maxLength, "encode must pad or truncate to maxLength")
    _ = clipTokenizer.tokenize(text)
}

/// A `tokenizer.json` (Hugging Face tokenizers format), then a prompt through the tokenizer it describes.
func fuzzTokenizerJSON(_ bytes: UnsafeRawBufferPointer) {
    let url = fuzzFile(bytes, named: "tokenizer.json")
    guard let tokenizer = try? CLIPTokenizer(tokenizerJSON: url) else { return }
    _ = tokenizer.encode("a red house by a lake, 3 boats! <|endoftext|> naïve café")
}

/// The CLIP tokenizer of the committed fixture (the stable-diffusion-2 vocabulary and merges).
private let clipTokenizer: CLIPTokenizer = {
    let folder = fuzzRoot.appendingPathComponent("Tests/DepthDiffusionTests/Fixtures/tokenizer/clip")
    do { return try CLIPTokenizer(folder: folder) } catch {
        fatalError("cannot load the tokenizer fixture \(folder.path) (\(error)); set DD_FUZZ_ROOT to the repository")
    }
}()
