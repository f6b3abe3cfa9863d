#!/usr/bin/env bash
# `make bench`: our engine benchmarks and PyTorch's in the same run, side by side, then the
# zoo benchmark (scripts/bench/zoo_bench.sh). PyTorch columns need the reference venv
# (../shared/tools/ref-venv.sh); without it only our numbers are printed.
set -euo pipefail
cd "$(dirname "$0")/../.."
REPS=${BENCH_REPS:-10}
ROUNDS=${BENCH_ROUNDS:-3}   # alternating rounds (ours, PyTorch, ours, ...); each side keeps its fastest median
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
PY=${REF_PY:-$HOME/.cache/attentionzoo-ref-venv/bin/python}
HAVE_TORCH=0
if [ -x "$PY" ] && "$PY" -c "import torch" 2>/dev/null; then HAVE_TORCH=1; else
  echo "(reference venv not found: PyTorch column skipped)"
fi
: > "$OUT/ours.jsonl"; : > "$OUT/torch.jsonl"
for _ in $(seq "$ROUNDS"); do
  .build/release/attnzoo-bench --repetitions "$REPS" >> "$OUT/ours.jsonl"
  if [ "$HAVE_TORCH" = 1 ]; then
    "$PY" scripts/bench/torch_bench.py "$REPS" >> "$OUT/torch.jsonl"
    "$PY" scripts/bench/detection_bench.py "$REPS" >> "$OUT/torch.jsonl"
  fi
done
python3 - "$OUT/ours.jsonl" "$OUT/torch.jsonl" <<'PYEOF'
import json, sys
def fastest(path):
    best = {}
    for d in (json.loads(l) for l in open(path) if l.strip()):
        if d["name"] not in best or d["ms"] < best[d["name"]]["ms"]:
            best[d["name"]] = d
    return best
ours = list(fastest(sys.argv[1]).values())
torch = fastest(sys.argv[2])
blas = {d["name"].replace("openblas_sgemm", "matmul"): d for d in ours if d["name"].startswith("openblas_sgemm")}
print("== engine (median ms, fastest of the rounds; ratio = ours / PyTorch, 2 threads)")
print(f"{'benchmark':28}{'ours ms':>10}{'torch ms':>10}{'ratio':>8}{'ours GF/s':>11}{'torch GF/s':>11}")
for d in ours:
    if d["name"].startswith("openblas_sgemm"):
        continue
    t = torch.get(d["name"])
    ratio = f"{d['ms'] / t['ms']:.2f}" if t else "-"
    tms = f"{t['ms']:.3f}" if t else "-"
    tgf = f"{t['gflops']:.1f}" if t and t["gflops"] else ""
    gf = f"{d['gflops']:.1f}" if d["gflops"] else ""
    print(f"{d['name']:28}{d['ms']:10.3f}{tms:>10}{ratio:>8}{gf:>11}{tgf:>11}")
for name, b in blas.items():
    mine = next(d for d in ours if d["name"] == name)
    print(f"{name}: {mine['gflops']:.1f} GFLOP/s = {100 * mine['gflops'] / b['gflops']:.1f}% of raw OpenBLAS sgemm ({b['gflops']:.1f} GFLOP/s)")
PYEOF
for extra in scripts/bench/*_bench.sh; do
  [ -x "$extra" ] && "$extra"
done
exit 0
