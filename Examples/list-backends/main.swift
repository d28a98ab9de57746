// Lists the compute backends and devices DepthDiffusion can use on this machine, and why any other is unavailable.
import Foundation
import DepthDiffusion

for (kind, description) in BackendKind.available() {
    print("\(kind.description.padding(toLength: 14, withPad: " ", startingAt: 0)) \(description)")
}
for (backend, reason) in BackendKind.unavailable() {
    print("\(backend.padding(toLength: 14, withPad: " ", startingAt: 0)) unavailable: \(reason)")
}
