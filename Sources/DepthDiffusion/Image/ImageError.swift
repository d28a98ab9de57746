/// Problems with image data or resampling requests.
public enum ImageError: Error, Equatable, CustomStringConvertible {
    /// The dimensions and the pixel buffer disagree, or a size is not positive.
    case invalidSize(String)

    public var description: String {
        switch self {
        case .invalidSize(let detail): return "invalid image size: \(detail)"
        }
    }
}

extension ImageError {
    /// Checks that `count` samples fill a `width` x `height` image of `channels` channels, without overflow
    /// for any sizes (hostile headers and configs included).
    static func checkSize(width: Int, height: Int, channels: Int, count: Int, of kind: String) throws {
        guard width > 0, height > 0 else {
            throw ImageError.invalidSize("\(kind) needs a positive width and height, got \(width)x\(height)")
        }
        let (plane, overflow1) = width.multipliedReportingOverflow(by: height)
        let (needed, overflow2) = plane.multipliedReportingOverflow(by: channels)
        guard !overflow1, !overflow2, count == needed else {
            throw ImageError.invalidSize("\(kind) of \(width)x\(height) needs \(overflow1 || overflow2 ? "more than Int.max" : "\(needed)") values, got \(count)")
        }
    }
}
