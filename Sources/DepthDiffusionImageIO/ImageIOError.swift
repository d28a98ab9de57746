/// Errors reading or writing image files.
public enum ImageIOError: Error, CustomStringConvertible, Equatable {
    case cannotRead(path: String, reason: String)
    case unsupportedFormat(path: String)
    case decodeFailed(path: String, reason: String)
    case wrongChannelCount(path: String, channels: Int, expected: String)
    case invalidPixels(String)
    /// The header's size is over the ``ImageSizeLimits`` in use; `reason` says which limit.
    case imageTooLarge(path: String, width: Int, height: Int, reason: String)
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case let .cannotRead(path, reason): return "cannot read '\(path)': \(reason)"
        case let .unsupportedFormat(path): return "'\(path)' is neither a PNG nor a JPEG file; convert it to PNG or JPEG"
        case let .decodeFailed(path, reason): return "'\(path)' could not be decoded (\(reason)); the file may be truncated or corrupt"
        case let .wrongChannelCount(path, channels, expected):
            return "'\(path)' has \(channels) channels but \(expected) is needed"
        case let .invalidPixels(detail): return "invalid pixel buffer: \(detail)"
        case let .imageTooLarge(path, width, height, reason):
            return "'\(path)' is \(width)x\(height) pixels, \(reason); scale the image down, or pass larger ImageSizeLimits when reading it"
        case let .writeFailed(path, reason): return "cannot write '\(path)': \(reason)"
        }
    }
}
