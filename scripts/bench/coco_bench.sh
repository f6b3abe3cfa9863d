#!/usr/bin/env bash
# COCO evaluation benchmark (issue 6): `attnzoo coco-eval` vs pycocotools vs faster-coco-eval on
# a seeded synthetic set of 5,000 images / 150,000 detections, same run, with ratios and peak RSS.
# Needs a release build (`swift build -c release --product attnzoo`) and the reference venv;
# without the venv it prints one line and exits 0. COCO_BENCH_IMAGES / COCO_BENCH_DETECTIONS /
# COCO_BENCH_REPEATS change the size and repeats.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${ATTNZOO_BIN:-.build/release/attnzoo}
PY=${REF_PY:-$HOME/.cache/attentionzoo-ref-venv/bin/python}
echo "== COCO evaluation (${COCO_BENCH_IMAGES:-5000} images, ${COCO_BENCH_DETECTIONS:-150000} detections; wall s, peak RSS)"
if ! { [ -x "$PY" ] && "$PY" -c "import pycocotools, faster_coco_eval" 2>/dev/null; }; then
  echo "(reference venv with pycocotools and faster_coco_eval not found: COCO benchmark skipped)"
  exit 0
fi
if [ ! -x "$BIN" ]; then
  echo "($BIN not built: COCO benchmark skipped; run swift build -c release --product attnzoo)"
  exit 0
fi
DATA=$(mktemp -d)
trap 'rm -rf "$DATA"' EXIT
"$PY" scripts/bench/make_coco_bench.py "$DATA" --images "${COCO_BENCH_IMAGES:-5000}" \
  --detections "${COCO_BENCH_DETECTIONS:-150000}" > /dev/null
"$PY" scripts/bench/coco_bench.py "$BIN" "$DATA" --repeats "${COCO_BENCH_REPEATS:-3}"
