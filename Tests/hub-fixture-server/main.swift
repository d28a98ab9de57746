import Foundation
import HubFixtureServer

// hub-fixture-server --repo ORG/NAME=FOLDER [--repo ...] [--port N] [--private ORG/NAME --token T]
// Serves the folders in the Hugging Face hub's URL layout on 127.0.0.1 and prints the endpoint URL
// (for HF_ENDPOINT) on the first line of standard output; runs until it is killed.
var repos: [String: FixtureRepository] = [:]
var port: UInt16 = 0
var privateRepos = Set<String>()
var token: String?
var arguments = CommandLine.arguments.dropFirst()
func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("hub-fixture-server: \(message)\nusage: hub-fixture-server --repo ORG/NAME=FOLDER [--port N] [--private ORG/NAME --token T]\n".utf8))
    exit(2)
}
while let option = arguments.popFirst() {
    guard let value = arguments.popFirst() else { fail("\(option) needs a value") }
    switch option {
    case "--repo":
        guard let eq = value.firstIndex(of: "=") else { fail("--repo takes ORG/NAME=FOLDER") }
        do { repos[String(value[..<eq])] = try FixtureRepository(folder: URL(fileURLWithPath: String(value[value.index(after: eq)...]))) }
        catch { fail("cannot read \(value): \(error)") }
    case "--port": port = UInt16(value) ?? { fail("bad --port \(value)") }()
    case "--private": privateRepos.insert(value)
    case "--token": token = value
    default: fail("unknown option \(option)")
    }
}
guard !repos.isEmpty else { fail("give at least one --repo") }
let server = HubFixtureServer(repositories: repos)
server.privateRepositories = privateRepos
if let token { server.token = token }
do { try server.start(port: port) } catch { fail("cannot listen: \(error)") }
// Written unbuffered: the caller reads the endpoint while the server keeps running.
FileHandle.standardOutput.write(Data((server.endpoint.absoluteString + "\n").utf8))
while true { sleep(3600) }
