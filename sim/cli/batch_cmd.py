"""``salesim batch``: many replications of one scenario, summarized.

Presentation only: the work is :func:`sim.experiments.run_batch`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from sim.cli.study_args import add_force_flag, add_study_flags, check_sizes, failures_exit, guarded, study_kwargs


def add_parser(sub) -> None:
    p = sub.add_parser("batch", help="run many replications of one scenario (Monte Carlo)",
                       description="Run replications of a scenario, streaming results to --out; "
                       "print per-KPI summaries, the weekly fan and target odds.")
    p.add_argument("scenario", help="scenario YAML file")
    add_study_flags(p)
    p.add_argument("--target", action="append", default=[], metavar="KPI=VALUE",
                   help="probability of reaching a value: KPI=VALUE (at least), KPI<=VALUE, KPI>=VALUE "
                   "(repeatable), e.g. --target bookings_usd=5e6")
    p.add_argument("--kpi", action="append", default=[], metavar="PATTERN",
                   help="KPIs to print (glob on dotted names, e.g. 'stages.*.conversion'; default: the "
                   "top-level ones; every KPI is in summary.csv)")
    p.add_argument("--fan", metavar="COLUMN", help="weekly column for the fan (default: arr_usd if present, "
                   "else cumulative bookings_usd)")
    p.add_argument("--no-weekly", action="store_true", help="do not keep weekly series (smaller output)")
    p.add_argument("--plot", type=Path, metavar="FILE.png", help="write a figure of the fan (percentile bands "
                   "of --fan's column by week) to FILE.png")
    add_force_flag(p)


def run(args: argparse.Namespace) -> int:
    from sim.errors import UsageError
    from sim.experiments import run_batch
    from sim.experiments.montecarlo.batch import as_scenario, report_names
    from sim.experiments.montecarlo.stats import did_you_mean, select_kpis
    from sim.plots import check_png_target, plot_fan

    scenario = as_scenario(args.scenario, args.overrides)
    check_sizes(args, [scenario])
    if args.fan is not None and args.no_weekly:
        raise UsageError("--fan needs the weekly series; drop --no-weekly")
    if args.plot is not None:
        if args.no_weekly:
            raise UsageError("--plot needs the weekly series; drop --no-weekly")
        check_png_target(args.plot, force=args.force)
    found = report_names(scenario) if (args.kpi or args.fan) else None
    if found is not None:  # check names before spending time on the batch
        select_kpis(found[0], args.kpi)
        if args.fan is not None and args.fan not in found[1]:
            raise UsageError(f"--fan {args.fan}: no such weekly column{did_you_mean(args.fan, found[1])}; "
                             f"weekly columns: {', '.join(found[1])}")
    kw = study_kwargs(args, "batch", scenario.name)

    def go() -> int:
        result = run_batch(scenario, args.reps, targets=args.target, weekly=not args.no_weekly, **kw)
        print(report(result, args))
        if args.plot is not None:
            plot_fan(result.fan_of(args.fan) if args.fan else result.fan, args.plot, scenario=scenario.name,
                     reps=len(result.replications) - len(result.errors))
            print(f"wrote {args.plot}")
        return failures_exit(result.study, args.allow_failures)

    return guarded(go, kw["out"])


def report(result, args) -> str:
    from sim.cli.study_report import fan_lines, summary_table, target_lines
    from sim.experiments.montecarlo.stats import select_kpis

    st = result.study
    failed = len(result.errors)
    m = st.manifest
    lines = [f"batch {m['points'][0]['name']}: {m['reps']} replications ({failed} failed), root seed "
             f"{m['root_seed']}, {m['points'][0]['horizon_weeks']:g} weeks",
             f"ran {st.computed} here in {st.elapsed_s:.1f} s on {st.executor}"
             + (f" ({st.workers} workers)" if st.workers > 1 else "")
             + (f"; {m['reps'] - st.computed} were already done" if st.computed < m["reps"] else ""),
             f"results in {st.out}/ (replications.parquet, summary.csv, weekly.parquet, fan.csv, manifest.json)"
             if st.out is not None else "", ""]
    kpis = select_kpis(list(result.summary.index), args.kpi)
    lines += summary_table(result.summary, kpis)
    fan = result.fan_of(args.fan) if args.fan else result.fan
    if fan is not None:
        lines += ["", *fan_lines(fan)]
    if len(result.targets):
        lines += ["", *target_lines(result.targets)]
    if failed:
        first = result.errors.iloc[0]
        lines += ["", f"warning: {failed} replication(s) failed; first: rep {first['rep']}: {first['error']} "
                  "(see errors.csv)"]
    return "\n".join(line for line in lines if line is not None)
