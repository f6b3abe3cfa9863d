import Kernels
import TestSupport
import Testing
@testable import TensorCore

/// Strided 7×7 convolutions and stride-2 grouped 3×3s on the input's phases (Tensor+PhaseLayout.swift)
/// against PyTorch's `F.conv2d` (scripts/fixtures/make_ops.py, topic `phase_layout`).
@Suite struct PhaseLayoutTests {
    static func stride2(_ x: Tensor, _ w: Tensor, _ b: Tensor?) -> Tensor {
        x.conv2d(weight: w, bias: b, stride: (2, 2), padding: (3, 3))
    }
    static func stride3(_ x: Tensor, _ w: Tensor) -> Tensor { x.conv2d(weight: w, stride: (3, 3), padding: (2, 2)) }

    /// The re-layout itself, recorded: the phases of input and weights convolved with stride 1,
    /// its output and the gradients through both copies (their adjoints) against PyTorch's.
    @Test("the phase re-layout's values and gradients equal PyTorch's strided convolution")
    func relayoutRecorded() throws {
        func phased(_ x: Tensor, _ w: Tensor, _ b: Tensor?, stride s: Int, pad: Int) -> Tensor {
            let k = (7 + s - 1) / s, oh = (x.shape[2] + 2 * pad - 7) / s + 1, ow = (x.shape[3] + 2 * pad - 7) / s + 1
            let planes = x.phases(s, pad: (pad, pad), height: oh + k - 1, width: ow + k - 1)!
            return planes.conv2d(weight: w.phases(s, pad: (0, 0), height: k, width: k)!, bias: b)
        }
        // The grouped 3×3 (4 groups): 2×2 kernels on the phases, the groups carried over.
        func phasedGrouped(_ x: Tensor, _ w: Tensor, _ b: Tensor) -> Tensor {
            let oh = (x.shape[2] + 2 - 3) / 2 + 1, ow = (x.shape[3] + 2 - 3) / 2 + 1
            let planes = x.phases(2, pad: (1, 1), height: oh + 1, width: ow + 1)!
            return planes.conv2d(weight: w.phases(2, pad: (0, 0), height: 2, width: 2)!, bias: b, groups: 4)
        }
        try replay("phase_layout", rtol: 1e-4, atol: 1e-4, [
            "stem_stride2": { phased($0[0], $0[1], $0[2], stride: 2, pad: 3) },
            "stride3_pad2": { phased($0[0], $0[1], nil, stride: 3, pad: 2) },
            "grouped3x3_stride2": { phasedGrouped($0[0], $0[1], $0[2]) },
        ])
    }

    /// Inference dispatch: `conv2d` without a recorded gradient takes the re-layout and equals PyTorch.
    @Test("conv2d takes the phase re-layout for inference and matches PyTorch")
    func inferenceDispatch() throws {
        let fx = try Fixture("ops_phase_layout")
        let x2 = try fx.tensor("stem_stride2.in.0"), w2 = try fx.tensor("stem_stride2.in.1"), b2 = try fx.tensor("stem_stride2.in.2")
        let x3 = try fx.tensor("stride3_pad2.in.0"), w3 = try fx.tensor("stride3_pad2.in.1")
        func geometry(_ x: Tensor, _ w: Tensor, stride: Int, pad: Int) -> Conv2dGeometry {
            Conv2dGeometry(batch: x.shape[0], inChannels: x.shape[1], height: x.shape[2], width: x.shape[3], outChannels: w.shape[0],
                           kernelH: 7, kernelW: 7, strideH: stride, strideW: stride, padH: pad, padW: pad,
                           dilationH: 1, dilationW: 1, groups: 1)
        }
        // Stride 2 only with the stride-2 direct kernels off (they take the stem first, DirectStride2Tests).
        ConvolutionPaths.$directStrideTwo.withValue(false) { #expect(Tensor.phaseLayout(geometry(x2, w2, stride: 2, pad: 3)) != nil) }
        #expect(Tensor.phaseLayout(geometry(x2, w2, stride: 2, pad: 3)) == nil && geometry(x2, w2, stride: 2, pad: 3).usesDirectStride2)
        #expect(Tensor.phaseLayout(geometry(x3, w3, stride: 3, pad: 2)) != nil)
        #expect(ConvolutionPaths.$phaseLayout.withValue(false) { Tensor.phaseLayout(geometry(x3, w3, stride: 3, pad: 2)) } == nil)
        // Five input channels at stride 2 (20 phase channels) and stride 1 keep the ordinary paths.
        ConvolutionPaths.$directStrideTwo.withValue(false) {
            #expect(Tensor.phaseLayout(geometry(Tensor.zeros([1, 5, 20, 20]), w2, stride: 2, pad: 3)) == nil)
        }
        #expect(Tensor.phaseLayout(geometry(x2, w2, stride: 1, pad: 3)) == nil)
        // ResNeXt's stride-2 grouped 3×3: 8 channels per group take it (32 on the phases); 32 per group do not.
        let xg = try fx.tensor("grouped3x3_stride2.in.0"), wg = try fx.tensor("grouped3x3_stride2.in.1")
        let bg = try fx.tensor("grouped3x3_stride2.in.2")
        func grouped(_ c: Int, _ groups: Int) -> Conv2dGeometry {
            Conv2dGeometry(batch: 2, inChannels: c, height: 15, width: 17, outChannels: 48, kernelH: 3, kernelW: 3, strideH: 2,
                           strideW: 2, padH: 1, padW: 1, dilationH: 1, dilationW: 1, groups: groups)
        }
        // (Only with the direct stride-2 kernels off: they take the grouped ones first, DirectStride2Tests.)
        ConvolutionPaths.$directStrideTwo.withValue(false) {
            #expect(Tensor.phaseLayout(grouped(32, 4)) != nil && Tensor.phaseLayout(grouped(32, 1)) == nil)
            #expect(Tensor.phaseLayout(grouped(128, 4)) == nil)
        }
        #expect(Tensor.phaseLayout(grouped(32, 4)) == nil && grouped(32, 4).usesDirectStride2)
        ConvolutionPaths.$directStrideTwo.withValue(false) {
            expectClose(withNoGrad { xg.conv2d(weight: wg, bias: bg, stride: (2, 2), padding: (1, 1), groups: 4) },
                        try! fx.tensor("grouped3x3_stride2.out"), rtol: 1e-4, atol: 1e-4, "grouped 3×3 stride 2")
        }
        let out2 = try fx.tensor("stem_stride2.out")
        ConvolutionPaths.$directStrideTwo.withValue(false) {
            expectClose(withNoGrad { Self.stride2(x2, w2, b2) }, out2, rtol: 1e-4, atol: 1e-4, "stride 2")
        }
        expectClose(withNoGrad { Self.stride3(x3, w3) }, try fx.tensor("stride3_pad2.out"), rtol: 1e-4, atol: 1e-4, "stride 3")
    }

    /// An infinity in the input keeps the ordinary path: the zero taps of the re-laid-out kernel
    /// would turn it into NaNs at outputs whose windows do not reach it.
    @Test("an input with an infinity is convolved as PyTorch does, without NaNs from the zero taps")
    func infiniteInput() throws {
        let fx = try Fixture("ops_phase_layout")
        let x = try fx.tensor("stem_stride2.in.0").copy(), w = try fx.tensor("stem_stride2.in.1")
        x.data[5 * 41 + 8] = .infinity   // image 0, channel 0, row 5, column 8
        #expect(x.phases(2, pad: (3, 3), height: 22, width: 24) == nil)
        let y = ConvolutionPaths.$directStrideTwo.withValue(false) { withNoGrad { Self.stride2(x, w, nil) } }
        let reference = ConvolutionPaths.$directStrideTwo.withValue(false) {
            ConvolutionPaths.$phaseLayout.withValue(false) { withNoGrad { Self.stride2(x, w, nil) } }
        }
        #expect(y.scalars.contains(.infinity) || y.scalars.contains(-.infinity))
        #expect(zip(y.scalars, reference.scalars).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) }, "with an infinity")
    }
}
