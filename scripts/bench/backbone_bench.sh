#!/usr/bin/env bash
# Backbone rows of `make bench`: ours (attnzoo-bench --filter backbone) and PyTorch's
# (backbone_bench.py) in alternating rounds, fastest median per side, ratio = ours / PyTorch.
# BACKBONE_REPS (default 3) timed runs per row; BACKBONE_FILTER restricts the rows (e.g. resnet50).
exec "$(dirname "$0")/side_by_side.sh" backbone scripts/bench/backbone_bench.py "${BACKBONE_REPS:-3}" "${BACKBONE_FILTER:-}" \
  "backbones at (8,3,224,224)" "torch, timm"
