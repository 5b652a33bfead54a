"""Cost of working time: the benchmark network with a 5x8 calendar vs. around the clock.

Both runs use the four-station M/M/c network of ``bench_engine.py`` at the
same offered load, with leads arriving at all hours:

* **24/7 (baseline)**: no ``calendar`` section; every role works 40 h a week,
  spread evenly over the week (one work hour takes 4.2 calendar hours);
* **5x8 calendar**: Mon-Fri 09:00-17:00; reps work only then, tasks carry over
  nights and weekends, leads arriving out of hours wait for the morning.

Work hours per task are scaled so that each station's utilization (work /
available time) is that of the benchmark network (0.67, 0.75, 0.75, 0.90) in
both. The ratio calendar time / baseline time, measured in the same run (best
of ``--repeat``, order rotated), is the calendar's overhead; the project's
target is <= 1.15.

Run::

    python benchmarks/bench_calendar.py                 # 50k leads, best of 3
    python benchmarks/bench_calendar.py --leads 20000 --repeat 5
    python benchmarks/bench_calendar.py --quick         # smoke run

The exit status is 0 whether or not the target is met: this is a report, not a test.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_engine import SERVERS, expected_utilizations, scenario_data  # noqa: E402

import sim  # noqa: E402

TARGET_RATIO = 1.15
HOURS = 40.0


def variant(leads: int, calendar: bool) -> sim.Scenario:
    d = scenario_data(leads)
    scale = HOURS / 168.0  # the same work takes 168/40 as long in calendar time at 40 h a week
    for seg in d["segments"].values():
        for step in seg["steps"].values():
            step["work_hours"]["mean"] *= scale
    for role in d["roles"].values():
        if calendar:
            role.pop("hours_per_week")
        else:
            role["hours_per_week"] = HOURS
    if calendar:
        d["calendar"] = {"days": ["mon", "tue", "wed", "thu", "fri"], "hours": "09:00-17:00"}
    return sim.validate_data(d)


def timed(scenario, seed: int) -> tuple[float, dict]:
    gc.collect()
    t0 = time.perf_counter()
    k = sim.simulate(scenario, seed=seed, record="kpis").kpis
    return time.perf_counter() - t0, k


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--leads", type=int, default=50_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--quick", action="store_true", help="smoke run: --leads 5000 --repeat 1")
    args = ap.parse_args(argv)
    if args.quick:
        args.leads, args.repeat = 5000, 1
    runs = {"24/7": variant(args.leads, False), "5x8 calendar": variant(args.leads, True)}
    times: dict[str, list[float]] = {k: [] for k in runs}
    kpis = {}
    for r in range(args.repeat):
        order = list(runs) if r % 2 == 0 else list(runs)[::-1]
        for name in order:
            t, k = timed(runs[name], args.seed + r)
            times[name].append(t)
            kpis.setdefault(name, k)
            print(f"  run {r + 1}/{args.repeat}  {name:<13} {t:8.3f} s", file=sys.stderr, flush=True)
    print(f"\nCalendar overhead, {args.leads:,} leads, best of {args.repeat}")
    print(f"  {'':<14}{'seconds':>9}{'leads/s':>10}" + "".join(f"{f'util r{i + 1}':>10}" for i in range(len(SERVERS)))
          + f"{'first touch p50 (cal h)':>25}")
    print(f"  {'expected':<14}{'':>19}" + "".join(f"{u:>10.3f}" for u in expected_utilizations()))
    for name in runs:
        k, best = kpis[name], min(times[name])
        util = [k["roles"][f"r{i + 1}"]["utilization"] for i in range(len(SERVERS))]
        print(f"  {name:<14}{best:>9.3f}{args.leads / best:>10,.0f}" + "".join(f"{u:>10.3f}" for u in util)
              + f"{k['first_touch']['calendar_hours']['median']:>25.2f}")
    ratio = min(times["5x8 calendar"]) / min(times["24/7"])
    verdict = "MET" if ratio <= TARGET_RATIO else "NOT MET"
    print(f"\nratio calendar / 24-7: {ratio:.3f}x  (target <= {TARGET_RATIO}x) -> {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
