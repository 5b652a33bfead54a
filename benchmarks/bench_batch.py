"""Batch throughput benchmark: replications/second, serial vs. 2 workers.

The same batch (same scenario, seeds and replications) runs

* serially in this process (``executor="serial"``),
* on a local process pool of W workers (the default executor), and
* on a Dask LocalCluster of W single-threaded worker processes,

and the script reports replications per second and the parallel efficiency
``(serial time / parallel time) / W`` (project target: >= 0.85 on 2 workers
for replications of about a second or more). Two diagnostics explain a low
figure: the mean time of one replication in each variant (it grows when the
cores are shared with other work -- the load average is printed too), and how
busy the workers were (time inside replications / (workers x wall time);
the rest is start-up, shipping and waiting at the end). The results of all variants
are checked to be identical (replication seeds depend only on the index).

Timings are end to end -- what ``salesim batch`` costs a user: starting the
pool (or the LocalCluster), shipping chunks, collecting and writing nothing
(results stay in memory here). Dask is timed twice: ``dask local`` starts and
stops its LocalCluster inside the clock; ``dask warm`` reaches an already
running LocalCluster by address, as a user's own cluster would be reached.

Run::

    python benchmarks/bench_batch.py                     # mid_size, 32 reps, 2 workers (~2.5 min)
    python benchmarks/bench_batch.py --reps 32 --repeat 2
    python benchmarks/bench_batch.py --quick             # smoke run, a few seconds

The exit status is 0 whether or not the target is met: this is a report, not a test.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

import sim
from sim.experiments import run_batch

ROOT = Path(__file__).resolve().parents[1]
TARGET_EFFICIENCY = 0.85


def timed(label: str, fn) -> tuple[float, object]:
    print(f"  {label} ...", file=sys.stderr, flush=True)
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def same(a, b) -> bool:
    cols = [c for c in a.replications.columns if c != "runtime_s"]
    try:
        pd.testing.assert_frame_equal(a.replications[cols], b.replications[cols])
        return True
    except AssertionError:
        return False


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scenario", default=str(ROOT / "scenarios" / "mid_size.yaml"))
    ap.add_argument("--reps", type=int, default=32)
    ap.add_argument("--weeks", type=float, default=None, help="horizon (default: the scenario's)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=1, help="repetitions of every variant (best is reported)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--quick", action="store_true", help="smoke run: small scenario, few replications")
    args = ap.parse_args(argv)
    if args.quick:
        args.scenario, args.reps, args.weeks = str(ROOT / "scenarios" / "small_team.yaml"), 8, 13.0

    scenario = sim.load_scenario(args.scenario)
    w = args.workers
    common = dict(seed=args.seed, weeks=args.weeks, progress=False, weekly=True)
    from sim.experiments.runner.driver import auto_chunk_size

    chunk = auto_chunk_size(args.reps, 1, w)  # what users get by default
    load_before = os.getloadavg()[0]

    from distributed import LocalCluster

    times: dict[str, list[float]] = {k: [] for k in ("serial", "pool", "dask local", "dask warm")}
    results = {}
    with LocalCluster(n_workers=w, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster:
        # the warm cluster's workers import salesim once before timing
        run_batch(scenario, w, dask=cluster.scheduler_address, chunk_size=1, **common)
        for r in range(args.repeat):
            variants = [
                ("serial", lambda: run_batch(scenario, args.reps, executor="serial", **common)),
                ("pool", lambda: run_batch(scenario, args.reps, workers=w, chunk_size=chunk, **common)),
                ("dask local", lambda: run_batch(scenario, args.reps, dask="local", workers=w, chunk_size=chunk,
                                                 **common)),
                ("dask warm", lambda: run_batch(scenario, args.reps, dask=cluster.scheduler_address,
                                                chunk_size=chunk, **common)),
            ]
            for name, fn in variants[r % len(variants):] + variants[:r % len(variants)]:
                t, res = timed(f"repeat {r + 1}: {name}", fn)
                times[name].append(t)
                results[name] = res

    load_after = os.getloadavg()[0]
    serial = min(times["serial"])
    per_rep = results["serial"].replications["runtime_s"]
    print(f"# Batch benchmark ({date.today()}, Python {platform.python_version()}, numpy {np.__version__}, "
          f"salesim {sim.__version__}, {w} workers)")
    print(f"scenario {scenario.name}, {args.reps} replications, horizon "
          f"{args.weeks or scenario.horizon_weeks:g} weeks, chunks of {chunk}; one replication "
          f"{per_rep.mean():.2f} s on average (min {per_rep.min():.2f}, max {per_rep.max():.2f}); best of "
          f"{args.repeat}; load average {load_before:.2f} before, {load_after:.2f} after ({os.cpu_count()} cores)")
    print()
    print("| variant | wall time (s) | replications/s | speed-up | parallel efficiency | mean replication (s) "
          "| workers busy |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name in ("serial", "pool", "dask local", "dask warm"):
        t = min(times[name])
        speed = serial / t
        n = 1 if name == "serial" else w
        rep_s = results[name].replications["runtime_s"]
        # busy = share of the workers' wall time spent inside replications (of the last repetition)
        busy = rep_s.sum() / (n * results[name].study.elapsed_s)
        print(f"| {name} | {t:.2f} | {args.reps / t:.2f} | {speed:.2f}x | {speed / n:.2f} | {rep_s.mean():.2f} "
              f"| {busy:.0%} |")
    print()
    ok = {name: same(results["serial"], results[name]) for name in ("pool", "dask local", "dask warm")}
    print("results identical to serial: " + ", ".join(f"{k} {'yes' if v else 'NO'}" for k, v in ok.items()))
    best = max(serial / min(times[n]) / w for n in ("pool", "dask warm"))
    verdict = "met" if best >= TARGET_EFFICIENCY else "NOT met"
    print(f"target parallel efficiency >= {TARGET_EFFICIENCY} on {w} workers: {verdict} (best {best:.2f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
