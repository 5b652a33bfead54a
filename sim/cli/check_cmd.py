"""``salesim check``: a scenario's figures against a benchmark table.

Presentation only: the replications and the comparison are
:func:`sim.experiments.montecarlo.benchmark_check.run_check`; the section is
:func:`sim.report.benchmark_section.section`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.cli.study_args import add_scenario_flags, whole

EXIT_OUTSIDE = 1


def add_parser(sub) -> None:
    p = sub.add_parser("check", help="compare a scenario's figures with published benchmarks",
                       description="Run replications of a scenario and print each benchmark figure (bookings "
                       "per seller, win rates, retention, CAC payback, SDR meetings...) against its range "
                       "(below / inside / above) with the source, the replications' 95% interval and, when "
                       "outside, the mechanism most responsible. --strict exits 1 when a figure is outside, "
                       "its 95%% interval too, and the scenario's file does not say why (a comment line '# benchmark "
                       "outside: METRIC (SUBJECT) -- why'). --max-reps M makes it sequential: more replications, sized "
                       "from each figure's spread, until every figure settles on one side of its range or M "
                       "replications are run.")
    add_scenario_flags(p)
    p.add_argument("--reps", type=whole(1, 1000), default=5,
                   help="replications (default 5); with --max-reps, the replications it starts with")
    p.add_argument("--max-reps", type=whole(1, 1000), metavar="M",
                   help="sequential check: after --reps, while a figure's 95%% interval crosses a bound of its "
                   "range, estimate from each such figure's spread how many replications would settle it and "
                   "run more, up to M in all (at least --reps, at most 1000); a figure still not settled at M is "
                   "reported as such and fails --strict. Replication i has the same seed whatever the rounds, so "
                   "a check that stops at K replications is the plain check --reps K (default: none, a plain "
                   "check of --reps)")
    p.add_argument("--table", type=Path, metavar="FILE.csv",
                   help="a benchmark table of your own (columns metric, segment, low, high; optional typical, "
                   "unit, source, year, trust, note), e.g. your board plan or last year's actuals; "
                   "default: the table shipped with salesim")
    p.add_argument("--strict", action="store_true", help="exit 1 when a figure is outside its range with its "
                   "95%% interval (a mean outside whose interval reaches into the range is not settled: listed, "
                   "not failed; --max-reps settles it) and the scenario's file has no '# benchmark outside: METRIC "
                   "(SUBJECT) -- why' line for it, or, with --max-reps, when a figure is not settled on one side "
                   "of its range at the cap")


def run(args: argparse.Namespace) -> int:
    from sim.benchmarks import load_table
    from sim.cli.render import emit
    from sim.experiments.montecarlo.benchmark_check import check_reps, deliberately_outside, run_check
    from sim.report.benchmark_section import LABELS, section
    from sim.scenario import load_scenario

    check_reps(args.reps, args.max_reps)  # before the scenario is read or any run starts
    table = load_table(args.table) if args.table is not None else None
    scenario = load_scenario(args.scenario, args.overrides)
    result = run_check(scenario, reps=args.reps, seed=args.seed, table=table, weeks=args.weeks,
                       max_reps=args.max_reps)
    if result.sequential:
        r = result.rounds
        steps = ", then ".join(str(n) for n in r) if len(r) <= 6 else f"{r[0]}, {r[1]}, ..., {r[-1]} in {len(r)} rounds"
        how = f"{result.reps} replications (sequential: {steps}; cap {result.max_reps})"
    else:
        how = f"{result.reps} replications"
    lead = [f"scenario {result.scenario}: {how}, root seed {result.root_seed}; table: {result.table}"]
    said = deliberately_outside(args.scenario)
    on_purpose = [c for c in result.outside if (c.metric, c.subject) in said]
    # a plain check's few replications place a figure outside only when its interval is outside too:
    # a mean outside whose interval reaches into the range is not evidence either way (the
    # sequential check settles it, and fails --strict when it cannot at its cap)
    not_said = [c for c in result.outside if (c.metric, c.subject) not in said]
    unsure = [c for c in not_said if c.straddles and not result.sequential]
    unexplained = [c for c in not_said if result.sequential or not c.straddles]
    if on_purpose:
        lead.append("outside on purpose (the scenario's file says why): " + ", ".join(
            f"{LABELS.get(c.metric, c.metric)} ({c.subject})" for c in on_purpose))
    stale = sorted(said - {(c.metric, c.subject) for c in result.comparisons
                           if c.outside or (c.straddles and not result.sequential)})
    if stale:
        lead.append("said to be outside on purpose but not outside in these replications: " + ", ".join(
            f"{LABELS.get(m, m)} ({s})" for m, s in stale))
    if unsure:
        lead.append("outside on these replications but not settled (the 95% interval reaches into the range; "
                    "--max-reps settles it, --strict does not fail on it): " + ", ".join(
                        f"{LABELS.get(c.metric, c.metric)} ({c.subject})" for c in unsure))
    emit([section(result.comparisons, result.unchecked, lead=lead, sequential=result.sequential)])
    unsettled = result.unsettled if result.sequential else ()
    if args.strict and (unexplained or unsettled):
        import sys

        if unsettled:
            print(f"salesim check: {len(unsettled)} of {len(result.comparisons)} figures not settled at --max-reps "
                  f"{result.max_reps} (their 95% interval still crosses a bound) are not known to be inside or "
                  "outside their range (--strict)", file=sys.stderr)
        if unexplained:
            print(f"salesim check: {len(unexplained)} of {len(result.comparisons)} figures not said why in the "
                  "scenario's file are outside their range (--strict)", file=sys.stderr)
        return EXIT_OUTSIDE
    return 0
