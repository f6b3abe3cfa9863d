"""Box geometry benchmark: torchvision (2 threads) side by side with `attnzoo iou|nms --repeat`.

Usage: boxes_bench.py ATTNZOO_BINARY [--filter SUBSTRING]
Writes the inputs as .npy into a temporary folder, times torchvision.ops (median of repeats),
runs our CLI with `--repeat` (median of the library call, excluding process start and file I/O),
checks that the outputs agree (IoU max |diff|, NMS keep lists identical) and prints a table.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch
import torchvision.ops as ops

torch.set_num_threads(2)


def median_ms(fn, reps):
    fn()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return float(np.median(times))


def random_boxes(g, n, spread=1000.0, size=100.0):
    xy = torch.rand(n, 2, generator=g) * spread
    wh = torch.rand(n, 2, generator=g) * size + 1
    return torch.cat([xy, xy + wh], 1)


def clustered_boxes(g, n, per_cluster=20):
    """n boxes around n/per_cluster centres in a 2000×2000 field (jittered, 30–120 px sides)."""
    k = max(1, n // per_cluster)
    centres = torch.rand(k, 2, generator=g) * 2000
    which = torch.randint(0, k, (n,), generator=g)
    c = centres[which] + torch.randn(n, 2, generator=g) * 15
    wh = torch.rand(k, 2, generator=g)[which] * 90 + 30 + torch.randn(n, 2, generator=g) * 8
    wh = wh.clamp(min=4)
    boxes = torch.cat([c - wh / 2, c + wh / 2], 1)
    scores = torch.rand(n, generator=g)
    return boxes, scores


def ours(binary, args):
    r = subprocess.run([binary] + args, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"attnzoo {' '.join(args)} failed: {r.stderr.strip()}")
    for line in r.stderr.splitlines():
        if line.startswith("median_ms"):
            return float(line.split()[1])
    sys.exit("no median_ms in attnzoo output")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--filter", default="")
    a = ap.parse_args()
    g = torch.Generator().manual_seed(0)
    rows = []
    with tempfile.TemporaryDirectory() as d:
        def path(name):
            return os.path.join(d, name)

        ious = [("box_iou 1000x1000", "iou", ops.box_iou, 1000, 30), ("box_iou 5000x5000", "iou", ops.box_iou, 5000, 7),
                ("giou 1000x1000", "giou", ops.generalized_box_iou, 1000, 20),
                ("diou 1000x1000", "diou", ops.distance_box_iou, 1000, 20),
                ("ciou 1000x1000", "ciou", ops.complete_box_iou, 1000, 20)]
        for name, kind, fn, n, reps in ious:
            if a.filter not in name:
                continue
            b1, b2 = random_boxes(g, n), random_boxes(g, n)
            np.save(path("b1.npy"), b1.numpy()); np.save(path("b2.npy"), b2.numpy())
            ref = fn(b1, b2)
            t_ref = median_ms(lambda: fn(b1, b2), reps)
            t_our = ours(a.binary, ["iou", "--kind", kind, "--boxes1", path("b1.npy"), "--boxes2", path("b2.npy"),
                                    "--output", path("out.npy"), "--repeat", str(reps)])
            diff = float(np.abs(np.load(path("out.npy")) - ref.numpy()).max())
            rows.append((name, t_our, t_ref, f"max|diff| {diff:.1e}"))

        nmss = [("nms 1k clustered", 1000, None, 50), ("nms 10k clustered", 10000, None, 10),
                ("nms 50k clustered", 50000, None, 3), ("batched_nms 10k, 80 classes", 10000, 80, 10)]
        for name, n, classes, reps in nmss:
            if a.filter not in name:
                continue
            boxes, scores = clustered_boxes(g, n)
            np.save(path("boxes.npy"), boxes.numpy()); np.save(path("scores.npy"), scores.numpy())
            args = ["nms", "--boxes", path("boxes.npy"), "--scores", path("scores.npy"), "--iou-threshold", "0.5",
                    "--output", path("keep.npy"), "--repeat", str(reps)]
            if classes:
                idxs = torch.randint(0, classes, (n,), generator=g)
                np.save(path("classes.npy"), idxs.numpy())
                args += ["--classes", path("classes.npy")]
                fn = lambda: ops.batched_nms(boxes, scores, idxs, 0.5)
            else:
                fn = lambda: ops.nms(boxes, scores, 0.5)
            keep = fn()
            t_ref = median_ms(fn, reps)
            t_our = ours(a.binary, args)
            same = np.array_equal(np.load(path("keep.npy")), keep.numpy())
            rows.append((name, t_our, t_ref, f"keep {len(keep)} {'identical' if same else 'DIFFERENT'}"))

    print(f"{'benchmark':32} {'ours ms':>10} {'torchvision ms':>15} {'ratio':>7}  check")
    for name, t_our, t_ref, check in rows:
        print(f"{name:32} {t_our:10.3f} {t_ref:15.3f} {t_our / t_ref:7.2f}  {check}")


if __name__ == "__main__":
    main()
