import CKernels

/// What an inference convolution does to its output before writing it, per output channel o:
/// y = scale[o]·y + shift[o] (+ residual) and then max(0, y) with `relu` — a folded BatchNorm, its
/// ReLU and a ResNet block's residual sum, applied while the output tile is still in registers
/// (the GEMM's last k block, the Winograd output transforms, the direct kernels' tiles when there is
/// no residual) instead of in passes over the whole map
/// afterwards. Paths without it run `apply` after the convolution. Every form rounds as the
/// separate passes do (a product, then sums; no fused multiply-add): with the same convolution
/// kernel, conv → channelAffineReLU and the fused form give the same bits.
public struct ConvEpilogue: @unchecked Sendable {
    public let scale: UnsafePointer<Float>
    public let shift: UnsafePointer<Float>
    /// Laid out as the convolution's output (N, O, oh, ow); nil for none.
    public let residual: UnsafePointer<Float>?
    public let relu: Bool

    public init(scale: UnsafePointer<Float>, shift: UnsafePointer<Float>, residual: UnsafePointer<Float>?, relu: Bool) {
        (self.scale, self.shift, self.residual, self.relu) = (scale, shift, residual, relu)
    }

    /// The C form for a call whose channel 0 is channel `channel` and whose output starts `offset`
    /// floats into the convolution's output.
    func c(channel: Int, offset: Int) -> azoo_epilogue {
        azoo_epilogue(scale: scale + channel, shift: shift + channel, residual: residual.map { $0 + offset }, relu: relu ? 1 : 0)
    }

    /// The epilogue as a pass over `output` (N, channels, plane), in parallel over the planes.
    public func apply(_ output: UnsafeMutablePointer<Float>, batch: Int, channels: Int, plane: Int) {
        let y = UncheckedSendable(output)
        Threading.parallelFor(batch * channels, minChunk: max(1, 16384 / max(plane, 1))) { r in
            for item in r {
                let o = item % channels, d = y.value + item * plane, s = scale[o], t = shift[o]
                if let res = residual.map({ $0 + item * plane }) {
                    if relu { for i in 0..<plane { let v = (d[i] * s + t) + res[i]; d[i] = v < 0 ? 0 : v } }
                    else { for i in 0..<plane { d[i] = (d[i] * s + t) + res[i] } }
                } else if relu {
                    for i in 0..<plane { let v = d[i] * s + t; d[i] = v < 0 ? 0 : v }
                } else {
                    for i in 0..<plane { d[i] = d[i] * s + t }
                }
            }
        }
    }
}

/// Runs `body` with a pointer to the C epilogue of `e` (nil for none) for channel `channel` and output offset `offset`.
@inline(__always)
func withEpilogue<R>(_ e: ConvEpilogue?, channel: Int = 0, offset: Int = 0,
                     _ body: (UnsafePointer<azoo_epilogue>?) throws -> R) rethrows -> R {
    guard let e else { return try body(nil) }
    var c = e.c(channel: channel, offset: offset)
    return try withUnsafePointer(to: &c) { try body($0) }
}
