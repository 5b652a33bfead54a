"""``salesim study FILE``: a factorial study from a study file.

Presentation only: the work is :func:`sim.experiments.study.factorial.factorial`;
this prints where the results are, the cell means of the first KPI and the
plain-language findings (also in ``findings.md``).
"""

from __future__ import annotations

import argparse

from sim.errors import UsageError


def add_parser(sub) -> None:
    from sim.cli.compare_cmd import fraction
    from sim.cli.study_args import add_study_flags, whole

    p = sub.add_parser("study", help="run a study file: factorial effects, or designs at their best across worlds",
                       description="Run every cell of a study file (scenarios/studies/*.yaml) under common "
                       "random numbers; report main effects and two-way interactions with confidence "
                       "intervals, cell means, the share of variation each factor explains, and findings.md. "
                       "A study whose levels carry vary: and a budget (designs), an objective: or uncertain: "
                       "assumptions optimises each design under its budget with the planner's search and "
                       "compares the optima across sampled worlds: P(B beats A) with its interval, the "
                       "sensitivity to each assumption and the conditions that flip the verdict.")
    p.add_argument("study", metavar="FILE", help="study YAML file")
    p.add_argument("--budget-tolerance", type=fraction, default=None, metavar="FRACTION",
                   help="relative gap in cost before commissions a level declared equal_budget may show before "
                   "it is flagged (default 0.02)")
    add_study_flags(p, reps_from="study file")
    p.add_argument("--worlds", type=whole(4, 4096), help="a study with uncertain: how many worlds to sample "
                   "(default: the file's uncertain.worlds)")


def run(args: argparse.Namespace) -> int:
    from sim.cli.study_args import check_sizes, failures_exit, guarded, study_kwargs
    from sim.experiments.study.factorial import check_kpis, factorial
    from sim.experiments.study.study_file import load_study
    from sim.extras import require

    study = load_study(args.study, args.overrides)  # every cell validated before anything runs
    if study.spec.robust:
        return run_robust(args, study)
    require("studies", "statsmodels", feature="the effects of a factorial study (salesim study)")
    check_kpis(study)
    check_sizes(args, [cell.scenario for cell in study.cells])
    kw = study_kwargs(args, "study", study.spec.name)

    def go() -> int:
        tol = {} if args.budget_tolerance is None else {"budget_tolerance": args.budget_tolerance}
        result = factorial(study, reps=args.reps, **tol, **kw)
        print(report(result))
        return failures_exit(result.run, args.allow_failures)

    return guarded(go, kw["out"])


def run_robust(args: argparse.Namespace, study) -> int:
    """A study of designs across plausible worlds (:mod:`sim.experiments.study.robust`)."""
    from sim.cli.study_args import check_sizes, guarded, study_kwargs
    from sim.experiments.study.robust import check, robust_study
    from sim.extras import require

    feature = "a study of designs across plausible worlds (salesim study with vary or uncertain)"
    require("plan", feature=feature)
    require("studies", "SALib", feature=feature)
    if study.spec.uncertain is not None:
        require("robust", feature=feature)
    if args.weeks is not None or args.chunk_size is not None or args.fail_fast:
        raise UsageError("--weeks, --chunk-size and --fail-fast do not apply to a study of designs "
                         "(set horizon_weeks in the study's set:)")
    check(study)
    check_sizes(args, [cell.scenario for cell in study.cells])
    kw = study_kwargs(args, "study", study.spec.name)

    def go() -> int:
        r = robust_study(study, reps=args.reps, seed=args.seed, workers=args.workers, dask=args.dask,
                         out=kw["out"], resume=args.resume, worlds=args.worlds,
                         progress=False if args.quiet else None)
        print(f"study {study.spec.name}: {len(r.optima)} designs optimised"
              + (f", evaluated in {len(r.worlds)} worlds" if r.worlds is not None else "")
              + f"; {r.simulations} simulations ({r.info['simulations_run_here']} run here, the rest resumed) "
              f"in {r.wall_s:.0f} s wall time ({r.info['workers']} workers)")
        print(f"results in {r.out}/ (findings.md, designs.csv, flatness.csv"
              + (", worlds.csv, verdicts.csv, sensitivity.csv, flips.csv" if r.worlds is not None else "") + ")")
        print()
        print(r.findings.rstrip())
        return 0

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
