"""Planner benchmark: the search against the exhaustive grid, on the same instance.

Both runs use the same scenario, targets, probability, seeds and precision
(at most ``--max-reps`` replications per plan, where P-hat decides): the
grid runs every plan with ``--max-reps`` replications and takes the cheapest
plan whose P-hat reaches P; the search (``salesim plan``'s method) spends
replications only where they decide something. The script reports both
answers, whether they agree, the simulations each ran and their ratio
(project target: the same answer with at most a third of the grid's
simulations), and the wall time of each.

Default instance: ``scenarios/small_team.yaml`` over 26 weeks, AEs 1-5 x
SDRs 1-4 (20 plans), at least 40 wins with P >= 0.8. Simulation counts do not
depend on the machine; wall times do (both runs share the machine's load).

Run::

    python benchmarks/bench_planner.py                 # the default instance (~3-6 min on 2 cores)
    python benchmarks/bench_planner.py --quick         # a 4-week, 9-plan smoke run (~30 s)

The exit status is 0 whether or not the target is met: this is a report, not a test.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from sim.experiments.planner.decision import plan

ROOT = Path(__file__).resolve().parents[1]
TARGET_SHARE = 1 / 3


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--scenario", default=str(ROOT / "scenarios" / "small_team.yaml"))
    ap.add_argument("--weeks", type=float, default=26)
    ap.add_argument("--vary", action="append", default=None)
    ap.add_argument("--target", action="append", default=None)
    ap.add_argument("--probability", type=float, default=0.8)
    ap.add_argument("--max-reps", type=int, default=32)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--quick", action="store_true", help="4 weeks, 3 x 3 plans, at most 16 replications")
    a = ap.parse_args()
    vary = a.vary or ["roles.ae.headcount=1:5:1", "roles.sdr.headcount=1:4:1"]
    target = a.target or ["leads_won>=40"]
    if a.quick:
        a.weeks, a.max_reps = 4, 16
        vary, target = ["roles.ae.headcount=1:3:1", "roles.sdr.headcount=1:3:1"], ["leads_won>=3"]
    kw = dict(probability=a.probability, max_reps=a.max_reps, weeks=a.weeks, workers=a.workers)
    print(f"instance: {Path(a.scenario).name}, {a.weeks:g} weeks, vary {' x '.join(vary)}, "
          f"target {' and '.join(target)} with P >= {a.probability}, at most {a.max_reps} replications per plan; "
          f"{a.workers} workers, load average {os.getloadavg()[0]:.2f}")
    t0 = time.perf_counter()
    s = plan(a.scenario, vary, target, **kw)
    ts = time.perf_counter() - t0
    g = plan(a.scenario, vary, target, method="grid", **kw)
    tg = time.perf_counter() - t0 - ts
    share = s.search["simulations"] / g.search["simulations"]
    rows = [("search", s, ts), ("grid", g, tg)]
    print(f"\n{'method':8} {'plans run':>9} {'simulations':>11} {'wall s':>8}  answer")
    for name, r, t in rows:
        answer = " ".join(r.set_lines) if r.feasible else "none reaches P"
        print(f"{name:8} {r.search['candidates']:>9} {r.search['simulations']:>11} {t:>8.1f}  {answer}")
    same = s.set_lines == g.set_lines
    print(f"\nsame answer: {'yes' if same else 'NO'}; search / grid simulations = {share:.2f} "
          f"(target <= {TARGET_SHARE:.2f}: {'met' if same and share <= TARGET_SHARE else 'NOT met'}); "
          f"wall time ratio {ts / tg:.2f}")
    if s.feasible:
        rec = s.recommended
        print(f"recommended: P = {rec['probability']:.1%} [{rec['ci_low']:.1%}, {rec['ci_high']:.1%}] "
              f"(n={rec['n']}), mean cost ${rec['objective']:,.0f}; search stopped: {s.search['stop']}")


if __name__ == "__main__":
    main()
