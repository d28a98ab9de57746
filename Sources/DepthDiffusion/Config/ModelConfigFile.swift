import Foundation

/// A model configuration read from a `config.json` in two passes over the same data: the plain fields (the
/// type's `Codable` keys) over the defaults of `init()`, then ``Extras``, the fields that need conversion or may
/// only hold certain values, completes and checks them.
protocol ModelConfigFile: Codable {
    associatedtype Extras: ModelConfigExtras where Extras.Config == Self
    /// The defaults for absent keys.
    init()
}

/// The fields of a ``ModelConfigFile`` that are not read as they are.
protocol ModelConfigExtras: Decodable {
    associatedtype Config
    /// `plain` (the plain fields over the defaults) with these fields applied, checked.
    func completed(_ plain: Config) throws -> Config
}

extension ModelConfigFile {
    /// Reads `config.json`, or the one inside the component folder `url`.
    static func read(_ url: URL) throws -> Self {
        let (data, file) = try ConfigFile.read(url)
        return try read(data, file: file)
    }

    /// Decodes the JSON text of a `config.json`; `file` names it in errors.
    static func read(_ data: Data, file: String) throws -> Self {
        let extras = try ConfigFile.decode(Extras.self, data: data, file: file)
        return try extras.completed(ConfigFile.decode(data: data, over: Self(), file: file))
    }
}
