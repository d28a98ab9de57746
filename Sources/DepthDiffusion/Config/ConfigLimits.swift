/// Upper bounds on the sizes a model configuration may declare. They are far above every released
/// Stable Diffusion and DPT model (the largest width there is 5120, the deepest stack 32 layers) and keep a
/// broken or hostile `config.json` from asking for layers whose weights could never exist.
enum ConfigLimits {
    /// Channels, hidden sizes, intermediate sizes, attention widths, position counts: at most 2^16.
    static let maximumWidth = 1 << 16
    /// Vocabulary entries: at most 2^20.
    static let maximumVocabulary = 1 << 20
    /// Layers in one stack, blocks, layers per block: at most 256.
    static let maximumDepth = 256

    /// Throws ``ConfigError/inconsistent(component:detail:)`` unless every value is in `1...maximum`.
    static func check(_ component: String, _ fields: [(name: String, value: Int)], maximum: Int) throws {
        for (name, value) in fields where value < 1 || value > maximum {
            throw ConfigError.inconsistent(component: component,
                detail: "\(name) is \(value); it must be between 1 and \(maximum)")
        }
    }
}
