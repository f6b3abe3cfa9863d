@testable import Kernels
import TestSupport
import Testing
@testable import TensorCore

/// `conv2d(…, scale:shift:residual:relu:)` (Tensor+ConvEpilogue.swift) against the same convolution
/// followed by the separate ops (each verified against PyTorch by the op fixtures), bit for bit
/// without a conv bias, on every path
/// that applies the epilogue itself (GEMM: one and two k blocks, tiles straddling two images, groups;
/// Winograd F(2×2) and F(4×4), per image and over the batch; direct without a residual, stride 1 and 2, the phase re-layout on it) and where it is
/// a pass afterwards (direct with a residual).
@Suite struct ConvEpilogueTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String, x: [Int], w: [Int], stride: Int, pad: Int, groups: Int
        var testDescription: String { name }
        var geometry: Conv2dGeometry {
            Conv2dGeometry(batch: x[0], inChannels: x[1], height: x[2], width: x[3], outChannels: w[0], kernelH: w[2], kernelW: w[3],
                           strideH: stride, strideW: stride, padH: pad, padW: pad, dilationH: 1, dilationW: 1, groups: groups)
        }
    }

    static let cases = [
        Case(name: "1×1 on the GEMM, 9×11 maps (tiles across images)", x: [6, 64, 9, 11], w: [96, 64, 1, 1], stride: 1, pad: 0, groups: 1),
        Case(name: "1×1 on the GEMM, k = 600 (two k blocks)", x: [12, 600, 7, 7], w: [100, 600, 1, 1], stride: 1, pad: 0, groups: 1),
        Case(name: "1×1 on the GEMM, two groups", x: [8, 128, 8, 8], w: [96, 64, 1, 1], stride: 1, pad: 0, groups: 2),
        Case(name: "3×3 stride 2, batched columns", x: [2, 64, 20, 20], w: [128, 64, 3, 3], stride: 2, pad: 1, groups: 1),
        Case(name: "3×3 Winograd F(2×2)", x: [2, 32, 16, 16], w: [40, 32, 3, 3], stride: 1, pad: 1, groups: 1),
        Case(name: "3×3 Winograd F(4×4), one image", x: [1, 48, 36, 44], w: [64, 48, 3, 3], stride: 1, pad: 1, groups: 1),
        Case(name: "3×3 Winograd F(4×4) over the batch (wide channels, 7×7 maps)", x: [3, 256, 7, 7], w: [520, 256, 3, 3], stride: 1, pad: 1,
             groups: 1),
        Case(name: "5×5 direct (epilogue in the kernel; with a residual after)", x: [2, 8, 12, 12], w: [16, 8, 5, 5], stride: 1, pad: 2, groups: 1),
        Case(name: "7×7 stride 3 on its phases", x: [1, 1, 37, 41], w: [16, 1, 7, 7], stride: 3, pad: 2, groups: 1),
        Case(name: "7×7 stride 2, direct on even/odd columns", x: [2, 3, 37, 41], w: [16, 3, 7, 7], stride: 2, pad: 3, groups: 1),
        Case(name: "grouped 3×3 stride 2, direct on even/odd columns (with a residual after)", x: [2, 32, 15, 37], w: [44, 8, 3, 3],
             stride: 2, pad: 1, groups: 4),
    ]

    @Test("fused epilogue equals the convolution followed by scale, shift, residual and ReLU", arguments: cases)
    func fusedEqualsUnfused(_ c: Case) {
        let g = c.geometry
        // The path the case is meant to exercise (where the CPU has AVX-512: the GEMM and Winograd kernels;
        // `AZOO_CONV_ISA=1` runs every case on the fallbacks and their pass, same bits).
        if ColumnGEMM.available { switch c.name {
        case let n where n.hasPrefix("1×1"): #expect(g.usesColumnGEMM)
        case let n where n.contains("batched"): #expect(g.usesBatchedColumns)
        case let n where n.contains("F(2×2)"): #expect(g.usesWinograd(inference: true) && !g.takesWinograd43)
        case let n where n.contains("over the batch"): #expect(g.usesWinogradBatched)
        case let n where n.contains("F(4×4)"): #expect(g.takesWinograd43)
        case let n where n.contains("even/odd"): #expect(g.usesDirectStride2 && Tensor.phaseLayout(g) == nil)
        case let n where n.contains("direct"): #expect(g.usesDirect)
        default: #expect(Tensor.phaseLayout(g) != nil)
        } }
        RandomGenerator.withSeed(41) {
            let x = Tensor.randn(c.x), w = Tensor.randn(c.w) * (1 / Float(c.w[1] * c.w[2] * c.w[3]).squareRoot())
            let b = Tensor.randn([c.w[0]])
            let scale = Tensor.randn([c.w[0]]).scalars, shift = Tensor.randn([c.w[0]]).scalars
            let o = c.w[0], s = Tensor(scale, shape: [1, o, 1, 1]), t = Tensor(shift, shape: [1, o, 1, 1])
            // Without a conv bias the fused form rounds as the separate ops (a product, then sums): the
            // same bits. A bias is folded into the shift (scale·b + shift), so then only close.
            for bias in [nil, b] {
                let plain = withNoGrad { x.conv2d(weight: w, bias: bias, stride: (c.stride, c.stride), padding: (c.pad, c.pad), groups: c.groups) }
                let residual = RandomGenerator.withSeed(42) { Tensor.randn(plain.shape) }
                for (useResidual, relu) in [(false, true), (true, true), (true, false), (false, false)] {
                    var expected = withNoGrad { plain * s + t }
                    if useResidual { expected = withNoGrad { expected + residual } }
                    if relu { expected = withNoGrad { expected.relu() } }
                    let fused = withNoGrad {
                        x.conv2d(weight: w, bias: bias, stride: (c.stride, c.stride), padding: (c.pad, c.pad), groups: c.groups,
                                 scale: scale, shift: shift, residual: useResidual ? residual : nil, relu: relu)
                    }
                    let exact = bias == nil
                    expectClose(fused, expected, rtol: exact ? 0 : 1e-5, atol: exact ? 0 : 1e-5,
                                "\(c.name), bias \(!exact), residual \(useResidual), relu \(relu)")
                }
            }
        }
    }

    @Test("a NaN in the input stays NaN through the fused ReLU, as through relu()")
    func nanPropagates() {
        let x = RandomGenerator.withSeed(5) { Tensor.randn([6, 64, 9, 11]) }.copy(), w = RandomGenerator.withSeed(6) { Tensor.randn([96, 64, 1, 1]) }
        x.data[3] = .nan   // image 0, channel 0: every output channel at that pixel
        let scale = [Float](repeating: 1, count: 96), shift = [Float](repeating: -1e9, count: 96)   // everything else negative
        let g = Conv2dGeometry(batch: 6, inChannels: 64, height: 9, width: 11, outChannels: 96, kernelH: 1, kernelW: 1, strideH: 1,
                               strideW: 1, padH: 0, padW: 0, dilationH: 1, dilationW: 1, groups: 1)
        if ColumnGEMM.available { #expect(g.usesColumnGEMM) }
        let y = withNoGrad { x.conv2d(weight: w, scale: scale, shift: shift, relu: true) }
        for o in 0..<96 { #expect(y.data[o * 99 + 3].isNaN, "channel \(o)") }
        #expect(y.scalars.filter(\.isNaN).count == 96)
    }

    @Test("with a recorded gradient it is the differentiable composition")
    func recorded() {
        let x = RandomGenerator.withSeed(7) { Tensor.randn([2, 32, 16, 16]) }.requiringGrad()
        let w = RandomGenerator.withSeed(8) { Tensor.randn([40, 32, 3, 3]) * 0.06 }
        let scale = (0..<40).map { 0.5 + Float($0) / 40 }, shift = (0..<40).map { Float($0) / 80 - 0.25 }
        x.conv2d(weight: w, padding: (1, 1), scale: scale, shift: shift, relu: true).sum().backward()
        let fused = x.grad!
        x.zeroGrad()
        (x.conv2d(weight: w, padding: (1, 1)) * Tensor(scale, shape: [1, 40, 1, 1]) + Tensor(shift, shape: [1, 40, 1, 1])).relu().sum().backward()
        expectClose(fused, x.grad!, rtol: 1e-5, atol: 1e-6, "input gradient")
    }
}
