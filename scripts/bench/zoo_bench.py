"""PyTorch side of the zoo benchmark: times every module of the zoo reference files
(scripts/fixtures/zoo_*.py, dict ZOO = {key: (factory, default_args, seed_shape)}) the way
`attnzoo bench` times ours, and prints a side-by-side table with ratios (ours / torch).

Usage: python zoo_bench.py OURS.json [--filter KEY] [--repetitions N] [--json OUT.json]
                            [--ours-bin BIN --rounds R]

With --ours-bin, every module is timed in R interleaved rounds (ours via `BIN bench --filter KEY`,
then PyTorch, then ours again, ...) and each side reports its fastest median: on a shared machine
a slow spell then hits both sides of a row alike, or neither. OURS.json is round 1 of our side.
"""
import argparse
import glob
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(os.path.dirname(HERE), "fixtures")


def load_zoo():
    zoo = {}
    sys.path.insert(0, FIXTURES)
    for path in sorted(glob.glob(os.path.join(FIXTURES, "zoo_*.py"))):
        if path.endswith("zoo_common.py"):
            continue
        spec = importlib.util.spec_from_file_location(os.path.basename(path)[:-3], path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        zoo.update(getattr(mod, "ZOO", {}))
    return zoo


def median_ms(reps, fn):
    """Median of at least `reps` runs, continued (up to 1000) until 0.25 s is timed, as
    ZooBenchmark.medianMs does on our side."""
    fn()
    times = []
    while len(times) < reps or (sum(times) < 250 and len(times) < 1000):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def time_module(factory, args, shape, reps):
    torch.manual_seed(0)
    m = factory(**args)
    x = torch.randn(shape)
    m.eval()
    with torch.no_grad():
        fwd = median_ms(reps, lambda: m(x))
    m.train()
    xg = x.clone().requires_grad_(True)

    def step():
        m.zero_grad(set_to_none=True)
        xg.grad = None
        y = m(xg)
        y = y[0] if isinstance(y, (tuple, list)) else y
        y.sum().backward()
    fb = median_ms(reps, step)
    return fwd, fb


def ours_again(binary, key, shape, reps):
    """One more round of our side for `key` (`attnzoo bench --filter KEY --json`)."""
    with tempfile.NamedTemporaryFile(suffix=".json") as f:
        subprocess.run([binary, "bench", "--filter", key, "--repetitions", str(reps), "--json", f.name],
                       check=True, stdout=subprocess.DEVNULL)
        return next(t for t in json.load(open(f.name)) if t["key"] == key and t["shape"] == shape)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ours")
    ap.add_argument("--filter", default=None)
    ap.add_argument("--repetitions", type=int, default=10)
    ap.add_argument("--json", default=None)
    ap.add_argument("--ours-bin", default=None)
    ap.add_argument("--rounds", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(2)
    ours = json.load(open(a.ours))   # rows of (key, shape); PSA has two shapes
    keys = {t["key"] for t in ours}
    zoo = load_zoo()
    rows = []
    print(f"{'key':14}{'shape':20}{'ours fwd':>10}{'torch fwd':>10}{'ratio':>7}  {'ours f+b':>10}{'torch f+b':>10}{'ratio':>7}")
    for t in ours:
        key = t["key"]
        if a.filter and (a.filter != key if a.filter in keys else a.filter not in key):
            continue
        if key not in zoo:
            print(f"{key:14}{'(no PyTorch reference)':20}")
            continue
        factory, args, _ = zoo[key]
        fwd, fb = time_module(factory, args, tuple(t["shape"]), a.repetitions)
        for _ in range(1, a.rounds if a.ours_bin else 1):
            again = ours_again(a.ours_bin, key, t["shape"], a.repetitions)
            t = dict(t, forwardMs=min(t["forwardMs"], again["forwardMs"]),
                     forwardBackwardMs=min(t["forwardBackwardMs"], again["forwardBackwardMs"]))
            f2, b2 = time_module(factory, args, tuple(t["shape"]), a.repetitions)
            fwd, fb = min(fwd, f2), min(fb, b2)
        r1, r2 = t["forwardMs"] / fwd, t["forwardBackwardMs"] / fb
        rows.append({"key": key, "shape": t["shape"], "ours_fwd_ms": t["forwardMs"], "torch_fwd_ms": fwd,
                     "ours_fwd_bwd_ms": t["forwardBackwardMs"], "torch_fwd_bwd_ms": fb})
        shape = ",".join(map(str, t["shape"]))
        print(f"{key:14}{shape:20}{t['forwardMs']:10.3f}{fwd:10.3f}{r1:7.2f}  {t['forwardBackwardMs']:10.3f}{fb:10.3f}{r2:7.2f}")
    if a.json:
        json.dump(rows, open(a.json, "w"), indent=1)


if __name__ == "__main__":
    main()
