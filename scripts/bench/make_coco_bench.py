"""Synthetic COCO evaluation set for `make bench` (issue 6): by default 5,000 images, 80
categories, ~7.3 ground-truth boxes per image (COCO val2017's density, 3 % crowd) and 150,000
detections (jittered copies of the ground truth with some class swaps, plus background boxes),
seeded. Usage: make_coco_bench.py OUT_DIR [--images N] [--detections N] [--seed S]
Writes OUT_DIR/gt.json and OUT_DIR/dt.json.
"""
import argparse
import json
import os

import numpy as np


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--images", type=int, default=5000)
    ap.add_argument("--detections", type=int, default=150000)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    cat_ids = [i for i in range(1, 91) if i not in (12, 26, 29, 30, 45, 66, 68, 69, 71, 83)]
    images = [{"id": 100000 + 7 * i, "width": 640, "height": 480, "file_name": f"{i:012d}.jpg"} for i in range(a.images)]
    n_gt = rng.poisson(7.3, a.images)
    anns = []
    for img, n in zip(images, n_gt):
        for _ in range(n):
            side = float(np.exp(rng.uniform(np.log(6), np.log(400))))
            w = min(630.0, side * rng.uniform(0.5, 1.5))
            h = min(470.0, side * rng.uniform(0.5, 1.5))
            x, y = rng.uniform(0, 640 - w), rng.uniform(0, 480 - h)
            bbox = [round(x, 2), round(y, 2), round(w, 2), round(h, 2)]
            anns.append({"id": len(anns) + 1, "image_id": img["id"], "category_id": int(rng.choice(cat_ids)),
                         "bbox": bbox, "area": round(w * h * rng.uniform(0.55, 0.9), 2),
                         "iscrowd": int(rng.random() < 0.03), "segmentation": [[x, y, x + w, y, x + w, y + h]]})
    dets = []
    n_true = int(a.detections * 0.6)
    picks = rng.integers(0, len(anns), n_true)
    for j in picks:
        g = anns[j]
        x, y, w, h = g["bbox"]
        s = 0.12 * rng.standard_normal(4)
        cat = g["category_id"] if rng.random() < 0.9 else int(rng.choice(cat_ids))
        dets.append({"image_id": g["image_id"], "category_id": cat,
                     "bbox": [round(x + s[0] * w, 2), round(y + s[1] * h, 2), round(max(1.0, w * (1 + s[2])), 2),
                              round(max(1.0, h * (1 + s[3])), 2)],
                     "score": round(float(rng.beta(4, 2)), 5)})
    for _ in range(a.detections - n_true):
        side = float(np.exp(rng.uniform(np.log(6), np.log(300))))
        w, h = side * rng.uniform(0.5, 1.5), side * rng.uniform(0.5, 1.5)
        dets.append({"image_id": images[int(rng.integers(a.images))]["id"], "category_id": int(rng.choice(cat_ids)),
                     "bbox": [round(rng.uniform(0, 600), 2), round(rng.uniform(0, 440), 2), round(w, 2), round(h, 2)],
                     "score": round(float(rng.beta(2, 4)), 5)})
    order = rng.permutation(len(dets))
    dets = [dets[i] for i in order]
    cats = [{"id": c, "name": f"class{c}", "supercategory": "thing"} for c in cat_ids]
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "gt.json"), "w") as f:
        json.dump({"info": {"description": "attnzoo synthetic bench"}, "images": images, "annotations": anns,
                   "categories": cats}, f)
    with open(os.path.join(a.out, "dt.json"), "w") as f:
        json.dump(dets, f)
    print(f"{len(images)} images, {len(anns)} annotations, {len(dets)} detections")


if __name__ == "__main__":
    main()
