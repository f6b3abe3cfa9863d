#!/usr/bin/env bash
# Zoo benchmark: `attnzoo bench` (ours) and, when the reference venv exists, PyTorch side by side.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=.build/release/attnzoo
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
echo "== attention zoo (median ms, fastest of ${BENCH_ROUNDS:-3} interleaved rounds; ratio = ours / PyTorch, 2 threads)"
"$BIN" bench --json "$OUT/ours.json" ${ZOO_FILTER:+--filter "$ZOO_FILTER"} > "$OUT/ours.txt"
PY=${REF_PY:-$HOME/.cache/attentionzoo-ref-venv/bin/python}
if [ -x "$PY" ] && "$PY" -c "import torch" 2>/dev/null; then
  "$PY" scripts/bench/zoo_bench.py "$OUT/ours.json" --ours-bin "$BIN" --rounds "${BENCH_ROUNDS:-3}" ${ZOO_FILTER:+--filter "$ZOO_FILTER"}
else
  echo "(reference venv not found: PyTorch column skipped)"
  cat "$OUT/ours.txt"
fi
