import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif

/// One HTTP exchange with the hub over `URLSession` (FoundationNetworking on Linux): a small JSON request,
/// or a download streamed into a file with `Range` resume, hashing and progress. Redirects are followed;
/// the `Authorization` header is sent only to the hub's own host, never to the storage host a file
/// redirects to. The headers of the first response (`X-Repo-Commit`, `ETag`, `X-Linked-Etag`) are kept.
///
/// `@unchecked Sendable` (required of a `URLSession` delegate): the mutable state is written only by the
/// session's serial delegate queue, and read by the caller after `done` is signalled at completion.
final class HubTransfer: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    struct Response {
        var status: Int
        var body: Data
        /// Headers of the first response (before any redirect), lower-cased names.
        var firstHeaders: [String: String]
    }

    enum Failure: Error {
        /// No response: the transport error.
        case transport(URLError?, String)
        /// The body stopped early after `received` bytes.
        case cut(String)
        /// Writing the file failed (`errno`).
        case write(Int32, String)
        /// The server answered 206 for another range.
        case range(String)
    }

    private let token: String?
    private let hubHost: String?
    private let done = DispatchSemaphore(value: 0)
    private var status = 0
    private var firstHeaders: [String: String]?
    private var body = Data()
    private var failure: Failure?
    // Download state.
    private var sink: FileHandle?
    private var fileURL: URL?
    private var hasher: SHA256?
    private(set) var received: Int64 = 0
    private var startOffset: Int64 = 0
    private var total: Int64 = 0
    private var startTime = Date(), lastReport = Date.distantPast, bytesThisTransfer: Int64 = 0
    private var progress: ((HubDownloadProgress) -> Void)?
    private var name = ""

    init(token: String?, hubHost: String?) {
        self.token = token
        self.hubHost = hubHost
    }

    private func request(_ url: URL, range: Int64?) -> URLRequest {
        var request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: 60)
        request.setValue("depthdiffusion/1.0; hf_hub-compatible", forHTTPHeaderField: "User-Agent")
        if let token, url.host == hubHost { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let range {
            // The stored bytes must be the file's own bytes, not a compressed encoding of them.
            request.setValue("identity", forHTTPHeaderField: "Accept-Encoding")
            if range > 0 { request.setValue("bytes=\(range)-", forHTTPHeaderField: "Range") }
        }
        return request
    }

    private func run(_ request: URLRequest) {
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        let session = URLSession(configuration: .ephemeral, delegate: self, delegateQueue: queue)
        session.dataTask(with: request).resume()
        done.wait()
        session.finishTasksAndInvalidate()
    }

    /// GETs a small resource into memory.
    func get(_ url: URL) throws -> Response {
        run(request(url, range: nil))
        if let failure { throw failure }
        return Response(status: status, body: body, firstHeaders: firstHeaders ?? [:])
    }

    /// Appends `url`'s content to `file` from its current size (`Range`), hashing the whole file when
    /// `hash` is set; restarts from zero if the server ignores the range. Returns the final status and
    /// the first response's headers; a non-2xx status leaves the file as it was.
    func download(_ url: URL, to file: URL, total: Int64, name: String, hash: Bool,
                  progress: ((HubDownloadProgress) -> Void)?) throws -> (response: Response, sha256: String?) {
        if !FileManager.default.fileExists(atPath: file.path) { _ = FileManager.default.createFile(atPath: file.path, contents: nil) }
        guard let handle = try? FileHandle(forUpdating: file) else { throw Failure.write(errno, file.path) }
        defer { try? handle.close() }
        let existing = (try? handle.seekToEnd()).map(Int64.init) ?? 0
        if hash {
            var hasher = SHA256()
            try? handle.seek(toOffset: 0)
            while let chunk = try? handle.read(upToCount: 8 << 20), !chunk.isEmpty { hasher.update(chunk) }
            self.hasher = hasher
        }
        sink = handle
        fileURL = file
        received = existing
        startOffset = existing
        self.total = total
        self.name = name
        self.progress = progress
        startTime = Date()
        run(request(url, range: existing))
        report(finished: true)
        if let failure { throw failure }
        return (Response(status: status, body: body, firstHeaders: firstHeaders ?? [:]), hasher.map { $0.finalize().hexString })
    }

    private func report(finished: Bool) {
        guard let progress else { return }
        let now = Date()
        guard finished || now.timeIntervalSince(lastReport) >= 0.1 else { return }
        lastReport = now
        let elapsed = now.timeIntervalSince(startTime)
        progress(HubDownloadProgress(file: name, received: received, total: total,
                                     bytesPerSecond: elapsed > 0.05 ? Double(bytesThisTransfer) / elapsed : 0, finished: finished))
    }

    private static func headers(_ response: HTTPURLResponse) -> [String: String] {
        var out: [String: String] = [:]
        for (key, value) in response.allHeaderFields {
            if let k = key as? String, let v = value as? String { out[k.lowercased()] = v }
        }
        return out
    }

    /// The `errno` behind a file error (`ENOSPC` for a full disk), or `EIO`.
    static func posixCode(_ error: Error) -> Int32 {
        let ns = error as NSError
        if ns.domain == NSPOSIXErrorDomain { return Int32(ns.code) }
        if ns.domain == NSCocoaErrorDomain && ns.code == CocoaError.fileWriteOutOfSpace.rawValue { return ENOSPC }
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain { return Int32(underlying.code) }
        return EIO
    }

    // MARK: URLSessionDataDelegate

    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest: URLRequest, completionHandler: @escaping (URLRequest?) -> Void) {
        if firstHeaders == nil { firstHeaders = Self.headers(response) }
        var next = newRequest
        if next.url?.host != hubHost || token == nil {
            next.setValue(nil, forHTTPHeaderField: "Authorization")
        } else if let token {
            next.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        }
        completionHandler(next)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        guard let http = response as? HTTPURLResponse else {
            failure = .transport(nil, "not an HTTP response")
            completionHandler(.cancel)
            return
        }
        status = http.statusCode
        let headers = Self.headers(http)
        if firstHeaders == nil { firstHeaders = headers }
        guard let sink else { completionHandler(.allow); return }
        switch status {
        case 200 where startOffset > 0:
            // The server sent the whole file: start over.
            do { try sink.truncate(atOffset: 0) } catch { failure = .write(EIO, fileURL?.path ?? ""); completionHandler(.cancel); return }
            received = 0
            if hasher != nil { hasher = SHA256() }
            completionHandler(.allow)
        case 200:
            completionHandler(.allow)
        case 206:
            let range = headers["content-range"] ?? ""
            guard range.hasPrefix("bytes \(startOffset)-") else {
                failure = .range("asked for bytes from \(startOffset), got '\(range)'")
                completionHandler(.cancel)
                return
            }
            completionHandler(.allow)
        default:
            // An error status: read its (small) body instead of writing it into the file.
            self.sink = nil
            completionHandler(.allow)
        }
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        guard failure == nil else { return }
        guard let sink else {
            if body.count < 1 << 20 { body.append(data) }
            return
        }
        do {
            try sink.write(contentsOf: data)
        } catch {
            failure = .write(Self.posixCode(error), error.localizedDescription)
            dataTask.cancel()
            return
        }
        hasher?.update(data)
        received += Int64(data.count)
        bytesThisTransfer += Int64(data.count)
        report(finished: false)
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        if failure == nil, let error {
            let urlError = error as? URLError
            let message = urlError.map { "\($0.localizedDescription) [\($0.code.rawValue)]" } ?? error.localizedDescription
            failure = (sink != nil && (bytesThisTransfer > 0 || status != 0)) ? .cut(message) : .transport(urlError, message)
        }
        done.signal()
    }
}
