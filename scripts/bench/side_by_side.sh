#!/usr/bin/env bash
# Ours against the reference for one family of attnzoo-bench rows, in alternating rounds, fastest
# median per side, ratio = ours / reference (2 threads).
# Usage: side_by_side.sh PREFIX PYTHON_SCRIPT REPS FILTER TITLE [PYTHON_MODULES]
#   PREFIX: row-name prefix (attnzoo-bench --filter PREFIX_FILTER); PYTHON_SCRIPT takes REPS FILTER;
#   PYTHON_MODULES: what the reference venv must import (default torch). BENCH_ROUNDS rounds (3).
set -euo pipefail
cd "$(dirname "$0")/../.."
PREFIX=$1; SCRIPT=$2; REPS=$3; FILTER=$4; TITLE=$5; MODULES=${6:-torch}
ROUNDS=${BENCH_ROUNDS:-3}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
PY=${REF_PY:-$HOME/.cache/attentionzoo-ref-venv/bin/python}
HAVE_TORCH=0
if [ -x "$PY" ] && "$PY" -c "import $MODULES" 2>/dev/null; then HAVE_TORCH=1; fi
: > "$OUT/ours.jsonl"; : > "$OUT/torch.jsonl"
for _ in $(seq "$ROUNDS"); do
  .build/release/attnzoo-bench --filter "${PREFIX}_${FILTER}" --repetitions "$REPS" >> "$OUT/ours.jsonl"
  if [ "$HAVE_TORCH" = 1 ]; then "$PY" "$SCRIPT" "$REPS" "$FILTER" >> "$OUT/torch.jsonl"; fi
done
python3 - "$OUT/ours.jsonl" "$OUT/torch.jsonl" "$TITLE" <<'PYEOF'
import json, sys
def fastest(path):
    best = {}
    for d in (json.loads(l) for l in open(path) if l.strip()):
        if d["name"] not in best or d["ms"] < best[d["name"]]["ms"]:
            best[d["name"]] = d
    return best
ours, torch = fastest(sys.argv[1]), fastest(sys.argv[2])
print(f"== {sys.argv[3]} (median ms, fastest of the rounds; ratio = ours / PyTorch, 2 threads)")
print(f"{'benchmark':36}{'ours ms':>10}{'torch ms':>10}{'ratio':>8}")
for name, d in ours.items():
    t = torch.get(name)
    print(f"{name:36}{d['ms']:10.1f}{(f'{t[chr(109)+chr(115)]:.1f}' if t else '-'):>10}{(f'{d[chr(109)+chr(115)] / t[chr(109)+chr(115)]:.2f}' if t else '-'):>8}")
PYEOF
