import XCTest

/// Largest absolute error and largest error relative to the reference's scale (max |reference|).
struct ErrorStats: CustomStringConvertible {
    var maxAbs = 0.0
    var scale = 0.0
    var maxRel: Double { scale > 0 ? maxAbs / scale : maxAbs }
    var description: String { String(format: "max abs %.3g, scale %.3g, rel-to-scale %.3g", maxAbs, scale, maxRel) }
}

/// Asserts `|actual - expected| ≤ atol + rtol · |expected|` element by element and returns the statistics.
@discardableResult
func assertClose(_ actual: [Float], _ expected: [Double], atol: Double, rtol: Double, _ label: String,
                 file: StaticString = #filePath, line: UInt = #line) -> ErrorStats {
    var stats = ErrorStats()
    guard actual.count == expected.count else {
        XCTFail("\(label): \(actual.count) values, expected \(expected.count)", file: file, line: line)
        return stats
    }
    var worst: (Int, Double)? = nil
    for i in 0..<actual.count {
        let e = expected[i], a = Double(actual[i])
        stats.scale = max(stats.scale, abs(e))
        let err = (a.isNaN || e.isNaN) ? (a.isNaN == e.isNaN ? 0 : .infinity) : abs(a - e)
        stats.maxAbs = max(stats.maxAbs, err)
        if err > atol + rtol * abs(e), worst == nil || err > worst!.1 { worst = (i, err) }
    }
    if let (i, err) = worst {
        XCTFail("\(label): element \(i) is \(actual[i]), expected \(expected[i]) (error \(err); \(stats))", file: file, line: line)
    }
    if ProcessInfo.processInfo.environment["CONFORMANCE_REPORT"] != nil { print("[error] \(label): \(stats)") }
    return stats
}

func assertClose(_ actual: [Float], _ expected: [Float], atol: Double, rtol: Double, _ label: String,
                 file: StaticString = #filePath, line: UInt = #line) {
    assertClose(actual, expected.map(Double.init), atol: atol, rtol: rtol, label, file: file, line: line)
}
