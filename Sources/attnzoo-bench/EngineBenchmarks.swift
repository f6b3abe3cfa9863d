import CBLAS
import Foundation
import Kernels
import TensorCore

/// The engine benchmarks of issue 2, with the same names as scripts/bench/torch_bench.py.
func engineBenchmarks() -> [Benchmark] {
    var list: [Benchmark] = [], rawBLAS: [Benchmark] = []
    func rand(_ s: [Int], _ seed: UInt64) -> Tensor { RandomGenerator.withSeed(seed) { Tensor.randn(s) } }

    for n in [1024, 2048] {
        let a = rand([n, n], 1), b = rand([n, n], 2)
        let c = Tensor.zeros([n, n])
        let flops = 2 * Double(n) * Double(n) * Double(n)
        list.append(Benchmark(name: "matmul_\(n)", flops: flops) { _ = withNoGrad { a.matmul(b) } })
        // OpenBLAS's own threading (2 threads) on the same product, for the ≥ 85% target. The engine
        // keeps OpenBLAS single-threaded and splits products itself; these run last because the
        // OpenBLAS worker keeps spinning after each call.
        rawBLAS.append(Benchmark(name: "openblas_sgemm_\(n)", flops: flops) {
            openblas_set_num_threads(Int32(Threading.workerCount))
            defer { openblas_set_num_threads(1) }
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(n), Int32(n), 1, a.data, Int32(n), b.data, Int32(n), 0, c.data, Int32(n))
        })
    }
    let convs: [(String, [Int], [Int], (Int, Int), Int)] = [
        ("conv3x3", [8, 256, 56, 56], [256, 256, 3, 3], (1, 1), 1),
        ("conv1x1", [8, 1024, 14, 14], [256, 1024, 1, 1], (0, 0), 1),
        ("dwconv3x3", [8, 256, 56, 56], [256, 1, 3, 3], (1, 1), 256),
        // Shapes inside zoo modules: GAM's 7×7 convs, ResNeXt's grouped 3×3, SplAt's radix-2 3×3, SK's 3×3 g32.
        ("gam_conv7x7_64to16", [8, 64, 32, 32], [16, 64, 7, 7], (3, 3), 1),
        ("gam_conv7x7_16to64", [8, 16, 32, 32], [64, 16, 7, 7], (3, 3), 1),
        ("resnext_gconv3x3_g32", [2, 512, 14, 14], [512, 16, 3, 3], (1, 1), 32),
        ("splat_gconv3x3_g2", [2, 64, 56, 56], [128, 32, 3, 3], (1, 1), 2),
        ("sk_conv3x3_32", [8, 32, 32, 32], [32, 32, 3, 3], (1, 1), 1),
        // CondConv / dynamic convolution: 8 per-example 64→64 3×3 kernels as one conv with groups = N.
        ("condconv_gconv3x3_g8", [1, 512, 28, 28], [512, 64, 3, 3], (1, 1), 8),
    ]
    for (name, xs, ws, pad, groups) in convs {
        let x = rand(xs, 3), w = rand(ws, 4), bias = rand([ws[0]], 5)
        let outHW = Double(xs[2] * xs[3])
        let flops = 2 * Double(xs[0]) * Double(ws[0]) * outHW * Double(ws[1] * ws[2] * ws[3])
        list.append(Benchmark(name: "\(name)_fwd", flops: flops) {
            _ = withNoGrad { x.conv2d(weight: w, bias: bias, padding: pad, groups: groups) }
        })
        let xg = x.requiringGrad(), wg = w.requiringGrad(), bg = bias.requiringGrad()
        list.append(Benchmark(name: "\(name)_fwd_bwd", flops: 3 * flops) {
            let y = xg.conv2d(weight: wg, bias: bg, padding: pad, groups: groups)
            y.backward(Tensor.ones(like: y))
            xg.zeroGrad(); wg.zeroGrad(); bg.zeroGrad()
        })
        if name == "conv1x1" {
            // OpenBLAS image by image (each product split over the workers) instead of ColumnGEMM, for comparison.
            list.append(Benchmark(name: "conv1x1_fwd_openblas", flops: flops) {
                ConvolutionPaths.$pointwiseColumnGEMM.withValue(false) {
                    _ = withNoGrad { x.conv2d(weight: w, bias: bias, padding: pad, groups: groups) }
                }
            })
            list.append(Benchmark(name: "conv1x1_fwd_bwd_openblas", flops: 3 * flops) {
                ConvolutionPaths.$pointwiseColumnGEMM.withValue(false) {
                    let y = xg.conv2d(weight: wg, bias: bg, padding: pad, groups: groups)
                    y.backward(Tensor.ones(like: y))
                    xg.zeroGrad(); wg.zeroGrad(); bg.zeroGrad()
                }
            })
        }
        if name.hasPrefix("gam") || name.hasPrefix("resnext") || name.hasPrefix("splat") || name.hasPrefix("condconv") {
            // The same convolution through im2col + GEMM (Winograd off too), to show what the direct kernels gain.
            list.append(Benchmark(name: "\(name)_fwd_im2col", flops: flops) {
                ConvolutionPaths.$winograd.withValue(false) { ConvolutionPaths.$directStrideOne.withValue(false) {
                    _ = withNoGrad { x.conv2d(weight: w, bias: bias, padding: pad, groups: groups) }
                } }
            })
            list.append(Benchmark(name: "\(name)_fwd_bwd_im2col", flops: 3 * flops) {
                ConvolutionPaths.$winograd.withValue(false) { ConvolutionPaths.$directStrideOne.withValue(false) {
                    let y = xg.conv2d(weight: wg, bias: bg, padding: pad, groups: groups)
                    y.backward(Tensor.ones(like: y))
                    xg.zeroGrad(); wg.zeroGrad(); bg.zeroGrad()
                } }
            })
        }
        if name == "conv3x3" || name.hasPrefix("splat") || name.hasPrefix("condconv") || name.hasPrefix("sk_") {
            // Winograd F(2×2, 3×3) off: the direct kernels (≤ 64 channels per group) or im2col + GEMM.
            list.append(Benchmark(name: "\(name)_fwd_nowinograd", flops: flops) {
                ConvolutionPaths.$winograd.withValue(false) {
                    _ = withNoGrad { x.conv2d(weight: w, bias: bias, padding: pad, groups: groups) }
                }
            })
            list.append(Benchmark(name: "\(name)_fwd_bwd_nowinograd", flops: 3 * flops) {
                ConvolutionPaths.$winograd.withValue(false) {
                    let y = xg.conv2d(weight: wg, bias: bg, padding: pad, groups: groups)
                    y.backward(Tensor.ones(like: y))
                    xg.zeroGrad(); wg.zeroGrad(); bg.zeroGrad()
                }
            })
        }
    }
    // ResNet-18's convolutions that Winograd does not take (batch 8 at 224²): the stem, a stride-2
    // 3×3, layer4's 3×3 (7×7 maps).
    // SKNet-50's dense 3×3s: the dilation-2 branch (no Winograd) and layer4's 1024 channels.
    let resnetConvs: [(String, [Int], [Int], Int, Int, Int)] = [
        ("r18_stem7x7s2", [8, 3, 224, 224], [64, 3, 7, 7], 3, 2, 1),
        ("r18_conv3x3s2_128", [8, 64, 56, 56], [128, 64, 3, 3], 1, 2, 1),
        ("r18_layer4_conv3x3", [8, 512, 7, 7], [512, 512, 3, 3], 1, 1, 1),
        ("sk_dil2_conv3x3_128", [8, 128, 56, 56], [128, 128, 3, 3], 2, 1, 2),
        ("sk_conv3x3_1024", [8, 1024, 7, 7], [1024, 1024, 3, 3], 1, 1, 1),
        ("sk_dil2_conv3x3_1024", [8, 1024, 7, 7], [1024, 1024, 3, 3], 2, 1, 2),
        ("sk_conv3x3_512", [8, 512, 14, 14], [512, 512, 3, 3], 1, 1, 1),
        ("r50_layer3_conv3x3", [8, 256, 14, 14], [256, 256, 3, 3], 1, 1, 1),
        ("conv3x3_256_7x7", [8, 256, 7, 7], [256, 256, 3, 3], 1, 1, 1),
        ("conv3x3_256to512_14x14", [8, 256, 14, 14], [512, 256, 3, 3], 1, 1, 1),
        ("sk_dil2_conv3x3_512", [8, 512, 14, 14], [512, 512, 3, 3], 2, 1, 2),
        ("sk_conv3x3s2_256", [8, 256, 56, 56], [256, 256, 3, 3], 1, 2, 1),
        ("sk_conv3x3s2_512", [8, 512, 28, 28], [512, 512, 3, 3], 1, 2, 1),
        ("sk_conv3x3s2_1024", [8, 1024, 14, 14], [1024, 1024, 3, 3], 1, 2, 1),
        ("r50_layer4_conv1x1_512to2048", [8, 512, 7, 7], [2048, 512, 1, 1], 0, 1, 1),
        ("r50_layer1_conv1x1_256to64", [8, 256, 56, 56], [64, 256, 1, 1], 0, 1, 1),
    ]
    for (name, xs, ws, pad, stride, dil) in resnetConvs {
        let x = rand(xs, 3), w = rand(ws, 4)
        let o = (xs[2] + 2 * pad - dil * (ws[2] - 1) - 1) / stride + 1
        let flops = 2 * Double(xs[0] * ws[0] * o * o * ws[1] * ws[2] * ws[3])
        list.append(Benchmark(name: "\(name)_fwd", flops: flops) {
            _ = withNoGrad { x.conv2d(weight: w, bias: nil, stride: (stride, stride), padding: (pad, pad), dilation: (dil, dil)) }
        })
        let xg = x.requiringGrad(), wg = w.requiringGrad()
        list.append(Benchmark(name: "\(name)_fwd_bwd", flops: 3 * flops) {
            let y = xg.conv2d(weight: wg, bias: nil, stride: (stride, stride), padding: (pad, pad), dilation: (dil, dil))
            y.backward(Tensor.ones(like: y))
            xg.zeroGrad(); wg.zeroGrad()
        })
    }
    // Faster R-CNN's fc6 at torchvision's defaults: 1000 RoIs × (256·7·7) → 1024.
    let rois = rand([1000, 12544], 9), fc6 = rand([1024, 12544], 10)
    list.append(Benchmark(name: "frcnn_fc6_linear_fwd", flops: 2 * 1000 * 12544 * 1024) { _ = withNoGrad { rois.linear(weight: fc6) } })
    let s = rand([50, 512, 49], 6)
    list.append(Benchmark(name: "softmax_50x512x49", flops: 0) { _ = withNoGrad { s.softmax(axis: -1) } })
    list.append(Benchmark(name: "sum_axis_50x512x49", flops: 0) { _ = withNoGrad { s.sum(axis: -1) } })
    let t = rand([50, 512, 7, 7], 7), u = rand([50, 512, 1, 1], 8)
    list.append(Benchmark(name: "mul_bcast_50x512x7x7", flops: 0) { _ = withNoGrad { t * u } })
    list.append(Benchmark(name: "adaptive_avg_50x512x7x7", flops: 0) { _ = withNoGrad { t.adaptiveAvgPool2d(1) } })
    list.append(Benchmark(name: "sigmoid_50x512x7x7", flops: 0) { _ = withNoGrad { t.sigmoid() } })
    return list + rawBLAS
}
