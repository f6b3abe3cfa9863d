import Kernels
import TestSupport
import Testing
@testable import TensorCore

/// Stride-2 convolutions on the direct kernels over planes split into even and odd columns
/// (`Conv2dGeometry.usesDirectStride2`, CKernels `azoo_pad_planes_s2` / `azoo_conv2d_s2`) against
/// PyTorch's `F.conv2d` (scripts/fixtures/make_ops.py, topic `direct_stride2`).
@Suite struct DirectStride2Tests {
    /// name, stride-2 padding, groups.
    static let cases: [(String, Int, Int)] = [
        ("g4_cpg4", 1, 4), ("g2_cpg8_wide", 1, 2), ("g3_cpg16_pad0", 0, 3), ("g2_cpg32", 1, 2), ("g2_k5_pad2", 2, 2),
        ("stem7x7", 3, 1),
    ]

    static func geometry(_ x: Tensor, _ w: Tensor, pad: Int, groups: Int) -> Conv2dGeometry {
        Conv2dGeometry(batch: x.shape[0], inChannels: x.shape[1], height: x.shape[2], width: x.shape[3], outChannels: w.shape[0],
                       kernelH: w.shape[2], kernelW: w.shape[3], strideH: 2, strideW: 2, padH: pad, padW: pad, dilationH: 1,
                       dilationW: 1, groups: groups)
    }

    @Test("inference passes take the stride-2 direct kernels and equal PyTorch", arguments: cases.map { $0.0 })
    func matchesPyTorch(_ name: String) throws {
        let (_, pad, groups) = Self.cases.first { $0.0 == name }!
        let fx = try Fixture("ops_direct_stride2")
        let x = try fx.tensor("\(name).in.0"), w = try fx.tensor("\(name).in.1")
        let b = fx.has("\(name).in.2") ? try fx.tensor("\(name).in.2") : nil
        let g = Self.geometry(x, w, pad: pad, groups: groups)
        #expect(g.usesDirectStride2 && Tensor.phaseLayout(g) == nil)
        let y = withNoGrad { x.conv2d(weight: w, bias: b, stride: (2, 2), padding: (pad, pad), groups: groups) }
        expectClose(y, try fx.tensor("\(name).out"), rtol: 1e-4, atol: 1e-4, name)
        // The other paths (phase re-layout or im2col) agree too: the switch is what the benchmarks compare.
        let other = ConvolutionPaths.$directStrideTwo.withValue(false) {
            withNoGrad { x.conv2d(weight: w, bias: b, stride: (2, 2), padding: (pad, pad), groups: groups) }
        }
        expectClose(other, try fx.tensor("\(name).out"), rtol: 1e-4, atol: 1e-4, "\(name), other path")
    }

    /// Geometries the fixtures do not reach, against the other paths (im2col, each checked against
    /// PyTorch by its own fixtures): 1×1 and 2×2 kernels, a 3×5 kernel with unequal padding, maps
    /// smaller than a vector and than the kernel's reach, one output position, 64 channels per group.
    @Test("edge geometries equal the other paths", arguments: [
        ([2, 8, 9, 11], [12, 4, 1, 1], (0, 0)), ([1, 6, 10, 7], [6, 3, 2, 2], (0, 1)), ([2, 12, 13, 21], [9, 4, 3, 5], (1, 2)),
        ([1, 4, 2, 3], [4, 2, 3, 3], (1, 1)), ([1, 4, 3, 3], [6, 2, 3, 3], (0, 0)), ([2, 128, 8, 8], [128, 64, 3, 3], (1, 1)),
    ] as [([Int], [Int], (Int, Int))])
    func edgeGeometries(_ xs: [Int], _ ws: [Int], _ pad: (Int, Int)) {
        let groups = xs[1] / ws[1]
        let x = RandomGenerator.withSeed(51) { Tensor.randn(xs) }
        let w = RandomGenerator.withSeed(52) { Tensor.randn(ws) } * (1 / Float(ws[1] * ws[2] * ws[3]).squareRoot())
        let b = RandomGenerator.withSeed(53) { Tensor.randn([ws[0]]) }
        let g = Conv2dGeometry(batch: xs[0], inChannels: xs[1], height: xs[2], width: xs[3], outChannels: ws[0], kernelH: ws[2],
                               kernelW: ws[3], strideH: 2, strideW: 2, padH: pad.0, padW: pad.1, dilationH: 1, dilationW: 1,
                               groups: groups)
        #expect(g.usesDirectStride2)
        let y = withNoGrad { x.conv2d(weight: w, bias: b, stride: (2, 2), padding: pad, groups: groups) }
        let other = ConvolutionPaths.$directStrideTwo.withValue(false) {
            withNoGrad { x.conv2d(weight: w, bias: b, stride: (2, 2), padding: pad, groups: groups) }
        }
        #expect(y.shape == [xs[0], ws[0], g.outH, g.outW])
        expectClose(y, other, rtol: 1e-4, atol: 1e-5, "x \(xs), w \(ws), padding \(pad)")
    }

    @Test("recorded passes keep their paths and their gradients equal PyTorch's")
    func recordedKeepsItsPath() throws {
        let fx = try Fixture("ops_direct_stride2")
        let x = try fx.tensor("g4_cpg4.in.0").requiringGrad(), w = try fx.tensor("g4_cpg4.in.1").requiringGrad()
        let b = try fx.tensor("g4_cpg4.in.2").requiringGrad()
        let y = x.conv2d(weight: w, bias: b, stride: (2, 2), padding: (1, 1), groups: 4)
        expectClose(y, try fx.tensor("g4_cpg4.out"), rtol: 1e-4, atol: 1e-4, "recorded output")
        y.backward(try fx.tensor("g4_cpg4.gout"))
        expectGradClose(x.grad, try fx.tensor("g4_cpg4.grad.0"), "input gradient")
        expectGradClose(w.grad, try fx.tensor("g4_cpg4.grad.1"), "weight gradient")
        expectGradClose(b.grad, try fx.tensor("g4_cpg4.grad.2"), "bias gradient")
    }

    @Test("an infinity in the input gives the same non-finite outputs as the other path")
    func infiniteInput() throws {
        let fx = try Fixture("ops_direct_stride2")
        let x = try fx.tensor("g4_cpg4.in.0").copy(), w = try fx.tensor("g4_cpg4.in.1")
        x.data[7 * 23 + 10] = .infinity   // image 0, channel 0 (group 0), row 7, column 10
        x.data[16 * 21 * 23 + 5 * 23 + 22] = -.infinity   // image 1, channel 0, row 5, the last column
        let y = withNoGrad { x.conv2d(weight: w, stride: (2, 2), padding: (1, 1), groups: 4) }
        let other = ConvolutionPaths.$directStrideTwo.withValue(false) { withNoGrad { x.conv2d(weight: w, stride: (2, 2), padding: (1, 1), groups: 4) } }
        let finite = y.scalars.map(\.isFinite), otherFinite = other.scalars.map(\.isFinite)
        #expect(finite.contains(false) && finite == otherFinite)
        #expect(zip(y.scalars, other.scalars).allSatisfy { !$0.isFinite || abs($0 - $1) <= 1e-4 * (1 + abs($1)) })
    }
}
