"""``salesim compare``: paired comparison of scenarios with common random numbers.

Presentation only: the work is :func:`sim.experiments.compare`.
"""

from __future__ import annotations

import argparse


def add_parser(sub) -> None:
    p = sub.add_parser("compare", help="compare scenarios over paired replications (common random numbers)",
                       description="Run the same replication seeds for every scenario; report paired "
                       "differences against the first (the baseline) with confidence intervals and p-values.")
    p.add_argument("scenarios", nargs="+", metavar="SCENARIO", help="scenario YAML files; the first is the baseline")
    add_flags(p)


def add_flags(p: argparse.ArgumentParser) -> None:
    from sim.cli.study_args import add_study_flags

    add_study_flags(p)
    p.add_argument("--metric", metavar="KPI", help="headline KPI for 'beats the baseline' (higher is better; "
                   "default: arr_end_usd if reported, else bookings_usd)")
    p.add_argument("--kpi", action="append", default=[], metavar="PATTERN",
                   help="KPIs to print (glob on dotted names; default: the top-level ones)")


def run(args: argparse.Namespace) -> int:
    from sim.cli.study_args import guarded, study_kwargs
    from sim.errors import UsageError
    from sim.experiments import compare
    from sim.experiments.batch import as_scenario, kpi_names
    from sim.experiments.summary import select_kpis

    if len(args.scenarios) < 2:
        raise UsageError("compare needs at least two scenario files (the first is the baseline)")
    scenarios = [as_scenario(path, args.overrides) for path in args.scenarios]
    if args.kpi:
        names = kpi_names(scenarios[0])
        if names is not None:
            select_kpis(names, args.kpi)
    kw = study_kwargs(args, "compare", "-".join(s.name for s in scenarios)[:60])

    def go() -> int:
        result = compare(scenarios, args.reps, metric=args.metric, **kw)
        print(report(result, args))
        return 0

    return guarded(go, kw["out"])


def report(result, args) -> str:
    from sim.cli.study_report import num, paired_lines, side_by_side_lines
    from sim.experiments.summary import kpi_columns, select_kpis

    st = result.study
    m = st.manifest
    base = result.baseline
    lines = [f"compare: baseline {base} vs {', '.join(result.labels[1:])}; {m['reps']} paired replication(s) "
             f"each (common random numbers, root seed {m['root_seed']})",
             f"ran {st.computed} replications here in {st.elapsed_s:.1f} s on {st.executor}"
             + (f" ({st.workers} workers)" if st.workers > 1 else ""),
             f"results in {st.out}/ (comparison.csv, side_by_side.csv, summary.csv, replications.parquet)"
             if st.out is not None else "", ""]
    failed = int(result.replications["error"].notna().sum())
    kpis = select_kpis(kpi_columns(result.replications), args.kpi)
    if m["reps"] == 1 or not len(result.paired):
        lines.append("KPIs side by side (one replication each, same seed), with differences to the baseline")
        lines += side_by_side_lines(result.side_by_side, kpis)
    else:
        for lab in result.labels[1:]:
            lines += paired_lines(result.paired, kpis, lab, base)
            if result.metric is not None:
                row = result.paired[(result.paired["scenario"] == lab) & (result.paired["kpi"] == result.metric)]
                if len(row):
                    r = row.iloc[0]
                    vr = r["variance_reduction"]
                    gain = (f"; independent seeds would need ~{r['var_independent'] / r['var_crn']:.1f}x the "
                            "replications for the same precision") if r["var_crn"] > 0 else ""
                    lines += [f"P({lab} beats {base} on {result.metric}) = {num(r['p_higher'], pct=True)} "
                              f"of paired replications (ties {num(r['p_tie'], pct=True)})",
                              f"common random numbers cut the variance of the {result.metric} difference by "
                              f"{num(vr, pct=True)} (var(B-A) vs var(A)+var(B)){gain}"]
            lines.append("")
        note = result.bonferroni_note
        if note:
            lines.append(f"note: {note}")
    if failed:
        lines.append(f"warning: {failed} replication(s) failed and were left out of the pairs "
                     "(see replications.parquet)")
    return "\n".join(lines).rstrip("\n")
