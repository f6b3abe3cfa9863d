import Foundation
import Kernels
@testable import TensorCore
import TestSupport
import Testing

/// Seeded inputs away from kinks (|x| ≥ 0.05) so that finite differences see smooth functions.
private func smooth(_ shape: [Int], seed: UInt64, low: Float = -1, high: Float = 1) -> Tensor {
    RandomGenerator.withSeed(seed) {
        let t = Tensor.rand(shape, low: low, high: high)
        for i in 0..<t.count where abs(t.data[i]) < 0.05 { t.data[i] = t.data[i] < 0 ? -0.05 : 0.05 }
        return t
    }
}

@Test("finite-difference gradchecks of composite expressions through every op family")
func finiteDifferenceGradchecks() {
    let x = smooth([2, 3, 5, 4], seed: 1), w = smooth([4, 3, 3, 3], seed: 2), b = smooth([4], seed: 3)
    #expect(gradcheck("conv → group norm → gelu", inputs: [x, w, b]) { t in
        t[0].conv2d(weight: t[1], bias: t[2], padding: (1, 1)).groupNorm(groups: 2, weight: nil, bias: nil).gelu()
    })
    #expect(gradcheck("depthwise conv stride 2 → avg/max pool", inputs: [x, smooth([3, 1, 3, 3], seed: 4)]) { t in
        let y = t[0].conv2d(weight: t[1], stride: (2, 2), padding: (1, 1), groups: 3)
        return y.avgPool2d(kernelSize: (2, 2), stride: (1, 1)) + y.maxPool2d(kernelSize: (2, 2), stride: (1, 1)) * 0.5
    })
    #expect(gradcheck("softmax · log-softmax · layer norm", inputs: [smooth([3, 4, 6], seed: 5), smooth([6], seed: 6)]) { t in
        t[0].softmax(axis: 1) * t[0].logSoftmax(axis: 2) + t[0].layerNorm(normalizedShape: [6], weight: t[1], bias: nil)
    })
    #expect(gradcheck("matmul, bmm broadcast, pow, rsqrt, var", inputs: [smooth([2, 3, 4], seed: 7), smooth([4, 5], seed: 8)]) { t in
        let y = t[0].matmul(t[1])
        return (y * y + 1).rsqrt() + y.pow(3) * 0.1 + y.variance(axes: [2], keepDims: true)
    })
    #expect(gradcheck("bilinear interpolate, adaptive avg/max pools, pad, cat, slice", inputs: [smooth([1, 2, 4, 5], seed: 9)]) { t in
        let up = t[0].interpolate(size: (7, 6), mode: .bilinear, alignCorners: false)
        let pooled = up.adaptiveAvgPool2d(outputSize: (3, 2)) + t[0].adaptiveMaxPool2d(outputSize: (3, 2))
        return Tensor.cat([pooled, t[0].padded([1, 0, 0, 0]).slice(axis: 2, start: 0, end: 3).slice(axis: 3, start: 0, end: 2)], axis: 1)
    })
    // Irregular θ: no sample point lands on a pixel centre, where bilinear sampling has a kink.
    let theta = Tensor([0.93, 0.17, 0.11, -0.13, 1.07, -0.06, 0.97, -0.29, 0.21, 0.23, 0.83, 0.07], shape: [2, 2, 3])
    #expect(gradcheck("affine grid → grid sample (input and θ)", inputs: [smooth([2, 2, 5, 6], seed: 10), theta], eps: 1e-3) { t in
        t[0].gridSample(Tensor.affineGrid(theta: t[1], size: [2, 2, 4, 5], alignCorners: false), alignCorners: false)
    })
    #expect(gradcheck("batch norm (train statistics), sigmoid, tanh, silu", inputs: [smooth([4, 3, 2, 2], seed: 11)]) { t in
        let y = t[0].batchNorm(runningMean: nil, runningVar: nil, weight: nil, bias: nil, training: true)
        return y.sigmoid() * y.tanh() + y.silu()
    })
}

@Test("autograd semantics: gradients accumulate, zeroGrad clears, detach and noGrad cut the tape")
func autogradSemantics() {
    let x = Tensor([1, 2, 3], requiresGrad: true)
    (x * x).sum().backward()
    #expect(x.grad?.scalars == [2, 4, 6])
    (x * 3).sum().backward()
    #expect(x.grad?.scalars == [5, 7, 9], "a second backward adds to the gradient")
    x.zeroGrad()
    #expect(x.grad == nil)
    let cut = x.detach() * x
    cut.sum().backward()
    #expect(x.grad?.scalars == [1, 2, 3], "the detached factor is a constant")
    let y = withNoGrad { x * 2 }
    #expect(!y.requiresGrad, "no tape inside withNoGrad")
    let z = withNoGrad { withGrad { x * 2 } }
    #expect(z.requiresGrad, "withGrad re-enables recording")
    // A tensor used twice receives the sum of both paths.
    let a = Tensor([0.5, -1], requiresGrad: true)
    let s = a.exp()
    (s + s * s).sum().backward()
    let e = [Float(0.5).exponential, Float(-1).exponential]
    #expect(abs(a.grad!.scalars[0] - (e[0] + 2 * e[0] * e[0])) < 1e-5)
    #expect(abs(a.grad!.scalars[1] - (e[1] + 2 * e[1] * e[1])) < 1e-5)
}

@Test("seeded randomness: the same seed gives the same tensors and dropout masks")
func seededRandomness() {
    let a = RandomGenerator.withSeed(7) { (Tensor.randn([100]), Tensor.ones([1000]).dropout(p: 0.3, training: true)) }
    let b = RandomGenerator.withSeed(7) { (Tensor.randn([100]), Tensor.ones([1000]).dropout(p: 0.3, training: true)) }
    #expect(a.0.scalars == b.0.scalars && a.1.scalars == b.1.scalars)
    let kept = a.1.scalars.filter { $0 != 0 }
    #expect(kept.allSatisfy { abs($0 - 1 / 0.7) < 1e-6 }, "inverted dropout scales by 1/(1−p)")
    #expect(abs(Float(kept.count) / 1000 - 0.7) < 0.06)
    #expect(Tensor.ones([5]).dropout(p: 0.3, training: false).scalars == [1, 1, 1, 1, 1])
}

extension Float {
    fileprivate var exponential: Float { Foundation.exp(self) }
}

@Test("shape errors trap with a message naming the op and both shapes")
func shapeErrorsTrap() async {
    let add = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
        _ = Tensor.zeros([2, 3]) + Tensor.zeros([4])
    }
    let addText = String(decoding: add?.standardErrorContent ?? [], as: UTF8.self)
    #expect(addText.contains("[2, 3]") && addText.contains("[4]"), "stderr: \(addText)")
    let mm = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
        _ = Tensor.zeros([2, 3]).matmul(Tensor.zeros([4, 5]))
    }
    let mmText = String(decoding: mm?.standardErrorContent ?? [], as: UTF8.self)
    #expect(mmText.contains("matmul") && mmText.contains("[2, 3]") && mmText.contains("[4, 5]"), "stderr: \(mmText)")
    let conv = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
        _ = Tensor.zeros([1, 3, 5, 5]).conv2d(weight: Tensor.zeros([4, 2, 3, 3]))
    }
    let convText = String(decoding: conv?.standardErrorContent ?? [], as: UTF8.self)
    #expect(convText.contains("conv2d") && convText.contains("[1, 3, 5, 5]") && convText.contains("[4, 2, 3, 3]"), "stderr: \(convText)")
}

@Test("a leaf's gradient never shares memory with a tensor the caller still holds")
func leafGradientOwnership() {
    // Add's pullback hands the incoming gradient itself to its input: here the caller's seed.
    let x = Tensor([1, 2, 3], requiresGrad: true)
    let seed = Tensor([4, 5, 6])
    (x + 1).backward(seed)
    #expect(x.grad?.scalars == [4, 5, 6])
    #expect(x.grad?.storage !== seed.storage, "the caller's seed is copied, not adopted")
    seed.data[0] = 100
    #expect(x.grad?.scalars == [4, 5, 6], "writing the seed afterwards leaves the gradient alone")
    // A leaf as the root: its gradient is the seed.
    let w = Tensor([1, 2], requiresGrad: true), g = Tensor([7, 8])
    w.backward(g)
    #expect(w.grad?.storage !== g.storage)
    // One value reaching two inputs of an op (a + a): both paths, no shared buffer with the tape's values.
    let a = Tensor([0.5, 2], requiresGrad: true)
    (a + a).backward(Tensor([1, 3]))
    #expect(a.grad?.scalars == [2, 6])
}

@Test("gradient sums written in place never touch a gradient another input still holds")
func inPlaceGradientSums() {
    // (b + c) + a with c = a·2: the two adds hand one buffer to a, b and c; c's pullback then adds
    // into a's sum while b's is still pending. Summed in place into that shared buffer, b's
    // gradient would change too (x.grad came out 24 that way, instead of 5 + 2·3 + 3 = 14).
    let x = Tensor([1, 2, 3, 4], requiresGrad: true)
    let a = x * 3, b = x * 5
    ((b + a * 2) + a).sum().backward()
    #expect(x.grad?.scalars == [14, 14, 14, 14])
    // A fresh pullback result is summed into: x·x has two paths into the same input.
    let y = Tensor([1, 2, 3], requiresGrad: true)
    ((y * y) * y + y.exp()).sum().backward()
    #expect(y.grad!.isClose(to: Tensor([1, 2, 3].map { 3 * $0 * $0 + Float(Foundation.exp(Double($0))) }), rtol: 1e-6))
}

@Test("large storages (above glibc's mmap threshold) are reused for the same size, and start as asked")
func largeBlockReuse() {
    let n = LargeBlocks.minimumCount + 5
    var first: UnsafeMutablePointer<Float>? = nil
    do {
        let t = Tensor.full(3, shape: [n])
        first = t.data
    }
    let again = Tensor.zeros([n])
    #expect(again.data == first, "the freed block is handed out again")
    #expect(again.data[0] == 0 && again.data[n / 2] == 0 && again.data[n - 1] == 0, "zeros are written, not assumed")
    let other = Tensor.zeros([n + 1])
    #expect(other.data != first)
}

@Test("RandomGenerator.state saved and restored continues the stream exactly")
func randomGeneratorState() {
    let g = RandomGenerator(seed: 11)
    _ = g.uniform(5)
    let saved = g.state
    let expected = (g.uniform(7), g.normal(3), g.integer(below: 1000))
    #expect(g.state != saved)
    let h = RandomGenerator(state: saved)
    #expect(h.uniform(7) == expected.0 && h.normal(3) == expected.1 && h.integer(below: 1000) == expected.2)
    g.state = saved
    #expect(g.uniform(7) == expected.0)
    #expect(RandomGenerator(seed: 12).state != RandomGenerator(seed: 11).state)
}
