/// Nearest and bilinear resizing of H×W planes with PyTorch's source-index formulas.

@inline(__always)
func nearestIndex(_ dst: Int, _ inSize: Int, _ outSize: Int) -> Int {
    let scale = Float(inSize) / Float(outSize)
    return min(Int((Float(dst) * scale).rounded(.down)), inSize - 1)
}

public func upsampleNearest2dForward(planes: Int, inH: Int, inW: Int, outH: Int, outW: Int,
                                     input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
    let cols = (0..<outW).map { nearestIndex($0, inW, outW) }
    Threading.parallelFor(planes) { range in
        for pl in range {
            let x = input + pl * inH * inW, y = output + pl * outH * outW
            for oy in 0..<outH {
                let row = x + nearestIndex(oy, inH, outH) * inW, d = y + oy * outW
                for ox in 0..<outW { d[ox] = row[cols[ox]] }
            }
        }
    }
}

public func upsampleNearest2dBackward(planes: Int, inH: Int, inW: Int, outH: Int, outW: Int,
                                      gradOutput: UnsafePointer<Float>, gradInput: UnsafeMutablePointer<Float>) {
    let cols = (0..<outW).map { nearestIndex($0, inW, outW) }
    Threading.parallelFor(planes) { range in
        for pl in range {
            let gx = gradInput + pl * inH * inW, gy = gradOutput + pl * outH * outW
            gx.update(repeating: 0, count: inH * inW)
            for oy in 0..<outH {
                let row = gx + nearestIndex(oy, inH, outH) * inW, s = gy + oy * outW
                for ox in 0..<outW { row[cols[ox]] += s[ox] }
            }
        }
    }
}

/// Source index pair and weights for bilinear resizing along one axis.
func bilinearTable(_ inSize: Int, _ outSize: Int, _ alignCorners: Bool) -> [(Int, Int, Float, Float)] {
    let scale: Float = alignCorners ? (outSize > 1 ? Float(inSize - 1) / Float(outSize - 1) : 0) : Float(inSize) / Float(outSize)
    return (0..<outSize).map { d in
        var src = alignCorners ? Float(d) * scale : (Float(d) + 0.5) * scale - 0.5
        if src < 0 { src = 0 }
        let i0 = min(Int(src), inSize - 1)
        let i1 = i0 + (i0 < inSize - 1 ? 1 : 0)
        let l1 = src - Float(i0)
        return (i0, i1, 1 - l1, l1)
    }
}

public func upsampleBilinear2dForward(planes: Int, inH: Int, inW: Int, outH: Int, outW: Int, alignCorners: Bool,
                                      input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
    let ty = bilinearTable(inH, outH, alignCorners), tx = bilinearTable(inW, outW, alignCorners)
    Threading.parallelFor(planes) { range in
        for pl in range {
            let x = input + pl * inH * inW, y = output + pl * outH * outW
            for oy in 0..<outH {
                let (y0, y1, wy0, wy1) = ty[oy]
                let r0 = x + y0 * inW, r1 = x + y1 * inW, d = y + oy * outW
                for ox in 0..<outW {
                    let (x0, x1, wx0, wx1) = tx[ox]
                    d[ox] = wy0 * (wx0 * r0[x0] + wx1 * r0[x1]) + wy1 * (wx0 * r1[x0] + wx1 * r1[x1])
                }
            }
        }
    }
}

public func upsampleBilinear2dBackward(planes: Int, inH: Int, inW: Int, outH: Int, outW: Int, alignCorners: Bool,
                                       gradOutput: UnsafePointer<Float>, gradInput: UnsafeMutablePointer<Float>) {
    let ty = bilinearTable(inH, outH, alignCorners), tx = bilinearTable(inW, outW, alignCorners)
    Threading.parallelFor(planes) { range in
        for pl in range {
            let gx = gradInput + pl * inH * inW, gy = gradOutput + pl * outH * outW
            gx.update(repeating: 0, count: inH * inW)
            for oy in 0..<outH {
                let (y0, y1, wy0, wy1) = ty[oy]
                let r0 = gx + y0 * inW, r1 = gx + y1 * inW, s = gy + oy * outW
                for ox in 0..<outW {
                    let (x0, x1, wx0, wx1) = tx[ox]
                    let g = s[ox]
                    r0[x0] += wy0 * wx0 * g; r0[x1] += wy0 * wx1 * g
                    r1[x0] += wy1 * wx0 * g; r1[x1] += wy1 * wx1 * g
                }
            }
        }
    }
}
