import Foundation
import Synchronization

/// Draws one progress line per downloaded file on standard error:
/// `unet/diffusion_pytorch_model.fp16.safetensors  [██████······]  1.2 GB / 1.7 GB  35.2 MB/s  ETA 14 s`.
/// Pass ``report(_:)`` as ``HubClient/progress``.
public final class HubProgressBar: Sendable {
    /// Held while a line is written, so lines from parallel downloads never interleave.
    private let writing = Mutex(())
    private let width: Int

    /// A bar `width` characters wide.
    public init(width: Int = 24) { self.width = width }

    /// Redraws the line of `progress.file`; ends it with a newline when the transfer is finished.
    public func report(_ progress: HubDownloadProgress) {
        writing.withLock { _ in FileHandle.standardError.write(Data(Self.line(progress, width: width).utf8)) }
    }

    /// The text written for `progress` (a carriage return, the line, and a newline when finished).
    public static func line(_ p: HubDownloadProgress, width: Int = 24) -> String {
        let fraction = p.total > 0 ? min(Double(p.received) / Double(p.total), 1) : 1
        let filled = Int((fraction * Double(width)).rounded(.down))
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        let speed = p.bytesPerSecond > 0 ? HubError.bytes(Int64(p.bytesPerSecond)) + "/s" : "--"
        let eta = p.finished ? "done" : p.secondsLeft.map { "ETA \(Self.duration($0))" } ?? "ETA --"
        return "\r\(p.file)  [\(bar)]  \(HubError.bytes(p.received)) / \(HubError.bytes(p.total))  \(speed)  \(eta)   "
            + (p.finished ? "\n" : "")
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s < 60 ? "\(s) s" : s < 3600 ? "\(s / 60) min \(s % 60) s" : "\(s / 3600) h \(s % 3600 / 60) min"
    }
}
