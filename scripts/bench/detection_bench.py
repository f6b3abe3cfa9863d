"""torchvision side of the RoIAlign rows of attnzoo-bench (DetectionBenchmarks.swift): same
names, shapes and boxes; JSON lines. Usage: detection_bench.py [REPS]."""
import json
import os
import statistics
import sys
import time
from collections import OrderedDict

import torch
import torchvision.ops as ops
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_timing  # noqa: E402

torch.set_num_threads(int(os.environ.get("AZOO_NUM_THREADS", "2")))
reps = int(sys.argv[1]) if len(sys.argv) > 1 else 10


def median_ms(fn):
    return bench_timing.median_ms(fn, reps)


def emit(name, fn):
    print(json.dumps({"name": name, "ms": round(median_ms(fn), 4), "gflops": 0.0}), flush=True)


def boxes(count, max_side):
    out = []
    for img in range(2):
        v = []
        for j in range(count // 2):
            i = 2 * j + img
            x1, y1 = float(i * 37 % 1000), float(i * 53 % 700)
            w, h = float(16 + i * 29 % (max_side - 16)), float(16 + i * 41 % (max_side - 16))
            v.append([x1, y1, x1 + w, y1 + h])
        out.append(torch.tensor(v))
    return out


torch.manual_seed(21)
single = torch.randn(2, 256, 50, 68)
single_boxes = boxes(1000, 300)
with torch.no_grad():
    emit("roi_align_2x256x50x68_1000", lambda: ops.roi_align(single, single_boxes, (7, 7), 1.0 / 16, 2))
single_grad = single.clone().requires_grad_()


def single_fb():
    single_grad.grad = None
    y = ops.roi_align(single_grad, single_boxes, (7, 7), 1.0 / 16, 2)
    y.backward(torch.ones_like(y))


emit("roi_align_2x256x50x68_1000_fwd_bwd", single_fb)
pyramid = OrderedDict((str(l), torch.randn(2, 256, h, w)) for l, (h, w) in enumerate([(200, 272), (100, 136), (50, 68), (25, 34)]))
fpn_boxes = boxes(1000, 520)
pooler = ops.MultiScaleRoIAlign(["0", "1", "2", "3"], 7, 2)
shapes = [(800, 1088), (800, 1088)]
with torch.no_grad():
    emit("msroialign_fpn4_1000", lambda: pooler(pyramid, fpn_boxes, shapes))
pyramid_grad = OrderedDict((k, v.clone().requires_grad_()) for k, v in pyramid.items())


def fpn_fb():
    for v in pyramid_grad.values():
        v.grad = None
    y = pooler(pyramid_grad, fpn_boxes, shapes)
    y.backward(torch.ones_like(y))


emit("msroialign_fpn4_1000_fwd_bwd", fpn_fb)
