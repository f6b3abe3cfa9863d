import Testing
@testable import Kernels

/// Inference Winograd passes keep U between calls (WinogradKernelCache): a second call reuses it,
/// and weights changed in place (same address, as an optimizer step does) are never served a stale U.
@Test("the Winograd kernel cache reuses U and notices weights changed in place")
func winogradKernelCache() {
    let g = inferenceGeometries[1]
    #expect(g.usesWinograd(inference: true))
    let x = pseudoRandom(g.batch * g.inChannels * g.height * g.width, 11)
    let count = g.outChannels * g.inChannels * 9
    let w = UnsafeMutablePointer<Float>.allocate(capacity: count)
    defer { w.deallocate() }
    w.initialize(from: pseudoRandom(count, 12), count: count)
    func forward() -> [Float] {
        var y = [Float](repeating: .nan, count: g.batch * g.outChannels * g.outH * g.outW)
        y.withUnsafeMutableBufferPointer { conv2dForward(g, input: x, weight: w, bias: nil, output: $0.baseAddress!, inference: true) }
        return y
    }
    func close(_ a: [Float], _ e: [Float]) -> Bool { zip(a, e).allSatisfy { abs($0 - $1) <= 1e-4 + 1e-4 * abs($1) } }
    let first = forward()
    #expect(close(first, naiveConv(g, x, Array(UnsafeBufferPointer(start: w, count: count)), nil)))
    #expect(WinogradKernelCache.shared.holds(w, count: count))
    #expect(forward() == first)
    // One weight changed in place: the next call must see it.
    w[5] += 0.5
    #expect(!WinogradKernelCache.shared.holds(w, count: count))
    #expect(close(forward(), naiveConv(g, x, Array(UnsafeBufferPointer(start: w, count: count)), nil)))
    #expect(WinogradKernelCache.shared.holds(w, count: count))
    // Switched off: nothing is kept.
    w[6] += 0.5
    _ = ConvolutionPaths.$winogradKernelCache.withValue(false) { forward() }
    #expect(!WinogradKernelCache.shared.holds(w, count: count))
    // Recorded (training) passes do not use it.
    var y = [Float](repeating: .nan, count: g.batch * g.outChannels * g.outH * g.outW)
    y.withUnsafeMutableBufferPointer { conv2dForward(g, input: x, weight: w, bias: nil, output: $0.baseAddress!, inference: false) }
    #expect(!WinogradKernelCache.shared.holds(w, count: count))
}
