"""``salesim sweep``: parameter sweeps, sensitivity, tornado data, and the
built-in compound-effect study (``--compound``).

Presentation only: the work is :func:`sim.experiments.sweep` and
:func:`sim.experiments.compound_study`.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def add_parser(sub) -> None:
    from sim.cli.study_args import add_force_flag, add_study_flags, whole

    p = sub.add_parser("sweep", help="sweep scenario parameters; global sensitivity and tornado data",
                       description="Run replications at each point of a design over scenario parameters "
                       "(one row per point and replication), then estimate sensitivity. --compound runs the "
                       "built-in compound-effect study instead.")
    p.add_argument("scenario", help="scenario YAML file")
    p.add_argument("--param", action="append", default=[], metavar="KEY.PATH=LOW:HIGH[:STEP]",
                   help="a swept value (repeatable); with STEP, values snap to LOW + k*STEP; all whole numbers "
                   "(e.g. roles.ae.headcount=1:4:1) give a whole-numbered parameter")
    p.add_argument("--design", choices=["grid", "lhs", "sobol", "morris"], default="lhs",
                   help="grid (levels per parameter), lhs (Latin hypercube), sobol (Saltelli; Sobol' indices), "
                   "morris (elementary effects) (default lhs)")
    p.add_argument("--samples", type=whole(1, 100_000), default=16,
                   help="grid: levels per parameter without STEP; lhs: points; sobol: base samples (a power of "
                   "two; N*(d+2) points); morris: trajectories (N*(d+1) points) (default 16)")
    p.add_argument("--metric", metavar="KPI", help="KPI for sensitivity and tornado (default: arr_end_usd if "
                   "reported, else bookings_usd; compound study: leads_won)")
    p.add_argument("--no-tornado", action="store_true", help="skip the one-at-a-time points of the tornado")
    p.add_argument("--compound", metavar="U[,U...]", help="compound-effect study: lift every stage conversion "
                   "by each u (e.g. 0.05,0.1,0.2) and compare wins with (1+u)^k")
    p.add_argument("--plot", type=Path, metavar="FILE.png", help="write the metric by parameter level (mean "
                   "and 95%% CI) to FILE.png and, unless --no-tornado, the tornado to FILE.tornado.png")
    add_force_flag(p)
    add_study_flags(p, reps_default=10)


def _lifts(text: str) -> list[float]:
    from sim.errors import UsageError

    try:
        return [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise UsageError(f"--compound {text}: expected comma-separated lifts such as 0.05,0.1,0.2") from None


def run(args: argparse.Namespace) -> int:
    from sim.cli.study_args import check_sizes, failures_exit, guarded, study_kwargs
    from sim.errors import UsageError
    from sim.experiments import compound_study, sweep
    from sim.experiments.montecarlo.batch import as_scenario
    from sim.experiments.montecarlo.design import check_params, parse_param
    from sim.extras import require

    if args.design in ("sobol", "morris") and args.compound is None:
        require("studies", "SALib", feature=f"the {args.design} design and its sensitivity indices")
    if args.compound is not None:
        if args.param:
            raise UsageError("--compound runs its own study; drop --param (or run two commands)")
        if args.plot is not None:
            raise UsageError("--plot draws a sweep over --param; the compound study writes compound.csv only")
        lifts = _lifts(args.compound)
        scenario = as_scenario(args.scenario, args.overrides)
        check_sizes(args, [scenario])
        kw = study_kwargs(args, "compound", scenario.name)
        def compound() -> int:
            result = compound_study(scenario, lifts, args.reps, metric=args.metric or "leads_won", **kw)
            return _print(report_compound(result)) or failures_exit(result.study, args.allow_failures)

        return guarded(compound, kw["out"])
    params = [parse_param(p) for p in args.param]
    check_params(params)
    scenario = as_scenario(args.scenario, args.overrides)  # validates the base before any design work
    check_sizes(args, [scenario])
    plots = _plot_paths(args.plot, not args.no_tornado, args.force) if args.plot is not None else []
    kw = study_kwargs(args, "sweep", scenario.name)

    def go() -> int:
        result = sweep(args.scenario, params, design=args.design, samples=args.samples, reps=args.reps,
                       metric=args.metric, tornado_points=not args.no_tornado, overrides=args.overrides, **kw)
        _print(report_sweep(result))
        if plots:
            _plot_sweep(result, plots)
        return failures_exit(result.study, args.allow_failures)

    return guarded(go, kw["out"])


def _plot_paths(path: Path, tornado: bool, force: bool = False) -> list[Path]:
    from sim.errors import UsageError
    from sim.plots.canvas import check_png_target

    if tornado and path.suffix.lower() != ".png":
        raise UsageError(f"--plot {path}: expected a file name ending in .png")
    paths = [path, path.with_suffix(".tornado.png")] if tornado else [path]
    return [check_png_target(p, force=force) for p in paths]


def _plot_sweep(result, paths: list[Path]) -> None:
    from sim.plots.canvas import write
    from sim.plots.studies import sweep_figure, tornado_figure

    write(sweep_figure(result.replications, [p.path for p in result.params], result.metric), paths[0])
    print(f"wrote {paths[0]}")
    if len(paths) > 1 and result.tornado is not None and len(result.tornado):
        write(tornado_figure(result.tornado, result.metric), paths[1])
        print(f"wrote {paths[1]}")


def _print(text: str) -> int:
    print(text)
    return 0


def _header(st, what: str) -> list[str]:
    m = st.manifest
    return [f"{what}; {m['reps']} replication(s) per point, common random numbers (root seed {m['root_seed']})",
            f"ran {st.computed} replications here in {st.elapsed_s:.1f} s on {st.executor}"
            + (f" ({st.workers} workers)" if st.workers > 1 else ""),
            f"results in {st.out}/" if st.out is not None else "", ""]


def report_sweep(result) -> str:
    from sim.cli.study_report import num, table

    n_design = int((result.points["design"] == "design").sum())
    lines = _header(result.study, f"sweep: {n_design} {result.design} point(s) over "
                    f"{', '.join(p.path for p in result.params)}")
    levels = level_lines(result)
    if levels:
        lines += [*levels, ""]
    if result.sensitivity is not None and len(result.sensitivity.columns) > 1:
        s = result.sensitivity
        cols = [c for c in s.columns if c not in ("param", "metric")]
        lines.append(f"Sensitivity of {result.metric}: {s.attrs.get('method', '')}")
        lines += table(["param", *cols], [[r["param"], *(num(r[c]) for c in cols)] for _, r in s.iterrows()])
    elif result.sensitivity is not None:
        lines.append(f"Sensitivity: {result.sensitivity.attrs.get('method', '')}")
    if result.tornado is not None and len(result.tornado):
        t = result.tornado
        lines += ["", f"Tornado of {result.metric} (one at a time; others at the scenario's values; widest first)"]
        lines += table(["param", "low", "high", "at low", "at base", "at high", "swing", "95% CI of swing"],
                       [[r["param"], num(r["low"]), num(r["high"]), num(r["at_low"]), num(r["at_base"]),
                         num(r["at_high"]), num(r["swing"]), f"[{num(r['swing_ci_low'])}, {num(r['swing_ci_high'])}]"]
                        for _, r in t.iterrows()])
    return "\n".join(lines)


def report_compound(result) -> str:
    from sim.cli.study_report import num, table

    t = result.table
    lines = _header(result.study, "compound-effect study: every stage conversion x (1+u)")
    lines.append(f"ratio of mean {t['metric'].iloc[0]} (lifted / base), 95% CI, against (1+u)^k "
                 "(k = steps from a source's entry to the win)")
    lines += table(["u", "k", "(1+u)^k", "observed", "95% CI", "within CI"],
                   [[num(r["lift"]), str(r["k"]),
                     f"{r['expected_low']:.4f}" if r["expected_low"] == r["expected_high"]
                     else f"{r['expected_low']:.4f}-{r['expected_high']:.4f}",
                     f"{r['ratio']:.4f}", f"[{r['ci_low']:.4f}, {r['ci_high']:.4f}]",
                     {True: "yes", False: "no"}.get(r["within_ci"], "-")] for _, r in t.iterrows()])
    lines.append("(departures come from capacity, SLAs, hand-off leakage, outbound attempts and the horizon: "
                 "extra leads a team cannot work are not won)")
    return "\n".join(lines)


def level_lines(result, limit: int = 40) -> list[str]:
    """The headline KPI's mean and confidence interval at each design point."""
    from sim.cli.study_report import num, table
    from sim.experiments.montecarlo.stats import ok_rows, t_interval

    metric = result.metric
    rows = ok_rows(result.replications)
    if metric is None or metric not in rows.columns:
        return []
    rows = rows[rows["design"] == "design"]
    cols = [p.column for p in result.params]
    out = []
    for key, g in rows.groupby(cols, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        x = g[metric].dropna().to_numpy(dtype=float)
        lo, hi = t_interval(x) if len(x) else (float("nan"), float("nan"))
        out.append([*(num(v) for v in key), str(len(x)), num(x.mean() if len(x) else float("nan")),
                    f"[{num(lo)}, {num(hi)}]"])
    more = len(out) - limit
    lines = [f"{metric} at each point (mean over replications, 95% CI)"]
    lines += table([p.path for p in result.params] + ["n", "mean", "95% CI"], out[:limit])
    if more > 0:
        lines.append(f"... {more} more points in points.csv / replications.parquet")
    return lines
