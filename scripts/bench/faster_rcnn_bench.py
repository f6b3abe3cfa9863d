"""torchvision side of the Faster R-CNN rows of attnzoo-bench (FasterRCNNBenchmarks.swift): same
names, configurations (FasterRCNN on resnet_fpn with FrozenBatchNorm2d, 3 trainable backbone layers,
num_classes 91, min_size = image side, torchvision's initialisation), images and targets; JSON lines.
Usage: faster_rcnn_bench.py [REPS] [FILTER]."""
import json
import os
import statistics
import sys
import time
from collections import OrderedDict

import torch
import torchvision
from torchvision.models.detection import FasterRCNN
from torchvision.models.detection.backbone_utils import _resnet_fpn_extractor
from torchvision.ops.misc import FrozenBatchNorm2d
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_timing  # noqa: E402

torch.set_num_threads(int(os.environ.get("AZOO_NUM_THREADS", "2")))
reps = int(sys.argv[1]) if len(sys.argv) > 1 else 3
only = sys.argv[2] if len(sys.argv) > 2 else ""


def median_ms(fn):
    return bench_timing.median_ms(fn, reps, min_total_ms=0)


def emit(name, fn):
    if only in name:
        print(json.dumps({"name": name, "ms": round(median_ms(fn), 4), "gflops": 0.0}), flush=True)


def image(side, index, width=None):
    c, y, x = torch.meshgrid(torch.arange(3), torch.arange(side), torch.arange(width or side), indexing="ij")
    return ((7 * x + 13 * y + 29 * c + 31 * index) % 256).float() / 255


def targets(side, count):
    s = float(side)
    return [{"boxes": torch.tensor([[0.1 * s, 0.1 * s, 0.5 * s, 0.6 * s], [0.4 * s, 0.3 * s, 0.9 * s, 0.8 * s],
                                    [0.2 * s, 0.5 * s, 0.45 * s, 0.95 * s]]),
             "labels": torch.tensor([1 + i % 90, 3, 17])} for i in range(count)]


def model(backbone, side):
    torch.manual_seed(16)
    body = getattr(torchvision.models, backbone)(weights=None, norm_layer=FrozenBatchNorm2d)
    return FasterRCNN(_resnet_fpn_extractor(body, 3), num_classes=91, min_size=side)


torch.manual_seed(5)
pyramid = OrderedDict((str(i), torch.randn(1, c, s, s)) for i, (c, s) in enumerate([(256, 128), (512, 64), (1024, 32), (2048, 16)]))
fpn_model = model("resnet50", 512).eval()
with torch.no_grad():
    emit("frcnn_r50_fpn_512_fpn_rpnhead_eval", lambda: fpn_model.rpn.head(list(fpn_model.backbone.fpn(pyramid).values())))

for backbone, short, side, batch in [("resnet50", "r50", 512, 2), ("resnet18", "r18", 256, 8)]:
    m = model(backbone, side)
    m.eval()
    with torch.no_grad():
        emit(f"frcnn_{short}_fpn_{side}_eval", lambda: m([image(side, 0)]))
    m.train()
    imgs, tg = [image(side, i) for i in range(batch)], targets(side, batch)

    def step():
        losses = m(imgs, tg)
        sum(losses.values()).backward()
        m.zero_grad()
    emit(f"frcnn_{short}_fpn_{side}_train_b{batch}", step)

# seed 002's scale: an 800×1067 image (min_size 800, max_size 1333), inference and a batch-1 step.
if any(only in n for n in ("frcnn_r50_fpn_800x1067_eval", "frcnn_r50_fpn_800x1067_train_b1")):
    m = model("resnet50", 800)
    m.eval()
    with torch.no_grad():
        emit("frcnn_r50_fpn_800x1067_eval", lambda: m([image(800, 0, 1067)]))
    m.train()
    big, big_t = [image(800, 0, 1067)], targets(800, 1)

    def big_step():
        losses = m(big, big_t)
        sum(losses.values()).backward()
        m.zero_grad()
    emit("frcnn_r50_fpn_800x1067_train_b1", big_step)
