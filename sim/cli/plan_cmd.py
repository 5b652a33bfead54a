"""``salesim plan``: the cheapest plan that hits targets with a stated probability.

Presentation only: the work is :func:`sim.experiments.planner.decision.plan`; the
report and the frontier figure are :mod:`sim.cli.plan_report`.

Exit codes: 0 a plan was found; 1 no plan evaluated reached the probability
(the message shows the most probable plan and its P); 2 bad input; 130
interrupted (the finished blocks are kept: ``--out DIR --resume``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

EXIT_UNREACHABLE = 1


def _probability(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a probability in (0, 1), got {text!r}") from None
    if not 0 < v < 1:
        raise argparse.ArgumentTypeError(f"expected a probability in (0, 1), got {text!r}")
    return v


def add_parser(sub) -> None:
    from sim.cli.study_args import add_scenario_flags, whole

    p = sub.add_parser("plan", help="search for the cheapest plan that hits targets with probability P",
                       description="Search headcounts, hiring plans or any numeric values (--vary) for the plan "
                       "with the lowest mean --minimize KPI (default total cost) whose probability of meeting "
                       "every --target is at least --probability, by simulation with common random numbers. "
                       "Exit 1 when no plan reaches it.")
    add_scenario_flags(p, "base scenario")
    p.add_argument("--vary", action="append", default=[], metavar="KEY.PATH=LOW:HIGH[:STEP]",
                   help="a decision variable (repeatable): any scenario value; a whole-numbered key such as "
                   "roles.ae.headcount=1:6 steps by 1 (a STEP must be whole), other values get 11 levels "
                   "without a STEP; or hires.ROLE.qN=LOW:HIGH (ROLE reps hired at the start of quarter N). "
                   "At most 1000 levels per variable")
    p.add_argument("--target", action="append", default=[], metavar="KPI>=VALUE",
                   help="a target (repeatable; all must be met): KPI>=VALUE, KPI<=VALUE (KPI=VALUE means >=); "
                   "a suffix @W or @A:B reads it at week W or over weeks A to B (overrides --by-week)")
    p.add_argument("--by-week", metavar="W|A:B", help="read targets at the end of week W from the weekly "
                   "series (flows summed, stocks at week W), or over weeks A to B (e.g. 52:104 for year 2)")
    p.add_argument("--probability", type=_probability, default=0.8,
                   help="required probability that every target is met (default 0.8)")
    p.add_argument("--minimize", metavar="KPI", default="costs.total_usd",
                   help="what to minimize, its mean over replications (default costs.total_usd: salaries, "
                   "commissions, fees and marketing over the horizon)")
    p.add_argument("--budget", type=whole(1), default=5000,
                   help="at most this many simulations, re-check included (default 5000): no block of "
                   "replications that would go over it runs")
    p.add_argument("--reps-start", type=whole(1, 10_000), default=8,
                   help="replications of a new candidate that could be the answer (cheaper than the best feasible "
                   "plan so far); dearer ones are screened with half as many (default 8)")
    p.add_argument("--max-reps", type=whole(1, 100_000), default=64,
                   help="most replications of one candidate, where P-hat decides (default 64)")
    p.add_argument("--initial", type=whole(1, 10_000), help="Latin hypercube candidates to start from "
                   "(default 2 x variables + 2)")
    p.add_argument("--patience", type=whole(0, 10_000), default=8, help="stop after this many global "
                   "proposals in a row bring no cheaper feasible plan (default 8)")
    p.add_argument("--recheck", type=whole(0, 100_000), default=0,
                   help="re-run the recommended plan on this many new seeds (default 0: no re-check)")
    p.add_argument("--workers", type=whole(1, 4096), help="worker processes (default: all cores)")
    p.add_argument("--dask", metavar="ADDRESS|local", help="run on Dask ('local' or a scheduler address)")
    p.add_argument("--out", type=Path, help="folder for the results (default: runs/plan-<name>-<time>)")
    p.add_argument("--resume", action="store_true", help="finish an interrupted plan in --out")


def run(args: argparse.Namespace) -> int:
    from sim.extras import require

    require("plan")  # before any simulation time is spent
    if args.dask is not None:
        require("dask")
    from sim.cli.plan_report import report, unreachable
    from sim.cli.study_args import guarded, output_folder
    from sim.errors import UsageError
    from sim.experiments.montecarlo.batch import as_scenario
    from sim.experiments.planner.decision import plan
    from sim.plots import frontier_figure, save_png

    if args.resume and args.out is None:  # before reading the scenario, as the other studies do
        raise UsageError("--resume needs --out DIR: the folder of the plan to finish")
    out = output_folder(args, "plan", as_scenario(args.scenario, args.overrides).name)

    def go() -> int:
        import sys

        result = plan(args.scenario, args.vary, args.target, probability=args.probability, by_week=args.by_week,
                      minimize=args.minimize, reps_start=args.reps_start, max_reps=args.max_reps,
                      initial=args.initial, patience=args.patience, budget=args.budget, recheck=args.recheck,
                      seed=args.seed, weeks=args.weeks, overrides=args.overrides, workers=args.workers,
                      dask=args.dask, out=out, resume=args.resume)
        if len(result.candidates):
            save_png(frontier_figure(result), Path(out) / "frontier.png", flag="--out")
        print(report(result))
        if not result.feasible:
            print(unreachable(result), file=sys.stderr)
            return EXIT_UNREACHABLE
        return 0

    return guarded(go, out)
