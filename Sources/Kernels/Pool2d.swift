import CKernels

/// Geometry of 2-D pooling over `planes` planes of H×W (N·C for NCHW).
public struct Pool2dGeometry: Sendable, Equatable {
    public var planes, height, width, kernelH, kernelW, strideH, strideW, padH, padW, dilationH, dilationW: Int
    public var ceilMode: Bool
    public var countIncludePad: Bool
    public var divisorOverride: Int?

    public init(planes: Int, height: Int, width: Int, kernelH: Int, kernelW: Int, strideH: Int, strideW: Int,
                padH: Int, padW: Int, dilationH: Int = 1, dilationW: Int = 1, ceilMode: Bool = false,
                countIncludePad: Bool = true, divisorOverride: Int? = nil) {
        self.planes = planes; self.height = height; self.width = width
        self.kernelH = kernelH; self.kernelW = kernelW; self.strideH = strideH; self.strideW = strideW
        self.padH = padH; self.padW = padW; self.dilationH = dilationH; self.dilationW = dilationW
        self.ceilMode = ceilMode; self.countIncludePad = countIncludePad; self.divisorOverride = divisorOverride
    }

    /// PyTorch's pooling output size, including the ceil-mode rule that the last window must
    /// start inside the input or the left padding.
    static func outSize(_ size: Int, _ k: Int, _ s: Int, _ p: Int, _ d: Int, _ ceil: Bool) -> Int {
        let span = size + 2 * p - d * (k - 1) - 1
        if span < 0 { return 0 }
        var out = (ceil ? (span + s - 1) / s : span / s) + 1
        if ceil && (out - 1) * s >= size + p { out -= 1 }
        return out
    }

    public var outH: Int { Self.outSize(height, kernelH, strideH, padH, dilationH, ceilMode) }
    public var outW: Int { Self.outSize(width, kernelW, strideW, padW, dilationW, ceilMode) }
}

/// Max pooling forward. `indices` (the flat argmax per output, for the backward pass) may be nil
/// when no gradient is wanted: ResNet's stem pool then takes a values-only path.
public func maxPool2dForward(_ g: Pool2dGeometry, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                             indices: UnsafeMutablePointer<Int32>?) {
    let oh = g.outH, ow = g.outW, h = g.height, w = g.width
    if g.kernelH == 3, g.kernelW == 3, g.strideH == 2, g.strideW == 2, g.padH == 1, g.padW == 1, g.dilationH == 1, g.dilationW == 1,
       !g.ceilMode {   // ceil mode may add a window starting past the last row
        if let indices {
            maxPool3x3Stride2(g, input: input, output: output, indices: indices)
        } else {
            maxPool3x3Stride2Values(g, input: input, output: output)
        }
        return
    }
    Threading.parallelFor(g.planes) { range in
        let scratch = indices == nil ? UnsafeMutablePointer<Int32>.allocate(capacity: oh * ow) : nil
        defer { scratch?.deallocate() }
        for pl in range {
            maxPoolPlaneGeneric(g, input + pl * h * w, output + pl * oh * ow, indices.map { $0 + pl * oh * ow } ?? scratch!)
        }
    }
}

/// `maxPool3x3Stride2` without the indices: per output row the vertical max of its (up to) three
/// rows, then the max of three neighbouring columns, both loops branch-free. Planes holding a NaN
/// take the generic loop (NaN propagates as in PyTorch).
func maxPool3x3Stride2Values(_ g: Pool2dGeometry, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
    let oh = g.outH, ow = g.outW, h = g.height, w = g.width
    Threading.parallelFor(g.planes) { range in
        // vmax[0] = −∞ pads column −1; vmax[1 + j] holds column j, and column w (if read) is −∞ too.
        let vmax = UnsafeMutablePointer<Float>.allocate(capacity: w + 2)
        defer { vmax.deallocate() }
        vmax[0] = -.infinity
        vmax[w + 1] = -.infinity
        let v = vmax + 1
        for pl in range {
            let x = input + pl * h * w, y = output + pl * oh * ow
            if planeHasNaN(x, h * w) {
                let ix = UnsafeMutablePointer<Int32>.allocate(capacity: oh * ow)
                maxPoolPlaneGeneric(g, x, y, ix)
                ix.deallocate()
                continue
            }
            for oy in 0..<oh {
                let r0 = max(2 * oy - 1, 0), r1 = min(2 * oy + 1, h - 1)
                let first = x + r0 * w
                for j in 0..<w { v[j] = first[j] }
                var r = r0 + 1
                while r <= r1 {
                    let row = x + r * w
                    for j in 0..<w { let a = row[j], b = v[j]; v[j] = a > b ? a : b }
                    r += 1
                }
                let d = y + oy * ow
                for ox in 0..<ow {
                    let a = vmax[2 * ox], b = vmax[2 * ox + 1], c = vmax[2 * ox + 2]
                    let m = a > b ? a : b
                    d[ox] = c > m ? c : m
                }
            }
        }
    }
}

/// ResNet's stem pool (3×3, stride 2, padding 1), separably: per output row, a vertical max over
/// its (up to) three input rows for every column (contiguous, vectorised), then per output the
/// max of three neighbouring columns. Indices follow PyTorch's rule, the first maximum in
/// row-major window order: among equal values the smaller row, then the smaller column wins. A
/// plane holding a NaN takes the generic loop (where the last NaN wins, as PyTorch's kernel).
func maxPool3x3Stride2(_ g: Pool2dGeometry, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
                       indices: UnsafeMutablePointer<Int32>) {
    let oh = g.outH, ow = g.outW, h = g.height, w = g.width
    Threading.parallelFor(g.planes) { range in
        // Column j at [1 + j]; column −1 and the positions after the last column are sentinels (−∞
        // from row Int32.max), which lose to every value of the map, −∞ included, under the tie rule;
        // azoo_maxpool_h3s2 reads up to position 2·ow + 48.
        let capacity = Swift.max(w + 2, 2 * ow + 48)
        let vmaxBase = UnsafeMutablePointer<Float>.allocate(capacity: capacity)
        let vrowBase = UnsafeMutablePointer<Int32>.allocate(capacity: capacity)
        defer { vmaxBase.deallocate(); vrowBase.deallocate() }
        (vmaxBase[0], vrowBase[0]) = (-.infinity, .max)
        (vmaxBase + w + 1).update(repeating: -.infinity, count: capacity - w - 1)
        (vrowBase + w + 1).update(repeating: .max, count: capacity - w - 1)
        let vmax = vmaxBase + 1, vrow = vrowBase + 1
        for pl in range {
            let x = input + pl * h * w, y = output + pl * oh * ow, ix = indices + pl * oh * ow
            if planeHasNaN(x, h * w) {
                maxPoolPlaneGeneric(g, x, y, ix)
                continue
            }
            for oy in 0..<oh {
                let r0 = max(2 * oy - 1, 0), r1 = min(2 * oy + 1, h - 1)
                // Vertical: the first row wins ties (strict >).
                let first = x + r0 * w
                for j in 0..<w { vmax[j] = first[j]; vrow[j] = Int32(r0) }
                var r = r0 + 1
                while r <= r1 {
                    let row = x + r * w, rr = Int32(r)
                    for j in 0..<w {
                        let v = row[j], take = v > vmax[j]
                        vmax[j] = take ? v : vmax[j]
                        vrow[j] = take ? rr : vrow[j]
                    }
                    r += 1
                }
                // Horizontal: columns 2·ox − 1, 2·ox, 2·ox + 1 in order; an equal value from a smaller
                // row wins (CKernels/maxpool.c, sixteen outputs per step).
                azoo_maxpool_h3s2(vmaxBase, vrowBase, ow, Int32(w), y + oy * ow, ix + oy * ow)
            }
        }
    }
}

/// The generic max-pool loop on one plane.
@inline(__always)
func maxPoolPlaneGeneric(_ g: Pool2dGeometry, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ ix: UnsafeMutablePointer<Int32>) {
    let oh = g.outH, ow = g.outW, h = g.height, w = g.width
    for oy in 0..<oh {
        for ox in 0..<ow {
            var best = -Float.infinity, bi = -1
            for i in 0..<g.kernelH {
                let iy = oy * g.strideH - g.padH + i * g.dilationH
                if iy < 0 || iy >= h { continue }
                for j in 0..<g.kernelW {
                    let jx = ox * g.strideW - g.padW + j * g.dilationW
                    if jx < 0 || jx >= w { continue }
                    // A select, not a branch (each comparison is a coin flip on real data);
                    // a later NaN wins, as PyTorch's kernel.
                    let v = x[iy * w + jx], take = v > best || v != v || bi < 0
                    best = take ? v : best
                    bi = take ? iy * w + jx : bi
                }
            }
            y[oy * ow + ox] = best
            ix[oy * ow + ox] = Int32(max(bi, 0))
        }
    }
}

public func maxPool2dBackward(_ g: Pool2dGeometry, gradOutput: UnsafePointer<Float>, indices: UnsafePointer<Int32>,
                              gradInput: UnsafeMutablePointer<Float>) {
    let n = g.outH * g.outW, hw = g.height * g.width
    Threading.parallelFor(g.planes) { range in
        for pl in range {
            let gx = gradInput + pl * hw, gy = gradOutput + pl * n, ix = indices + pl * n
            gx.update(repeating: 0, count: hw)
            for q in 0..<n { gx[Int(ix[q])] += gy[q] }
        }
    }
}

/// The window of output (oy, ox) clipped to the input, and its divisor.
@inline(__always)
func avgWindow(_ g: Pool2dGeometry, _ oy: Int, _ ox: Int) -> (Int, Int, Int, Int, Float) {
    var y0 = oy * g.strideH - g.padH, x0 = ox * g.strideW - g.padW
    var y1 = min(y0 + g.kernelH, g.height + g.padH), x1 = min(x0 + g.kernelW, g.width + g.padW)
    let poolSize = (y1 - y0) * (x1 - x0)
    y0 = max(y0, 0); x0 = max(x0, 0); y1 = min(y1, g.height); x1 = min(x1, g.width)
    let divisor: Int
    if let d = g.divisorOverride { divisor = d } else if g.countIncludePad { divisor = poolSize } else { divisor = (y1 - y0) * (x1 - x0) }
    return (y0, y1, x0, x1, Float(max(divisor, 1)))
}

public func avgPool2dForward(_ g: Pool2dGeometry, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
    let oh = g.outH, ow = g.outW, h = g.height, w = g.width
    Threading.parallelFor(g.planes) { range in
        for pl in range {
            let x = input + pl * h * w, y = output + pl * oh * ow
            for oy in 0..<oh {
                for ox in 0..<ow {
                    let (y0, y1, x0, x1, div) = avgWindow(g, oy, ox)
                    var s: Float = 0
                    if y0 < y1 && x0 < x1 { for iy in y0..<y1 { for jx in x0..<x1 { s += x[iy * w + jx] } } }
                    y[oy * ow + ox] = s / div
                }
            }
        }
    }
}

public func avgPool2dBackward(_ g: Pool2dGeometry, gradOutput: UnsafePointer<Float>, gradInput: UnsafeMutablePointer<Float>) {
    let oh = g.outH, ow = g.outW, h = g.height, w = g.width
    Threading.parallelFor(g.planes) { range in
        for pl in range {
            let gx = gradInput + pl * h * w, gy = gradOutput + pl * oh * ow
            gx.update(repeating: 0, count: h * w)
            for oy in 0..<oh {
                for ox in 0..<ow {
                    let (y0, y1, x0, x1, div) = avgWindow(g, oy, ox)
                    let v = gy[oy * ow + ox] / div
                    if y0 < y1 && x0 < x1 { for iy in y0..<y1 { for jx in x0..<x1 { gx[iy * w + jx] += v } } }
                }
            }
        }
    }
}

/// PyTorch's adaptive window [⌊i·in/out⌋, ⌈(i+1)·in/out⌉).
@inline(__always)
func adaptiveRange(_ i: Int, _ inSize: Int, _ outSize: Int) -> (Int, Int) {
    (i * inSize / outSize, ((i + 1) * inSize + outSize - 1) / outSize)
}

public func adaptiveAvgPool2dForward(planes: Int, inH: Int, inW: Int, outH: Int, outW: Int,
                                     input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>) {
    Threading.parallelFor(planes, minChunk: max(1, 4096 / max(inH * inW, 1))) { range in
        for pl in range {
            let x = input + pl * inH * inW, y = output + pl * outH * outW
            if outH == 1 && outW == 1 {
                let n = inH * inW
                var acc = SIMD8<Float>(repeating: 0)
                var q = 0
                while q + 8 <= n { acc += UnsafeRawPointer(x + q).loadUnaligned(as: SIMD8<Float>.self); q += 8 }
                var s = acc.sum()
                while q < n { s += x[q]; q += 1 }
                y[0] = s / Float(n)
                continue
            }
            for oy in 0..<outH {
                let (y0, y1) = adaptiveRange(oy, inH, outH)
                for ox in 0..<outW {
                    let (x0, x1) = adaptiveRange(ox, inW, outW)
                    var s: Float = 0
                    for iy in y0..<y1 { for jx in x0..<x1 { s += x[iy * inW + jx] } }
                    y[oy * outW + ox] = s / Float((y1 - y0) * (x1 - x0))
                }
            }
        }
    }
}

public func adaptiveAvgPool2dBackward(planes: Int, inH: Int, inW: Int, outH: Int, outW: Int,
                                      gradOutput: UnsafePointer<Float>, gradInput: UnsafeMutablePointer<Float>) {
    Threading.parallelFor(planes, minChunk: max(1, 4096 / max(inH * inW, 1))) { range in
        for pl in range {
            let gx = gradInput + pl * inH * inW, gy = gradOutput + pl * outH * outW
            if outH == 1 && outW == 1 {
                gx.update(repeating: gy[0] / Float(inH * inW), count: inH * inW)
                continue
            }
            gx.update(repeating: 0, count: inH * inW)
            for oy in 0..<outH {
                let (y0, y1) = adaptiveRange(oy, inH, outH)
                for ox in 0..<outW {
                    let (x0, x1) = adaptiveRange(ox, inW, outW)
                    let v = gy[oy * outW + ox] / Float((y1 - y0) * (x1 - x0))
                    for iy in y0..<y1 { for jx in x0..<x1 { gx[iy * inW + jx] += v } }
                }
            }
        }
    }
}

public func adaptiveMaxPool2dForward(planes: Int, inH: Int, inW: Int, outH: Int, outW: Int, input: UnsafePointer<Float>,
                                     output: UnsafeMutablePointer<Float>, indices: UnsafeMutablePointer<Int32>) {
    Threading.parallelFor(planes, minChunk: max(1, 4096 / max(inH * inW, 1))) { range in
        for pl in range {
            let x = input + pl * inH * inW, y = output + pl * outH * outW, ix = indices + pl * outH * outW
            if outH == 1 && outW == 1 {
                // Global max: a branch-free running maximum, then the first index holding it.
                let n = inH * inW
                var m = x[0], hasNaN = false
                for q in 0..<n { let v = x[q]; m = v > m ? v : m; hasNaN = hasNaN || v != v }
                var bi = 0
                if hasNaN { while !x[bi].isNaN { bi += 1 }; m = x[bi] } else { while x[bi] != m { bi += 1 } }
                y[0] = m
                ix[0] = Int32(bi)
                continue
            }
            for oy in 0..<outH {
                let (y0, y1) = adaptiveRange(oy, inH, outH)
                for ox in 0..<outW {
                    let (x0, x1) = adaptiveRange(ox, inW, outW)
                    var best = -Float.infinity, bi = y0 * inW + x0
                    for iy in y0..<y1 {
                        for jx in x0..<x1 {
                            let v = x[iy * inW + jx], take = v > best || v != v
                            best = take ? v : best
                            bi = take ? iy * inW + jx : bi
                        }
                    }
                    y[oy * outW + ox] = best
                    ix[oy * outW + ox] = Int32(bi)
                }
            }
        }
    }
}

public func adaptiveMaxPool2dBackward(planes: Int, inH: Int, inW: Int, outH: Int, outW: Int, gradOutput: UnsafePointer<Float>,
                                      indices: UnsafePointer<Int32>, gradInput: UnsafeMutablePointer<Float>) {
    Threading.parallelFor(planes, minChunk: max(1, 4096 / max(inH * inW, 1))) { range in
        for pl in range {
            let gx = gradInput + pl * inH * inW, gy = gradOutput + pl * outH * outW, ix = indices + pl * outH * outW
            gx.update(repeating: 0, count: inH * inW)
            for q in 0..<(outH * outW) { gx[Int(ix[q])] += gy[q] }
        }
    }
}

/// Whether any of the `count` floats at `x` is NaN: an integer max over the magnitudes' bit
/// patterns (NaN: above infinity's 0x7F800000), which vectorises where a float compare per element
/// with an early exit does not.
@inline(__always) func planeHasNaN(_ x: UnsafePointer<Float>, _ count: Int) -> Bool {
    var m: UInt32 = 0
    x.withMemoryRebound(to: UInt32.self, capacity: count) { b in
        for i in 0..<count { m = max(m, b[i] & 0x7FFF_FFFF) }
    }
    return m > 0x7F80_0000
}
