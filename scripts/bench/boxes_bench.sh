#!/usr/bin/env bash
# Box geometry benchmark: `attnzoo iou|nms --repeat` beside torchvision.ops (2 threads).
# Needs a release build (`swift build -c release --product attnzoo`) and the reference venv.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=.build/release/attnzoo
PY=${REF_PY:-$HOME/.cache/attentionzoo-ref-venv/bin/python}
echo "== box geometry (median ms; ratio = ours / torchvision, 2 threads)"
if [ -x "$PY" ] && "$PY" -c "import torchvision" 2>/dev/null; then
  "$PY" scripts/bench/boxes_bench.py "$BIN" ${BOXES_FILTER:+--filter "$BOXES_FILTER"}
else
  echo "(reference venv not found: torchvision column skipped)"
fi
