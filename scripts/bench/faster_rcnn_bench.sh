#!/usr/bin/env bash
# Faster R-CNN rows of `make bench`: ours (attnzoo-bench --filter frcnn) and torchvision's
# (faster_rcnn_bench.py) in alternating rounds, fastest median per side, ratio = ours / PyTorch.
# FRCNN_REPS (default 3) timed runs per row; FRCNN_FILTER restricts the rows (e.g. r18).
set -euo pipefail
cd "$(dirname "$0")/../.."
REPS=${FRCNN_REPS:-3}
ROUNDS=${BENCH_ROUNDS:-3}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
PY=${REF_PY:-$HOME/.cache/attentionzoo-ref-venv/bin/python}
HAVE_TORCH=0
if [ -x "$PY" ] && "$PY" -c "import torch, torchvision" 2>/dev/null; then HAVE_TORCH=1; fi
: > "$OUT/ours.jsonl"; : > "$OUT/torch.jsonl"
for _ in $(seq "$ROUNDS"); do
  .build/release/attnzoo-bench --filter "frcnn_${FRCNN_FILTER:-}" --repetitions "$REPS" >> "$OUT/ours.jsonl"
  if [ "$HAVE_TORCH" = 1 ]; then "$PY" scripts/bench/faster_rcnn_bench.py "$REPS" "${FRCNN_FILTER:-}" >> "$OUT/torch.jsonl"; fi
done
python3 - "$OUT/ours.jsonl" "$OUT/torch.jsonl" <<'PYEOF'
import json, sys
def fastest(path):
    best = {}
    for d in (json.loads(l) for l in open(path) if l.strip()):
        if d["name"] not in best or d["ms"] < best[d["name"]]["ms"]:
            best[d["name"]] = d
    return best
ours, torch = fastest(sys.argv[1]), fastest(sys.argv[2])
print("== Faster R-CNN (ms per call: one image for _eval, one batch for _train_bN) (median ms, fastest of the rounds; ratio = ours / PyTorch, 2 threads)")
print(f"{'benchmark':36}{'ours ms':>10}{'torch ms':>10}{'ratio':>8}")
for name, d in ours.items():
    t = torch.get(name)
    print(f"{name:36}{d['ms']:10.1f}{(f'{t[chr(109)+chr(115)]:.1f}' if t else '-'):>10}{(f'{d[chr(109)+chr(115)] / t[chr(109)+chr(115)]:.2f}' if t else '-'):>8}")
PYEOF
