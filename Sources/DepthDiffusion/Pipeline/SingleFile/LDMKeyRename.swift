/// What becomes of one tensor of an original-layout (latent-diffusion) checkpoint.
enum LDMKeyRename: Equatable {
    /// The same tensor under the reference (diffusers / transformers) name.
    case rename(String)
    /// A 1×1 convolution kernel `[out, in, 1, 1]` used as a linear weight `[out, in]`.
    case squeeze(String)
    /// A fused projection split into equal blocks of rows (query, key, value).
    case splitRows([String])
    /// Present in the file but not part of the model (training buffers, unused layers).
    case ignore

    /// A key inside one transformer block, `rest` after the block's prefix: the fused QKV projection
    /// (`fused` + `weight` / `bias`) splits into `split` under `target`; anything else is renamed by the first
    /// prefix of `names` (original → reference) it starts with; `nil` when none matches.
    static func transformerBlock(_ rest: String, target: String, fused: (weight: String, bias: String),
                                 split: [String], names: [(String, String)]) -> LDMKeyRename? {
        if rest == fused.weight || rest == fused.bias {
            let kind = rest == fused.weight ? "weight" : "bias"
            return .splitRows(split.map { "\(target)\($0).\(kind)" })
        }
        for (original, reference) in names where rest.hasPrefix(original) {
            return .rename(target + reference + rest.dropFirst(original.count))
        }
        return nil
    }
}

/// Splits a dotted key into its parts, and joins parts back.
struct DottedKey {
    let parts: [Substring]
    init(_ key: String) { parts = key.split(separator: ".", omittingEmptySubsequences: false) }
    var count: Int { parts.count }
    subscript(i: Int) -> String { i < parts.count ? String(parts[i]) : "" }
    func int(_ i: Int) -> Int? { i < parts.count ? Int(parts[i]).flatMap { $0 >= 0 ? $0 : nil } : nil }
    /// Parts `from...` joined with dots.
    func rest(_ from: Int) -> String { from < parts.count ? parts[from...].joined(separator: ".") : "" }
}
