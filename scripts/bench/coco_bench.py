"""COCO evaluation benchmark (issue 6): `attnzoo coco-eval` beside pycocotools and
faster-coco-eval on the same synthetic set, in the same run.

Usage: coco_bench.py ATTNZOO_BINARY DATA_DIR [--repeats N]
DATA_DIR holds gt.json and dt.json (scripts/bench/make_coco_bench.py). Each tool runs in its own
process, N times (median wall time reported); peak resident memory comes from wait4's rusage of
that process. Ours is timed as a whole process (start, load, evaluate, summarise, print the summary); the
Python references report their load (COCO + loadRes) and evaluate + accumulate + summarize times
measured inside the process (interpreter start and imports excluded, in their favour).
The three summaries must agree to print 'stats agree'.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

REF = r"""
import contextlib, io, json, sys, time
kind, gt_path, dt_path = sys.argv[1:4]
if kind == "pycocotools":
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval
else:
    from faster_coco_eval import COCO
    from faster_coco_eval import COCOeval_faster as COCOeval
out = io.StringIO()
with contextlib.redirect_stdout(out):
    t0 = time.perf_counter()
    gt = COCO(gt_path)
    dt = gt.loadRes(dt_path)
    t1 = time.perf_counter()
    E = COCOeval(gt, dt, "bbox")
    E.evaluate(); E.accumulate(); E.summarize()
    t2 = time.perf_counter()
print(json.dumps({"load": t1 - t0, "eval": t2 - t1, "stats": [float(x) for x in E.stats]}))
"""


def run(cmd):
    """Runs cmd; returns (wall seconds, peak RSS MiB, stdout)."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = p.stdout.read()
    err = p.stderr.read()
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    if status != 0:
        sys.exit(f"{cmd[0]} failed: {err.decode()[-500:]}")
    return wall, usage.ru_maxrss / 1024, out.decode()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("data")
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    gt, dt = os.path.join(a.data, "gt.json"), os.path.join(a.data, "dt.json")
    rows = {}
    ours_cmd = [a.binary, "coco-eval", "--gt", gt, "--dt", dt]
    walls, rss = [], 0.0
    for _ in range(a.repeats):
        w, m, _ = run(ours_cmd)
        walls.append(w)
        rss = max(rss, m)
    run(ours_cmd + ["--json", os.path.join(a.data, "ours.json"), "--quiet"])   # the stats to compare
    with open(os.path.join(a.data, "ours.json")) as f:
        ours_stats = json.load(f)["stats"]
    rows["attnzoo"] = dict(total=statistics.median(walls), rss=rss, load=None, eval=None)
    ref_stats = {}
    for kind in ("faster-coco-eval", "pycocotools"):
        totals, loads, evals, rss = [], [], [], 0.0
        for _ in range(a.repeats if kind != "pycocotools" else max(1, a.repeats // 2)):
            _, m, out = run([sys.executable, "-c", REF, kind.replace("-", "_"), gt, dt])
            d = json.loads(out.strip().splitlines()[-1])
            loads.append(d["load"]); evals.append(d["eval"]); totals.append(d["load"] + d["eval"])
            rss = max(rss, m)
            ref_stats[kind] = d["stats"]
        rows[kind] = dict(total=statistics.median(totals), rss=rss, load=statistics.median(loads),
                          eval=statistics.median(evals))
    ours = rows["attnzoo"]["total"]
    print(f"{'tool':18}{'load s':>9}{'eval s':>9}{'total s':>9}{'peak RSS MiB':>14}{'ours/this':>11}")
    for name, r in rows.items():
        load = f"{r['load']:.2f}" if r["load"] is not None else "-"
        ev = f"{r['eval']:.2f}" if r["eval"] is not None else "-"
        print(f"{name:18}{load:>9}{ev:>9}{r['total']:9.2f}{r['rss']:14.0f}{ours / r['total']:11.3f}")
    worst = max(abs(x - y) for x, y in zip(ours_stats, ref_stats["pycocotools"]))
    fast = max(abs(x - y) for x, y in zip(ours_stats, ref_stats["faster-coco-eval"]))
    print(f"stats {'agree' if worst <= 1e-9 else 'DIFFER'} with pycocotools (max |diff| {worst:.1e}); "
          f"faster-coco-eval max |diff| {fast:.1e}")
    print(f"targets: ours/faster-coco-eval {ours / rows['faster-coco-eval']['total']:.3f} (≤ 0.5), "
          f"ours/pycocotools {ours / rows['pycocotools']['total']:.3f} (≤ 0.1), "
          f"RSS ours/pycocotools {rows['attnzoo']['rss'] / rows['pycocotools']['rss']:.3f} (< 1)")


if __name__ == "__main__":
    main()
