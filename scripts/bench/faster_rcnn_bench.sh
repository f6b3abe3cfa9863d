#!/usr/bin/env bash
# Faster R-CNN rows of `make bench`: ours (attnzoo-bench --filter frcnn) and torchvision's
# (faster_rcnn_bench.py) in alternating rounds, fastest median per side, ratio = ours / torchvision.
# FRCNN_REPS (default 3) timed runs per row; FRCNN_FILTER restricts the rows (e.g. r18).
exec "$(dirname "$0")/side_by_side.sh" frcnn scripts/bench/faster_rcnn_bench.py "${FRCNN_REPS:-3}" "${FRCNN_FILTER:-}" \
  "Faster R-CNN (ms per call: one image for _eval, one batch for _train_bN)" "torch, torchvision"
