/// Progress of one file download, reported while it runs (about ten times a second) and when it ends.
public struct HubDownloadProgress: Sendable {
    /// The file's path in the repository.
    public var file: String
    /// Bytes in the local file so far (a resumed download starts above zero).
    public var received: Int64
    /// The file's size.
    public var total: Int64
    /// Average speed of this transfer in bytes per second.
    public var bytesPerSecond: Double
    /// Whether the transfer has ended (successfully or not).
    public var finished: Bool

    /// Seconds left at the current speed, or nil before the speed is known.
    public var secondsLeft: Double? {
        bytesPerSecond > 0 ? Double(max(total - received, 0)) / bytesPerSecond : nil
    }
}
