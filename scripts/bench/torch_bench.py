"""PyTorch side of the engine benchmarks: same names as attnzoo-bench, JSON lines."""
import json
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_timing  # noqa: E402

torch.set_num_threads(int(os.environ.get("AZOO_NUM_THREADS", "2")))
reps = int(sys.argv[1]) if len(sys.argv) > 1 else 10


def median_ms(fn):
    return bench_timing.median_ms(fn, reps)


def emit(name, fn, flops=0.0):
    ms = median_ms(fn)
    print(json.dumps({"name": name, "ms": round(ms, 4), "gflops": round(flops / (ms * 1e6), 2) if flops else 0.0}), flush=True)


torch.manual_seed(0)
for n in (1024, 2048):
    a, b = torch.randn(n, n), torch.randn(n, n)
    with torch.no_grad():
        emit(f"matmul_{n}", lambda: a @ b, 2.0 * n ** 3)
for name, xs, ws, pad, groups in [("conv3x3", (8, 256, 56, 56), (256, 256, 3, 3), 1, 1),
                                  ("conv1x1", (8, 1024, 14, 14), (256, 1024, 1, 1), 0, 1),
                                  ("dwconv3x3", (8, 256, 56, 56), (256, 1, 3, 3), 1, 256),
                                  ("gam_conv7x7_64to16", (8, 64, 32, 32), (16, 64, 7, 7), 3, 1),
                                  ("gam_conv7x7_16to64", (8, 16, 32, 32), (64, 16, 7, 7), 3, 1),
                                  ("resnext_gconv3x3_g32", (2, 512, 14, 14), (512, 16, 3, 3), 1, 32),
                                  ("splat_gconv3x3_g2", (2, 64, 56, 56), (128, 32, 3, 3), 1, 2),
                                  ("sk_conv3x3_32", (8, 32, 32, 32), (32, 32, 3, 3), 1, 1),
                                  ("condconv_gconv3x3_g8", (1, 512, 28, 28), (512, 64, 3, 3), 1, 8)]:
    x, w, bias = torch.randn(xs), torch.randn(ws), torch.randn(ws[0])
    flops = 2.0 * xs[0] * ws[0] * xs[2] * xs[3] * ws[1] * ws[2] * ws[3]
    with torch.no_grad():
        emit(f"{name}_fwd", lambda: F.conv2d(x, w, bias, padding=pad, groups=groups), flops)
    xg, wg, bg = x.clone().requires_grad_(), w.clone().requires_grad_(), bias.clone().requires_grad_()

    def fb():
        xg.grad = wg.grad = bg.grad = None
        y = F.conv2d(xg, wg, bg, padding=pad, groups=groups)
        y.backward(torch.ones_like(y))
    emit(f"{name}_fwd_bwd", fb, 3 * flops)
for name, xs, ws, pad, stride, dil in [("r18_stem7x7s2", (8, 3, 224, 224), (64, 3, 7, 7), 3, 2, 1),
                                       ("r18_conv3x3s2_128", (8, 64, 56, 56), (128, 64, 3, 3), 1, 2, 1),
                                       ("r18_layer4_conv3x3", (8, 512, 7, 7), (512, 512, 3, 3), 1, 1, 1),
                                       ("sk_dil2_conv3x3_128", (8, 128, 56, 56), (128, 128, 3, 3), 2, 1, 2),
                                       ("sk_conv3x3_1024", (8, 1024, 7, 7), (1024, 1024, 3, 3), 1, 1, 1),
                                       ("r50_layer4_conv1x1_512to2048", (8, 512, 7, 7), (2048, 512, 1, 1), 0, 1, 1),
                                       ("r50_layer1_conv1x1_256to64", (8, 256, 56, 56), (64, 256, 1, 1), 0, 1, 1)]:
    x, w = torch.randn(xs), torch.randn(ws)
    o = (xs[2] + 2 * pad - dil * (ws[2] - 1) - 1) // stride + 1
    flops = 2.0 * xs[0] * ws[0] * o * o * ws[1] * ws[2] * ws[3]
    with torch.no_grad():
        emit(f"{name}_fwd", lambda: F.conv2d(x, w, stride=stride, padding=pad, dilation=dil), flops)
    xg, wg = x.clone().requires_grad_(), w.clone().requires_grad_()

    def fb():
        xg.grad = wg.grad = None
        y = F.conv2d(xg, wg, stride=stride, padding=pad, dilation=dil)
        y.backward(torch.ones_like(y))
    emit(f"{name}_fwd_bwd", fb, 3 * flops)
rois, fc6 = torch.randn(1000, 12544), torch.randn(1024, 12544)
with torch.no_grad():
    emit("frcnn_fc6_linear_fwd", lambda: F.linear(rois, fc6), 2.0 * 1000 * 12544 * 1024)
s = torch.randn(50, 512, 49)
t, u = torch.randn(50, 512, 7, 7), torch.randn(50, 512, 1, 1)
with torch.no_grad():
    emit("softmax_50x512x49", lambda: s.softmax(-1))
    emit("sum_axis_50x512x49", lambda: s.sum(-1))
    emit("mul_bcast_50x512x7x7", lambda: t * u)
    emit("adaptive_avg_50x512x7x7", lambda: F.adaptive_avg_pool2d(t, 1))
    emit("sigmoid_50x512x7x7", lambda: t.sigmoid())
