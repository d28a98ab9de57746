// Lists the compute backends and devices DepthDiffusion can use on this machine.
import Foundation
import DepthDiffusion

for (kind, description) in BackendKind.available() {
    print("\(kind.description.padding(toLength: 14, withPad: " ", startingAt: 0)) \(description)")
}
