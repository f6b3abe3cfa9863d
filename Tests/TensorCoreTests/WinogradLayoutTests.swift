@testable import Kernels
import TestSupport
import Testing
@testable import TensorCore

/// Convolutions re-laid out onto Winograd (Tensor+WinogradLayouts.swift) against PyTorch's
/// `F.conv2d` (scripts/fixtures/make_ops.py, topic `winograd_layouts`): values, input, weight and
/// bias gradients. The bound is F(2×2, 3×3)'s float32 error on sums of ~300 terms of size ~0.1.
@Test("canvases and dilated sub-grids match PyTorch's conv2d (values and gradients)")
func winogradLayoutParity() throws {
    try replay("winograd_layouts", rtol: 1e-4, atol: 1e-4, [
        "canvas_7x7": { $0[0].conv2d(weight: $0[1], bias: $0[2], padding: (1, 1)) },
        "dilated_subgrids": { $0[0].conv2d(weight: $0[1], padding: (2, 2), dilation: (2, 2)) },
        "dilated_stride2": { $0[0].conv2d(weight: $0[1], bias: $0[2], stride: (2, 2), padding: (2, 2), dilation: (2, 2)) },
    ])
}

/// The fixture's cases do take the re-layouts (on this project's 2-worker machines; with other
/// worker counts a batch of 8 may make other canvases) and reach Winograd through them.
@Test("the fixture's convolutions take the re-layouts, in training and inference")
func winogradLayoutTaken() {
    func geometry(_ n: Int, _ h: Int, _ w: Int, stride: Int = 1, pad: Int = 1, dilation: Int = 1, out: Int = 32) -> Conv2dGeometry {
        Conv2dGeometry(batch: n, inChannels: 32, height: h, width: w, outChannels: out, kernelH: 3, kernelW: 3,
                       strideH: stride, strideW: stride, padH: pad, padW: pad, dilationH: dilation, dilationW: dilation, groups: 1)
    }
    let canvas = geometry(8, 7, 7), subGrids = geometry(2, 17, 15, pad: 2, dilation: 2, out: 40)
    let strided = geometry(2, 29, 29, stride: 2, pad: 2, dilation: 2)
    for inference in [false, true] {
        #expect(!canvas.usesWinograd(inference: inference))
        if Threading.workerCount == 2 {
            #expect(Tensor.winogradLayout(canvas, inference: inference) == .canvas(imagesPerCanvas: 4))
            #expect(Tensor.canvasImages(geometry(8, 9, 8, out: 40), inference: inference) == 4)
        }
        guard case .subGrids(let sub)? = Tensor.winogradLayout(subGrids, inference: inference) else {
            Issue.record("dilation 2, stride 1: no sub-grids"); continue
        }
        #expect(sub.batch == 8 && sub.height == 9 && sub.width == 8 && sub.dilationH == 1 && sub.padH == 1)
        guard case .subGrids(let one)? = Tensor.winogradLayout(strided, inference: inference) else {
            Issue.record("dilation 2, stride 2: no sub-grid"); continue
        }
        #expect(one.batch == 2 && one.height == 15 && one.width == 15 && one.strideH == 1 && one.usesWinograd(inference: inference))
    }
    // 28×28 maps take F(2×2) alone and F(4×4) on canvases: re-laid out for inference only.
    let layer2 = Conv2dGeometry(batch: 8, inChannels: 128, height: 28, width: 28, outChannels: 128, kernelH: 3, kernelW: 3,
                                strideH: 1, strideW: 1, padH: 1, padW: 1, dilationH: 1, dilationW: 1, groups: 1)
    #expect(layer2.usesWinograd(inference: true) && !layer2.takesWinograd43)
    if Threading.workerCount == 2 { #expect(Tensor.winogradLayout(layer2, inference: true) == .canvas(imagesPerCanvas: 4)) }
    #expect(Tensor.winogradLayout(layer2, inference: false) == nil)
    // Wide channels on small maps: inference runs them whole on the batched F(4×4) path (no canvas);
    // their dilation-2 form as sub-grids onto it (SKNet-50's layer4: 1024 channels, 7×7 maps), and onto
    // the batched F(2×2) when recording.
    let wide = Conv2dGeometry(batch: 8, inChannels: 1024, height: 7, width: 7, outChannels: 1024, kernelH: 3, kernelW: 3,
                              strideH: 1, strideW: 1, padH: 1, padW: 1, dilationH: 1, dilationW: 1, groups: 1)
    var wideDilated = wide; (wideDilated.padH, wideDilated.padW, wideDilated.dilationH, wideDilated.dilationW) = (2, 2, 2, 2)
    if WinogradKernel.available {
        #expect(wide.usesWinogradBatched && Tensor.winogradLayout(wide, inference: true) == nil)
        guard case .subGrids(let sub)? = Tensor.winogradLayout(wideDilated, inference: true) else {
            Issue.record("wide dilation 2: no sub-grids"); return
        }
        #expect(sub.batch == 32 && sub.height == 4 && sub.usesWinogradBatched && sub.usesWinogradBatchedTraining)
        #expect(Tensor.winogradLayout(wideDilated, inference: false) == .subGrids(sub: sub))   // F(2×2) when recording
    }
    // Off switch, and a batch of two (one image per worker) is left alone.
    #expect(ConvolutionPaths.$winogradLayouts.withValue(false) { Tensor.winogradLayout(canvas, inference: false) } == nil)
    #expect(Tensor.winogradLayout(geometry(2, 7, 7), inference: false) == nil)
}
