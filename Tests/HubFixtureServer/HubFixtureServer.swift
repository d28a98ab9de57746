import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A small HTTP/1.1 server on 127.0.0.1 that serves folders in the Hugging Face hub's URL layout, for tests
/// and CI without the internet:
///
/// - `GET /api/models/{org}/{name}/revision/{rev}` → `{"sha", "siblings": [{rfilename, size, blobId, lfs}]}`;
///   `GET /api/models/{org}/{name}/tree/{rev}` → `[{type, path, oid, size, lfs}]` (what `snapshot_download` lists);
/// - `GET|HEAD /{org}/{name}/resolve/{rev}/{path}` → regular files: 200 with `ETag` and `X-Repo-Commit`;
///   LFS files (`*.safetensors`): 302 to `http://localhost:<port>/cdn/{sha256}` with `X-Linked-Etag`, `X-Linked-Size`, `X-Repo-Commit`;
/// - `GET /cdn/{sha256}` → the bytes, honouring `Range: bytes=N-` / `bytes=N-M` with 206.
///
/// `rev` is `main` or the commit. Repositories listed in ``privateRepositories`` answer 401 unless the
/// request carries `Authorization: Bearer <token>`. ``cutOnce`` makes the next body of a file stop half-way
/// (the connection is closed), ``corruptOnce`` flips a byte of it. Every request is logged in ``requests``.
///
/// `@unchecked Sendable`: the request log and fault flags are accessed under `lock`; the configuration
/// properties are set before ``start(port:)``.
public final class HubFixtureServer: @unchecked Sendable {
    /// A request as received: method, target (path and query) and lower-cased header names.
    public struct Request: Sendable {
        public let method: String, path: String
        public let headers: [String: String]
    }

    /// The served repositories by id (`org/name`).
    public let repositories: [String: FixtureRepository]
    /// Repositories that answer 401 without `Authorization: Bearer <token>`.
    public var privateRepositories: Set<String> = []
    /// The token private repositories accept.
    public var token = "hf_fixture_token"
    private let lock = NSLock()
    private var _cutOnce = Set<String>(), _corruptOnce = Set<String>(), _requests: [Request] = []
    private var socketFD: Int32 = -1
    /// The port the server listens on.
    public private(set) var port: UInt16 = 0

    /// A server for `repositories` (call ``start(port:)``).
    public init(repositories: [String: FixtureRepository]) { self.repositories = repositories }

    /// `http://127.0.0.1:<port>`.
    public var endpoint: URL { URL(string: "http://127.0.0.1:\(port)")! }

    /// Requests received so far.
    public var requests: [Request] { lock.lock(); defer { lock.unlock() }; return _requests }
    /// Repository-relative file paths whose next body is cut half-way.
    public func cutOnce(_ path: String) { lock.lock(); _cutOnce.insert(path); lock.unlock() }
    /// Repository-relative file paths whose next body has one byte changed.
    public func corruptOnce(_ path: String) { lock.lock(); _corruptOnce.insert(path); lock.unlock() }

    /// Listens on 127.0.0.1 (`port` 0: any free port) and serves on background threads until ``stop()``.
    public func start(port requested: UInt16 = 0) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = requested.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0, listen(fd, 64) == 0 else { let e = errno; close(fd); throw POSIXError(.init(rawValue: e) ?? .EIO) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        port = UInt16(bigEndian: address.sin_port)
        socketFD = fd
        let thread = Thread { [self] in
            while true {
                let client = accept(fd, nil, nil)
                if client < 0 { if errno == EINTR { continue }; return }
                let worker = Thread { [self] in self.handle(client) }
                worker.start()
            }
        }
        thread.start()
    }

    /// Stops listening.
    public func stop() {
        guard socketFD >= 0 else { return }
        shutdown(socketFD, Int32(SHUT_RDWR))
        close(socketFD)
        socketFD = -1
    }

    // MARK: HTTP

    private func handle(_ client: Int32) {
        defer { close(client) }
        var buffer = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 4096)
        while !buffer.suffix(4).elementsEqual([13, 10, 13, 10]) {
            let n = recv(client, &chunk, chunk.count, 0)
            guard n > 0, buffer.count < 65536 else { return }
            buffer += chunk[0..<n]
            if let range = String(decoding: buffer, as: UTF8.self).range(of: "\r\n\r\n") { _ = range; break }
        }
        let text = String(decoding: buffer, as: UTF8.self)
        let lines = text.components(separatedBy: "\r\n")
        let parts = lines.first?.split(separator: " ").map(String.init) ?? []
        guard parts.count >= 2 else { return }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let request = Request(method: parts[0], path: parts[1], headers: headers)
        lock.lock(); _requests.append(request); lock.unlock()
        let response = route(request)
        send(client, response, head: request.method == "HEAD")
    }

    struct Response {
        var status: Int
        var headers: [String: String] = [:]
        var body = Data()
        /// Send only this many body bytes, then close (a cut transfer).
        var cutAt: Int?
    }

    private func send(_ client: Int32, _ r: Response, head: Bool) {
        let reasons = [200: "OK", 206: "Partial Content", 302: "Found", 401: "Unauthorized", 404: "Not Found", 416: "Range Not Satisfiable"]
        var headers = r.headers
        headers["Content-Length"] = headers["Content-Length"] ?? "\(r.body.count)"
        headers["Connection"] = "close"
        var text = "HTTP/1.1 \(r.status) \(reasons[r.status] ?? "Status")\r\n"
        for (k, v) in headers.sorted(by: { $0.key < $1.key }) { text += "\(k): \(v)\r\n" }
        text += "\r\n"
        var bytes = Data(text.utf8)
        if !head { bytes.append(r.body.prefix(r.cutAt ?? r.body.count)) }
        bytes.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return }
            var offset = 0
            while offset < raw.count {
                let n = Glibc.send(client, base + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                if n <= 0 { break }
                offset += n
            }
        }
    }

    private func route(_ request: Request) -> Response {
        let (path, _) = splitQuery(request.path)
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map { $0.removingPercentEncoding ?? String($0) }
        func notFound(_ code: String) -> Response { Response(status: 404, headers: ["X-Error-Code": code], body: Data("{\"error\":\"\(code)\"}".utf8)) }
        // /cdn/{sha256}: the storage host (no authorization needed: the link itself is the permission).
        if parts.count == 2 && parts[0] == "cdn" {
            for repo in repositories.values {
                if let file = repo.files.values.first(where: { $0.isLFS && $0.sha256 == parts[1] }) { return body(file, request) }
            }
            return notFound("EntryNotFound")
        }
        // /api/models/{org}/{name}/revision/{rev}
        if parts.count >= 6 && parts[0] == "api" && parts[1] == "models" && (parts[4] == "revision" || parts[4] == "tree") {
            let id = "\(parts[2])/\(parts[3])"
            guard let repo = repositories[id] else { return authorized(request, id) ? notFound("RepoNotFound") : unauthorized() }
            guard authorized(request, id) else { return unauthorized() }
            let revision = parts[5...].joined(separator: "/")
            guard revision == "main" || revision == repo.commit else { return notFound("RevisionNotFound") }
            return Response(status: 200, headers: ["Content-Type": "application/json"],
                            body: parts[4] == "tree" ? repo.tree() : repo.listing(id: id))
        }
        // /{org}/{name}/resolve/{rev}/{path}
        if parts.count >= 5 && parts[2] == "resolve" {
            let id = "\(parts[0])/\(parts[1])"
            guard let repo = repositories[id] else { return authorized(request, id) ? notFound("RepoNotFound") : unauthorized() }
            guard authorized(request, id) else { return unauthorized() }
            guard parts[3] == "main" || parts[3] == repo.commit else { return notFound("RevisionNotFound") }
            guard let file = repo.files[parts[4...].joined(separator: "/")] else { return notFound("EntryNotFound") }
            var common = ["X-Repo-Commit": repo.commit]
            if file.isLFS {
                // Another origin (localhost, not 127.0.0.1), as the hub's storage host is another host.
                common["Location"] = "http://localhost:\(port)/cdn/\(file.sha256)"
                common["X-Linked-Etag"] = "\"\(file.sha256)\""
                common["X-Linked-Size"] = "\(file.data.count)"
                common["ETag"] = "\"\(file.etag)\""
                return Response(status: 302, headers: common)
            }
            var response = body(file, request)
            response.headers.merge(common) { a, _ in a }
            response.headers["ETag"] = "\"\(file.etag)\""
            return response
        }
        return notFound("NotFound")
    }

    private func splitQuery(_ target: String) -> (String, String?) {
        guard let q = target.firstIndex(of: "?") else { return (target, nil) }
        return (String(target[..<q]), String(target[target.index(after: q)...]))
    }

    private func authorized(_ request: Request, _ id: String) -> Bool {
        !privateRepositories.contains(id) || request.headers["authorization"] == "Bearer \(token)"
    }

    private func unauthorized() -> Response {
        Response(status: 401, headers: ["X-Error-Code": "RepoNotFound"], body: Data("{\"error\":\"Invalid credentials in Authorization header\"}".utf8))
    }

    /// A file's bytes, the whole file or the requested range, with the one-shot faults applied.
    private func body(_ file: FixtureRepository.File, _ request: Request) -> Response {
        var data = file.data
        lock.lock()
        let cut = request.method == "GET" && _cutOnce.remove(file.path) != nil
        let corrupt = request.method == "GET" && _corruptOnce.remove(file.path) != nil
        lock.unlock()
        if corrupt, !data.isEmpty { data[data.count / 2] ^= 0xFF }
        var response = Response(status: 200, headers: ["Accept-Ranges": "bytes", "ETag": "\"\(file.etag)\""], body: data)
        if let range = request.headers["range"], range.hasPrefix("bytes=") {
            let bounds = range.dropFirst(6).split(separator: "-", omittingEmptySubsequences: false)
            guard bounds.count == 2, let start = Int(bounds[0]), start < data.count else {
                return Response(status: 416, headers: ["Content-Range": "bytes */\(data.count)"])
            }
            let end = min(Int(bounds[1]) ?? (data.count - 1), data.count - 1)
            response = Response(status: 206, headers: ["Accept-Ranges": "bytes", "ETag": "\"\(file.etag)\"",
                                                       "Content-Range": "bytes \(start)-\(end)/\(data.count)"],
                                body: data.subdata(in: start..<(end + 1)))
        }
        if cut { response.cutAt = response.body.count / 2 }
        return response
    }
}
