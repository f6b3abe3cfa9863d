"""The PyTorch side's timer, shared by the bench scripts: the median of at least `reps` runs after
one warm-up, continued (up to 1000 runs) until `min_total_ms` is timed — as the Swift side
(ZooBenchmark.medianMs) does."""
import statistics
import time


def median_ms(fn, reps, min_total_ms=250):
    fn()
    ts = []
    while len(ts) < reps or (sum(ts) < min_total_ms and len(ts) < 1000):
        t0 = time.perf_counter()
        fn()
        ts.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(ts)
