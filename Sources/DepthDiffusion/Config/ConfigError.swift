import Foundation

/// A configuration file (`config.json`, `scheduler_config.json`, `preprocessor_config.json`,
/// `tokenizer_config.json`, `model_index.json`) that cannot be read, or that describes a model this package
/// does not implement. Every configuration reader throws this one type.
public enum ConfigError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file is missing, unreadable, not JSON, or a field has the wrong type.
    case unreadable(file: String, reason: String)
    /// A field holds a value this implementation does not support.
    case unsupported(component: String, field: String, value: String, supported: String)
    /// Fields that contradict each other or are out of range (list lengths, sizes that must be positive…).
    case inconsistent(component: String, detail: String)

    public var description: String {
        switch self {
        case let .unreadable(file, reason):
            return "cannot read the model configuration \(file): \(reason); check that the model folder is complete (re-download the file)"
        case let .unsupported(component, field, value, supported):
            return "\(component) config: \(field) = \(value) is not supported (supported: \(supported)); use a stable-diffusion-2-depth compatible checkpoint"
        case let .inconsistent(component, detail):
            return "\(component) config is inconsistent: \(detail); check the configuration against the checkpoint"
        }
    }
}

/// The name diffusers configuration errors had before every reader shared ``ConfigError``.
@available(*, deprecated, renamed: "ConfigError")
public typealias DiffusersConfigError = ConfigError

extension ConfigError {
    /// A scheduler option (`prediction_type`, `solver_type`, …) with a value this library does not implement.
    static func schedulerOption(key: String, value: String, supported: [String]) -> ConfigError {
        .unsupported(component: "scheduler", field: key, value: value, supported: supported.joined(separator: ", "))
    }

    /// A scheduler configuration whose values cannot work together.
    static func scheduler(_ detail: String) -> ConfigError { .inconsistent(component: "scheduler", detail: detail) }
}
