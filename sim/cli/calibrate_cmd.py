"""``salesim calibrate`` and ``salesim export-crm``: a scenario from CRM history, and a
run's leads as CRM history (so the round trip can be tried by anyone).

Presentation only: the work is in :mod:`sim.calibration`. Problems with the
data that the fit works around are printed as warnings (stderr) and listed
in the report; a file the fit cannot use is an exit-2 message.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.cli.study_args import whole
from sim.errors import UsageError
from sim.outpaths import Inputs, file_target, folder_target, staged_folder, text_writer, write_files


def frame_writer(df, path: Path):
    """Write a table as CSV, or Parquet by the suffix of ``path``."""
    if path.suffix.lower() == ".parquet":
        return lambda tmp: df.to_parquet(tmp, index=False)
    return lambda tmp: df.to_csv(tmp, index=False)


def add_parsers(sub) -> None:
    p = sub.add_parser("calibrate", help="fit a scenario to a CRM opportunity history",
                       description="Fit a scenario to a CRM export (one row per stage entry); write the "
                       "commented scenario, fit_report.md and fit_durations.png next to it.")
    p.add_argument("history", help="opportunity history, CSV or Parquet")
    p.add_argument("--out", type=Path, required=True, metavar="FITTED.yaml", help="scenario file to write")
    p.add_argument("--mapping", help="column mapping YAML (Salesforce, HubSpot or other names)")
    p.add_argument("--accounts", help="subscription table: account_id, event, at, arr_delta[, segment]")
    p.add_argument("--reps", help="rep table: rep, role[, hired, left] (headcount)")
    p.add_argument("--as-of", help="extraction date (default: the last timestamp in the history)")
    p.add_argument("--name", default="fitted", help="the scenario's name (default: fitted)")
    p.add_argument("--into", metavar="SCENARIO", help="write the fitted funnel, arrivals, durations and work hours "
                   "into this organization scenario (keeping its roles, costs, working time and customer side) "
                   "instead of a stand-alone scenario")
    p.add_argument("--force", action="store_true", help="replace FITTED.yaml, fit_report.md and fit_durations.png "
                   "if salesim wrote them earlier (never anything else)")

    e = sub.add_parser("export-crm", help="write a run's leads as a CRM opportunity history",
                       description="Turn the --out folder of `salesim run` into the history format "
                       "`salesim calibrate` reads.")
    e.add_argument("run_dir", type=Path, help="folder written by `salesim run SCENARIO --out DIR`")
    e.add_argument("--out", type=Path, required=True, metavar="HISTORY.csv", help="CSV (or .parquet) to write")
    e.add_argument("--accounts-out", type=Path, metavar="SUBSCRIPTIONS.csv",
                   help="also write the run's customer accounts as a subscription table (for --accounts)")
    e.add_argument("--start", default="2024-01-01", help="calendar date of the run's day 0 (default 2024-01-01)")
    e.add_argument("--force", action="store_true", help="replace output files that salesim wrote earlier")

    b = sub.add_parser("backtest", help="fit on history up to a date and score the simulated months after it",
                       description="The forecast at a past date: run `salesim forecast --as-of DATE` (at least "
                       "200 runs) and score its monthly bookings and wins against what happened and against two "
                       "naive forecasts; then fit a scenario on the history up to --train-until, simulate it "
                       "from the history's first day to its end --runs times, and score the held-out months "
                       "(coverage of the 80%% and 95%% bands, CRPS) for deals created, wins, bookings and the "
                       "pipeline by stage.")
    b.add_argument("history", help="opportunity history, CSV or Parquet")
    b.add_argument("--train-until", required=True, metavar="DATE", help="last date of the training period")
    b.add_argument("--out", type=Path, required=True, metavar="DIR",
                   help="folder for backtest.md, backtest_cells.csv and backtest_fitted.yaml")
    b.add_argument("--mapping", help="column mapping YAML")
    b.add_argument("--as-of", help="extraction date (default: the last timestamp in the history)")
    b.add_argument("--runs", type=whole(2, 100_000), default=50, help="simulated runs (default 50)")
    b.add_argument("--seed", type=whole(0), default=0, help="root seed of the runs (default 0)")
    b.add_argument("--force", action="store_true", help="replace an --out folder that salesim wrote earlier")


def _target(path: Path, suffixes: tuple[str, ...], inputs: Inputs, force: bool, flag: str = "--out") -> Path:
    return file_target(path, flag=flag, inputs=inputs, force=force, suffixes=suffixes)


def calibrate(history: str, mapping: str | None = None, accounts: str | None = None, reps: str | None = None,
              as_of: str | None = None):
    """Load, check and fit (shared with ``salesim backtest``)."""
    from sim.calibration.fit import fit_history
    from sim.calibration.io import load_history
    from sim.calibration.mapping import load_mapping

    m = load_mapping(mapping)
    h = load_history(history, m, as_of)  # checks --as-of
    fit = fit_history(h, m, reps_file=reps, accounts_file=accounts)
    warn_history(fit.history)  # after the fit: it finds problems of its own (a capped duration, a stage without rows)
    return fit


def warn_history(history) -> None:
    """Print each problem the history's reader found (one line each on stderr): shared by
    `calibrate` and `forecast`, which read the same kind of file."""
    for issue in history.issues:
        print(f"salesim: warning: {history.file}: {issue}", file=sys.stderr)


def run_calibrate(args: argparse.Namespace) -> int:
    from sim.extras import require

    require("calibration")
    import yaml

    from sim.calibration.report import report_text
    from sim.calibration.scenario_writer import scenario_text
    from sim.cli.calibration_plots import durations_figure
    from sim.plots.canvas import DPI
    from sim.scenario import validate_data

    inputs = Inputs.of(files=(args.history, args.mapping, args.accounts, args.reps, args.into))
    out = _target(args.out, (".yaml", ".yml"), inputs, args.force)
    report = _target(out.with_name("fit_report.md"), (".md",), inputs, args.force, "--out (its report)")
    figure = _target(out.with_name("fit_durations.png"), (".png",), inputs, args.force, "--out (its figure)")
    fit = calibrate(args.history, args.mapping, args.accounts, args.reps, args.as_of)
    text = scenario_text(fit, name=args.name)
    if args.into is not None:
        from sim.calibration.merge import merged_text

        text, notes = merged_text(fit, args.into, args.name)
        for n in notes:
            print(f"salesim: note: --into {args.into}: {n}", file=sys.stderr)
    validate_data(yaml.safe_load(text), file=str(out))  # never write a scenario that does not load
    fig = durations_figure(fit)
    write_files([(out, text_writer(text)), (report, text_writer(report_text(fit, out.name))),
                 (figure, lambda tmp: fig.savefig(tmp, format="png", dpi=DPI))], by="salesim calibrate")
    print(f"fitted {len(fit.paths.opps)} opportunities ({len(fit.history.issues)} kind(s) of data problem, "
          f"see the report)\nwrote {out}, {report}, {figure}")
    return 0


def run_export(args: argparse.Namespace) -> int:
    from sim.calibration.export import history_from_run, subscriptions_from_run

    inputs = Inputs.of(folders=(args.run_dir,))
    out = _target(args.out, (".csv", ".parquet"), inputs, args.force)
    subs_out = (_target(args.accounts_out, (".csv", ".parquet"), inputs, args.force, "--accounts-out")
                if args.accounts_out else None)
    if subs_out is not None and subs_out.resolve() == out.resolve():
        raise UsageError(f"--accounts-out {subs_out}: is the same file as --out; give two names")
    df = history_from_run(args.run_dir, start=args.start)
    subs = subscriptions_from_run(args.run_dir, start=args.start) if subs_out else None
    items = [(out, frame_writer(df, out))]
    if subs_out is not None:
        items.append((subs_out, frame_writer(subs, subs_out)))
    write_files(items, by="salesim export-crm")
    print(f"wrote {out}: {len(df)} stage entries of {df['opportunity_id'].nunique()} opportunities")
    if subs_out is not None and subs is not None:
        print(f"wrote {subs_out}: {len(subs)} subscription events of {subs['account_id'].nunique()} accounts")
    return 0


def run_backtest(args: argparse.Namespace) -> int:
    from sim.extras import require

    require("calibration")
    from sim.calibration.backtest import report_text, run_backtest
    from sim.calibration.io import load_history
    from sim.calibration.mapping import load_mapping
    from sim.calibration.report import md_table
    out = folder_target(args.out, inputs=Inputs.of(files=(args.history, args.mapping)), force=args.force)
    m = load_mapping(args.mapping)
    h = load_history(args.history, m, args.as_of)
    bt = run_backtest(h, args.train_until, m, runs=args.runs, seed=args.seed)
    warn_history(bt.fit.history if getattr(bt, "fit", None) is not None else h)
    fc_scores = _forecast_scores(h, m, args)
    fc_md = ("## The forecast at the cut (`salesim forecast --as-of " + args.train_until + "`)\n\n"
             "What `salesim forecast` would have said on that date, scored on the months that followed "
             "(bookings and wins), next to two naive forecasts.\n\n" + md_table(fc_scores, ".3f")
             + "\n\n## The fitted scenario replayed from the history's first day\n\n") \
        if not fc_scores.empty else ""
    with staged_folder(out, by="salesim backtest") as tmp:  # all files or none
        (tmp / "backtest_fitted.yaml").write_text(bt.scenario_yaml, encoding="utf-8")
        bt.cells.to_csv(tmp / "backtest_cells.csv", index=False)
        fc_scores.to_csv(tmp / "backtest_forecast.csv", index=False)
        text = report_text(bt, args.train_until)
        head, _, rest = text.partition("\n\n")
        (tmp / "backtest.md").write_text(head + "\n\n" + fc_md + rest, encoding="utf-8")
    if not fc_scores.empty:
        print(f"The forecast at {args.train_until} (salesim forecast --as-of), scored on the months after it:")
        print(fc_scores.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
        print("\nThe fitted scenario replayed from the history's first day:")
    s = bt.summary()
    print(s.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print(f"\ncoverage of the 80% band {bt.coverage(80):.0%}, of the 95% band {bt.coverage(95):.0%} "
          f"({len(bt.cells)} cells)\nwrote {args.out}/backtest.md, backtest_cells.csv, backtest_forecast.csv, "
          "backtest_fitted.yaml")
    return 0


def _forecast_scores(h, m, args: argparse.Namespace):
    """The forecast run at the cut, to the history's end, scored on bookings and wins (empty when the
    history holds no whole month after the cut)."""
    import pandas as pd

    from sim.calibration.forecast import run_forecast

    until = h.as_of.floor("D") + pd.Timedelta(days=1)
    cut = pd.Timestamp(args.train_until, tz="UTC")
    if until - cut > pd.Timedelta(days=3 * 366):
        until = cut + pd.Timedelta(days=3 * 366)
    from sim.calibration.mapping import DataError
    from sim.errors import UsageError

    try:
        fc = run_forecast(h, args.train_until, m, until=str(until.date()), runs=max(args.runs, 200),
                          seed=args.seed)
    except (UsageError, DataError) as exc:  # the replay below still scores the cut
        print(f"salesim: warning: the forecast at {args.train_until} could not be made: {exc}", file=sys.stderr)
        return pd.DataFrame()
    parts = []
    for metric in ("bookings_usd", "wins"):
        s = fc.scores(metric)
        if not s.empty:
            parts.append(s.rename(columns={"crps_usd": "crps"}).assign(metric=metric))
    if not parts:
        return pd.DataFrame()
    t = pd.concat(parts, ignore_index=True)
    return t[["metric", "forecast", "cells", "coverage_80", "coverage_95", "crps"]]


COMMANDS = {"calibrate": run_calibrate, "export-crm": run_export, "backtest": run_backtest}
