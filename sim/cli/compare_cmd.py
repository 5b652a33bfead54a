"""``salesim compare``: paired comparison of scenarios with common random numbers.

Presentation only: the work is :func:`sim.experiments.compare`. What is
shown by default is what people decide on: a short headline (ARR, bookings,
total cost, cost per ARR, retention, and the chance the challenger beats the
baseline); ``--all`` prints every top-level KPI, ``--kpi`` any chosen ones.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

DEFAULT_REPS = 20  # enough for a CRN-paired difference's sign on the headline KPIs; --reps for more
HEADLINE = ("arr_end_usd", "bookings_usd", "costs.total_usd", "cost_per_arr_usd", "grr_trailing_12m",
            "nrr_trailing_12m")
LETTERS = "abcdef"  # --set-a (the baseline), --set-b, ...
FILE_SET = re.compile(r"^(?P<file>[^=]+?\.ya?ml):(?P<item>[^=]+=.*)$", re.S)


def add_parser(sub) -> None:
    p = sub.add_parser("compare", help="compare scenarios over paired replications (common random numbers)",
                       description="Run the same replication seeds for every scenario; report paired "
                       "differences against the first (the baseline) with confidence intervals and p-values.")
    p.add_argument("scenarios", nargs="+", metavar="SCENARIO", help="scenario YAML files; the first is the baseline")
    add_flags(p)


def add_flags(p: argparse.ArgumentParser) -> None:
    from sim.cli.study_args import add_force_flag, add_study_flags, whole

    p.add_argument("--reps", type=whole(1, 10_000_000), help=f"paired replications per scenario (default "
                   f"{DEFAULT_REPS})")
    add_study_flags(p, reps=False)
    for i, letter in enumerate(LETTERS):
        p.add_argument(f"--set-{letter}", dest=f"set_{letter}", action="append", default=[],
                       metavar="KEY.PATH=VALUE", help=argparse.SUPPRESS if i > 1 else
                       f"override a value in the {'first (baseline)' if i == 0 else 'second'} scenario only "
                       "(--set-c... for the next ones; or --set FILE.yaml:KEY.PATH=VALUE)")
    p.add_argument("--metric", metavar="KPI", help="headline KPI for 'beats the baseline' (higher is better; "
                   "default: arr_end_usd if reported, else bookings_usd)")
    p.add_argument("--kpi", action="append", default=[], metavar="PATTERN",
                   help="KPIs to print (glob on dotted names; default: the headline KPIs)")
    p.add_argument("--all", action="store_true", help="print every top-level KPI, not only the headline")
    p.add_argument("--equal-budget", action="store_true",
                   help="declare the arms at equal budget: rescale each challenger's starting headcount to the "
                   "baseline's planned cost a year (seats and priced process levers), or refuse saying why; "
                   "then flag measured costs before commissions further apart than --budget-tolerance")
    p.add_argument("--budget-tolerance", type=fraction, default=None, metavar="FRACTION",
                   help="relative cost gap an equal-budget comparison may show (default 0.02)")
    p.add_argument("--plot", type=Path, metavar="FILE.png", help="write a figure of the paired differences "
                   "(headline KPIs, or those of --kpi, with 95%% CIs) to FILE.png")
    add_force_flag(p)


def fraction(text: str) -> float:
    """argparse type: a fraction in (0, 1)."""
    from sim.cli.study_args import shown

    try:
        v = float(text)
    except ValueError:
        v = float("nan")
    if not 0 < v < 1:  # NaN too
        raise argparse.ArgumentTypeError(f"expected a fraction in (0, 1), e.g. 0.02, got {shown(text)}")
    return v


def per_scenario_overrides(args: argparse.Namespace) -> list[list[str]]:
    """The ``--set`` items for each scenario: global ones, ``FILE:key=value`` for a
    file named on the command line, then ``--set-a``, ``--set-b``... by position."""

    from sim.errors import UsageError
    from sim.scenario.loader import Setting

    paths = list(args.scenarios)
    out: list[list[str]] = [[] for _ in paths]
    for item in args.overrides:
        m = FILE_SET.match(item)
        if m is None:
            for o in out:
                o.append(item)
            continue
        name = m["file"]
        hits = [i for i, p in enumerate(paths) if p == name or Path(p).name == name
                or Path(p).resolve() == Path(name).resolve()]
        if not hits:
            raise UsageError(f"--set {item}: {name} is not one of the compared files ({', '.join(paths)})")
        for i in hits:
            out[i].append(m["item"])
    for i, letter in enumerate(LETTERS):
        items = getattr(args, f"set_{letter}", [])
        if items and i >= len(paths):
            raise UsageError(f"--set-{letter}: there are only {len(paths)} scenarios (--set-a is the first)")
        if items:
            out[i] += [Setting(x, f"--set-{letter}") for x in items]  # a problem names --set-b, not --set
    return out


def run(args: argparse.Namespace) -> int:
    from sim.cli.study_args import check_sizes, failures_exit, guarded, study_kwargs
    from sim.errors import UsageError
    from sim.experiments import compare
    from sim.experiments.montecarlo.batch import as_scenario, kpi_names
    from sim.experiments.montecarlo.stats import kpi_columns, select_kpis
    from sim.plots.canvas import check_png_target, write
    from sim.plots.studies import compare_figure

    if len(args.scenarios) < 2:
        raise UsageError(f"SCENARIO: compare needs at least two scenario files (the first is the baseline), got "
                         f"one: {args.scenarios[0]}")
    sets = per_scenario_overrides(args)
    scenarios = [as_scenario(path, s) for path, s in zip(args.scenarios, sets, strict=True)]
    check_sizes(args, scenarios)
    if args.kpi:
        names = kpi_names(scenarios[0])
        if names is not None:
            select_kpis(names, args.kpi)
    if args.plot is not None:
        check_png_target(args.plot, force=args.force)
    if args.budget_tolerance is not None and not args.equal_budget:
        raise UsageError("--budget-tolerance: only with --equal-budget (the tolerance of an equal-budget "
                         "comparison)")
    budget = {"equal_budget": args.equal_budget}
    if args.budget_tolerance is not None:
        budget["budget_tolerance"] = args.budget_tolerance
    if args.equal_budget:  # refuse an impossible rescaling before any output folder is made
        from sim.experiments.montecarlo.fairness import DEFAULT_TOLERANCE, planned_cost, rescale_to_budget

        target = planned_cost(scenarios[0])["total_usd"]
        for path, sc in zip(args.scenarios[1:], scenarios[1:], strict=True):
            rescale_to_budget(sc, target, args.budget_tolerance or DEFAULT_TOLERANCE, path)
    kw = study_kwargs(args, "compare", "-".join(s.name for s in scenarios)[:60])
    reps = args.reps if args.reps is not None else DEFAULT_REPS

    def go() -> int:
        result = compare(scenarios, reps, metric=args.metric, **budget, **kw)
        print(report(result, args))
        if args.plot is not None:
            if not len(result.paired):
                raise UsageError("--plot needs paired differences: run with --reps 2 or more")
            picked = select_kpis(kpi_columns(result.replications), args.kpi) if args.kpi else None
            write(compare_figure(result.paired, picked), args.plot)
            print(f"wrote {args.plot}")
        return failures_exit(result.study, args.allow_failures)

    return guarded(go, kw["out"])


def terminal_lines(markdown: str) -> list[str]:
    """The fairness block (Markdown) as terminal text: headings underlined, code marks dropped."""
    from sim.textsafe import unescape_markdown

    out = []
    for line in markdown.splitlines():
        text = unescape_markdown(line.replace("`", "").replace("**", ""))
        if text.startswith("#"):
            text = text.lstrip("#").strip()
            out += [text, "-" * len(text)]
        else:
            out.append(text)
    return [*out, ""] if out else out


def chosen_kpis(columns: list[str], args) -> list[str]:
    from sim.experiments.montecarlo.stats import select_kpis

    if args.kpi or getattr(args, "all", False):
        return select_kpis(columns, args.kpi)
    return [k for k in HEADLINE if k in columns]


def report(result, args) -> str:
    from sim.cli.study_report import num, paired_lines, side_by_side_lines
    from sim.experiments.montecarlo.stats import kpi_columns

    st = result.study
    m = st.manifest
    base = result.baseline
    default = getattr(args, "reps", None) is None
    lines = [*terminal_lines(result.fairness),
             f"compare: baseline {base} vs {', '.join(result.labels[1:])}; {m['reps']} paired replication(s) "
             f"each{' (the default; --reps N for more)' if default else ''} (common random numbers, root seed "
             f"{m['root_seed']})",
             f"ran {st.computed} replications here in {st.elapsed_s:.1f} s on {st.executor}"
             + (f" ({st.workers} workers)" if st.workers > 1 else ""),
             f"results in {st.out}/ (fairness.md, comparison.csv, side_by_side.csv, summary.csv, replications.parquet)"
             if st.out is not None else "", ""]
    failed = int(result.replications["error"].notna().sum())
    kpis = chosen_kpis(kpi_columns(result.replications), args)
    if m["reps"] == 1 or not len(result.paired):
        lines.append("KPIs side by side (one replication each, same seed), with differences to the baseline")
        lines += side_by_side_lines(result.side_by_side, kpis)
    else:
        for lab in result.labels[1:]:
            r = None
            if result.metric is not None:
                row = result.paired[(result.paired["scenario"] == lab) & (result.paired["kpi"] == result.metric)]
                if len(row):
                    r = row.iloc[0]
                    lines.append(f"P({lab} beats {base} on {result.metric}) = {num(r['p_higher'], pct=True)} "
                                 f"of paired replications (ties {num(r['p_tie'], pct=True)})")
            lines += paired_lines(result.paired, kpis, lab, base)
            if r is not None:
                vr = r["variance_reduction"]
                gain = (f"; independent seeds would need ~{r['var_independent'] / r['var_crn']:.1f}x the "
                        "replications for the same precision") if r["var_crn"] > 0 else ""
                lines.append(f"common random numbers cut the variance of the {result.metric} difference by "
                             f"{num(vr, pct=True)} (var(B-A) vs var(A)+var(B)){gain}")
            lines.append("")
        if not args.kpi and not getattr(args, "all", False):
            lines.append("(headline KPIs; --all for every top-level KPI, --kpi PATTERN for any; all are in "
                         "comparison.csv)" if st.out is not None else
                         "(headline KPIs; --all for every top-level KPI, --kpi PATTERN for any)")
        note = result.bonferroni_note
        if note:
            lines.append(f"note: {note}")
    if failed:
        lines.append(f"warning: {failed} replication(s) failed and were left out of the pairs "
                     "(see replications.parquet)")
    return "\n".join(lines).rstrip("\n")
