"""PyTorch side of the backbone rows of `make bench` (same names as attnzoo-bench's
`backbone_*`): torchvision / timm / the seed's networks at (8, 3, 224, 224), eval forward and train
forward+backward of output.sum(), plain and with the seed-002 CBAMBlock after each block's last BN
(a forward hook on bn3 / bn2 / conv3, the slot's `after_conv3`). JSON lines."""
import json
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../fixtures"))
import backbone_refs as R  # noqa: E402
import zoo_seed002 as z2  # noqa: E402
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_timing  # noqa: E402

torch.set_num_threads(int(os.environ.get("AZOO_NUM_THREADS", "2")))
reps = int(sys.argv[1]) if len(sys.argv) > 1 else 3
only = sys.argv[2] if len(sys.argv) > 2 else ""


def median_ms(fn):
    return bench_timing.median_ms(fn, reps)


def make(name):
    import timm
    if name == "se_resnet50":
        return R.se_resnet50()
    if name == "sknet50":
        return R.SKNet50()
    if name in ("resnest50d", "seresnet50"):
        return timm.create_model(name)
    return R.torchvision_model(name)


def add_cbam(model):
    """CBAMBlock(C, 16, 7) on the output of every block's last BN (before the residual add)."""
    for block in [m for n, m in model.named_modules() if n.count(".") == 1 and n.startswith("layer")]:
        last = getattr(block, "bn3", None) or getattr(block, "bn2", None) or block.conv3
        c = last.num_features if hasattr(last, "num_features") else last[1].num_features
        cbam = z2.CBAMBlock(channel=c, reduction=16, kernel_size=7)
        block.add_module("after_conv3", cbam)
        last.register_forward_hook(lambda m, i, o, cbam=cbam: cbam(o))
    return model


x = torch.randn(8, 3, 224, 224)
for name in ["resnet50", "resnet18", "resnext50_32x4d", "se_resnet50", "seresnet50", "resnest50d", "sknet50"]:
    for cbam in (False, True):
        tag = f"backbone_{name}{'_cbam' if cbam else ''}"
        if only and only not in tag:
            continue
        m = make(name)
        if cbam:
            m = add_cbam(m)
        m.eval()
        with torch.no_grad():
            ms = median_ms(lambda: m(x))
        print(json.dumps({"name": tag + "_fwd", "ms": round(ms, 3), "gflops": 0.0}), flush=True)
        m.train()

        def step():
            m.zero_grad(set_to_none=False)
            m(x).sum().backward()
        print(json.dumps({"name": tag + "_fwdbwd", "ms": round(median_ms(step), 3), "gflops": 0.0}), flush=True)
