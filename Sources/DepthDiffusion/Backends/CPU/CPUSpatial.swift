import Foundation

// Resampling and pooling kernels of the CPU backend (PyTorch index conventions, float32 coordinates).

extension CPUBackend {
    public func resize(_ d: ResizeDescriptor, input: DeviceBuffer, output: DeviceBuffer) throws {
        let x = ptr(input), y = ptr(output)
        switch d.mode {
        case .nearest:
            let sy = Float(d.inH) / Float(d.outH), sx = Float(d.inW) / Float(d.outW)
            let xs = (0..<d.outW).map { Swift.min(Int((Float($0) * sx).rounded(.down)), d.inW - 1) }
            parallel.forEach(d.planes * d.outH, grain: 16) { range in
                for r in range {
                    let p = r / d.outH, oy = r % d.outH
                    let iy = Swift.min(Int((Float(oy) * sy).rounded(.down)), d.inH - 1)
                    let src = x + (p * d.inH + iy) * d.inW, dst = y + r * d.outW
                    for ox in 0..<d.outW { dst[ox] = src[xs[ox]] }
                }
            }
        case .bilinear(let alignCorners):
            let ty = linearTaps(d.inH, d.outH, alignCorners), tx = linearTaps(d.inW, d.outW, alignCorners)
            parallel.forEach(d.planes * d.outH, grain: 16) { range in
                for r in range {
                    let p = r / d.outH, (y0, y1, ly) = ty[r % d.outH]
                    let r0 = x + (p * d.inH + y0) * d.inW, r1 = x + (p * d.inH + y1) * d.inW
                    let dst = y + r * d.outW
                    for ox in 0..<d.outW {
                        let (x0, x1, lx) = tx[ox]
                        dst[ox] = (1 - ly) * ((1 - lx) * r0[x0] + lx * r0[x1]) + ly * ((1 - lx) * r1[x0] + lx * r1[x1])
                    }
                }
            }
        case .bicubic(let alignCorners):
            let ty = cubicTaps(d.inH, d.outH, alignCorners), tx = cubicTaps(d.inW, d.outW, alignCorners)
            parallel.forEach(d.planes * d.outH, grain: 16) { range in
                for r in range {
                    let p = r / d.outH, (iys, wy) = ty[r % d.outH]
                    let plane = x + p * d.inH * d.inW
                    let dst = y + r * d.outW
                    for ox in 0..<d.outW {
                        let (ixs, wx) = tx[ox]
                        var acc: Float = 0
                        for a in 0..<4 {
                            let row = plane + iys[a] * d.inW
                            acc += wy[a] * (wx[0] * row[ixs[0]] + wx[1] * row[ixs[1]] + wx[2] * row[ixs[2]] + wx[3] * row[ixs[3]])
                        }
                        dst[ox] = acc
                    }
                }
            }
        }
    }

    public func maxPool2d(_ d: Pool2DDescriptor, input: DeviceBuffer, output: DeviceBuffer) throws {
        let x = ptr(input), y = ptr(output)
        let (ho, wo) = (d.outHeight, d.outWidth)
        parallel.forEach(d.planes * ho, grain: 8) { range in
            for r in range {
                let p = r / ho, oy = r % ho
                for ox in 0..<wo {
                    var m = -Float.infinity
                    for ky in 0..<d.kernelH {
                        let iy = oy * d.strideH + ky - d.padTop
                        for kx in 0..<d.kernelW {
                            let ix = ox * d.strideW + kx - d.padLeft
                            if iy >= 0 && iy < d.height && ix >= 0 && ix < d.width {
                                m = Swift.max(m, x[(p * d.height + iy) * d.width + ix])
                            } else if let pad = d.padValue {
                                m = Swift.max(m, pad)
                            }
                        }
                    }
                    y[r * wo + ox] = m
                }
            }
        }
    }
}

/// PyTorch's source coordinate for output index `dst` (`area_pixel_compute_source_index`, float32).
@inline(__always) func sourceCoordinate(_ dst: Int, _ inSize: Int, _ outSize: Int, alignCorners: Bool, cubic: Bool) -> Float {
    if alignCorners {
        let scale: Float = outSize > 1 ? Float(inSize - 1) / Float(outSize - 1) : 0
        return scale * Float(dst)
    }
    let scale = Float(inSize) / Float(outSize)
    let src = scale * (Float(dst) + 0.5) - 0.5
    return (!cubic && src < 0) ? 0 : src
}

/// Per output index: the two source indices and the weight of the second (bilinear).
func linearTaps(_ inSize: Int, _ outSize: Int, _ alignCorners: Bool) -> [(Int, Int, Float)] {
    (0..<outSize).map { o in
        let src = sourceCoordinate(o, inSize, outSize, alignCorners: alignCorners, cubic: false)
        let i0 = Swift.min(Int(src), inSize - 1)
        let i1 = i0 + (i0 < inSize - 1 ? 1 : 0)
        return (i0, i1, src - Float(i0))
    }
}

/// Per output index: four clamped source indices and their Keys (A = -0.75) weights (bicubic).
func cubicTaps(_ inSize: Int, _ outSize: Int, _ alignCorners: Bool) -> [([Int], [Float])] {
    let a: Float = -0.75
    func near(_ t: Float) -> Float { ((a + 2) * t - (a + 3)) * t * t + 1 }
    func far(_ t: Float) -> Float { ((a * t - 5 * a) * t + 8 * a) * t - 4 * a }
    return (0..<outSize).map { o in
        let src = sourceCoordinate(o, inSize, outSize, alignCorners: alignCorners, cubic: true)
        let i = Int(src.rounded(.down))
        let t = src - Float(i)
        let idx = (-1...2).map { Swift.min(Swift.max(i + $0, 0), inSize - 1) }
        return (idx, [far(t + 1), near(t), near(1 - t), far(2 - t)])
    }
}
