"""``salesim study FILE``: a factorial study from a study file.

Presentation only: the work is :func:`sim.experiments.study.factorial.factorial`;
this prints where the results are, the cell means of the first KPI and the
plain-language findings (also in ``findings.md``).
"""

from __future__ import annotations

import argparse


def add_parser(sub) -> None:
    from sim.cli.compare_cmd import fraction
    from sim.cli.study_args import add_study_flags

    p = sub.add_parser("study", help="run a factorial study file: main effects, interactions, findings",
                       description="Run every cell of a study file (scenarios/studies/*.yaml) under common "
                       "random numbers; report main effects and two-way interactions with confidence "
                       "intervals, cell means, the share of variation each factor explains, and findings.md.")
    p.add_argument("study", metavar="FILE", help="study YAML file")
    p.add_argument("--budget-tolerance", type=fraction, default=None, metavar="FRACTION",
                   help="relative gap in cost before commissions a level declared equal_budget may show before "
                   "it is flagged (default 0.02)")
    add_study_flags(p, reps_from="study file")


def run(args: argparse.Namespace) -> int:
    from sim.cli.study_args import check_sizes, failures_exit, guarded, study_kwargs
    from sim.experiments.study.factorial import check_kpis, factorial
    from sim.experiments.study.study_file import load_study
    from sim.extras import require

    require("studies", "statsmodels", feature="the effects of a factorial study (salesim study)")
    study = load_study(args.study, args.overrides)  # every cell validated before anything runs
    check_kpis(study)
    check_sizes(args, [cell.scenario for cell in study.cells])
    kw = study_kwargs(args, "study", study.spec.name)

    def go() -> int:
        tol = {} if args.budget_tolerance is None else {"budget_tolerance": args.budget_tolerance}
        result = factorial(study, reps=args.reps, **tol, **kw)
        print(report(result))
        return failures_exit(result.run, args.allow_failures)

    return guarded(go, kw["out"])


def report(result) -> str:
    from sim.cli.compare_cmd import terminal_lines
    from sim.cli.study_report import num, table

    st = result.run
    m = st.manifest
    spec = result.study.spec
    factors = list(result.effects.factors)
    lines = [*terminal_lines(result.fairness),
             f"study {spec.name}: {len(result.study.cells)} cells x {m['reps']} replication(s), common random "
             f"numbers (root seed {m['root_seed']})",
             f"ran {st.computed} replications here in {st.elapsed_s:.1f} s on {st.executor}"
             + (f" ({st.workers} workers)" if st.workers > 1 else ""),
             f"results in {st.out}/ (fairness.md, findings.md, effects.csv, variance.csv, cells.csv, "
             "replications.parquet)"
             if st.out is not None else "", ""]
    cells = result.effects.cells
    kpis = [k for k in spec.kpis if len(cells) and k in set(cells["kpi"])]
    if kpis:
        wide = cells.pivot_table(index=factors, columns="kpi", values="mean", sort=False)
        rows = [[*(idx if isinstance(idx, tuple) else (idx,)), *(num(r.get(k)) for k in kpis)]
                for idx, r in wide.iterrows()]
        lines += ["Cell means", *table([*factors, *kpis], rows), ""]
    lines.append(result.findings.rstrip())
    return "\n".join(lines)
