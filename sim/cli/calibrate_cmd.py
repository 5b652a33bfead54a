"""``salesim calibrate`` and ``salesim export-crm``: a scenario from CRM history, and a
run's leads as CRM history (so the round trip can be tried by anyone).

Presentation only: the work is in :mod:`sim.calibration`. Problems with the
data that the fit works around are printed as warnings (stderr) and listed
in the report; a file the fit cannot use is an exit-2 message.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

from sim.cli.study_args import whole
from sim.errors import UsageError
from sim.outpaths import check_parent, make_parent


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

    e = sub.add_parser("export-crm", help="write a run's leads as a CRM opportunity history",
                       description="Turn the --out folder of `salesim run` into the history format "
                       "`salesim calibrate` reads.")
    e.add_argument("run_dir", type=Path, help="folder written by `salesim run SCENARIO --out DIR`")
    e.add_argument("--out", type=Path, required=True, metavar="HISTORY.csv", help="CSV (or .parquet) to write")
    e.add_argument("--accounts-out", type=Path, metavar="SUBSCRIPTIONS.csv",
                   help="also write the run's customer accounts as a subscription table (for --accounts)")
    e.add_argument("--start", default="2024-01-01", help="calendar date of the run's day 0 (default 2024-01-01)")

    b = sub.add_parser("backtest", help="fit on history up to a date and score the simulated months after it",
                       description="Fit a scenario on the history up to --train-until, simulate to the end of "
                       "the history --runs times, and score the held-out months (coverage of the 80%% and 95%% "
                       "bands, CRPS) for deals created, wins, bookings and the pipeline by stage.")
    b.add_argument("history", help="opportunity history, CSV or Parquet")
    b.add_argument("--train-until", required=True, metavar="DATE", help="last date of the training period")
    b.add_argument("--out", type=Path, required=True, metavar="DIR",
                   help="folder for backtest.md, backtest_cells.csv and backtest_fitted.yaml")
    b.add_argument("--mapping", help="column mapping YAML")
    b.add_argument("--as-of", help="extraction date (default: the last timestamp in the history)")
    b.add_argument("--runs", type=whole(2, 100_000), default=50, help="simulated runs (default 50)")
    b.add_argument("--seed", type=whole(0), default=0, help="root seed of the runs (default 0)")


def _target(path: Path, suffixes: tuple[str, ...], flag: str = "--out") -> Path:
    if path.is_dir():
        raise UsageError(f"{flag} {path}: is a folder; give a file name ending in {' or '.join(suffixes)}")
    if path.suffix.lower() not in suffixes:
        raise UsageError(f"{flag} {path}: expected a file name ending in {' or '.join(suffixes)}")
    check_parent(path, flag)
    return path


def write_text(path: Path, text: str) -> None:
    """Atomic text file: a temporary sibling renamed into place."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.resolve().parent)
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def calibrate(history: str, mapping: str | None = None, accounts: str | None = None, reps: str | None = None,
              as_of: str | None = None):
    """Load, check and fit (shared with ``salesim backtest``)."""
    from sim.calibration.fit import fit_history
    from sim.calibration.io import load_history
    from sim.calibration.mapping import load_mapping

    m = load_mapping(mapping)
    if as_of is not None:
        import pandas as pd

        try:
            pd.Timestamp(as_of)
        except ValueError:
            raise UsageError(f"--as-of {as_of!r}: expected a date such as 2025-06-30") from None
    h = load_history(history, m, as_of)
    for issue in h.issues:
        print(f"salesim: warning: {h.file}: {issue}", file=sys.stderr)
    return fit_history(h, m, reps_file=reps, accounts_file=accounts)


def run_calibrate(args: argparse.Namespace) -> int:
    import yaml

    from sim.calibration.report import report_text
    from sim.calibration.scenario_writer import scenario_text
    from sim.cli.calibration_plots import plot_durations
    from sim.scenario import validate_data

    out = _target(args.out, (".yaml", ".yml"))
    fit = calibrate(args.history, args.mapping, args.accounts, args.reps, args.as_of)
    text = scenario_text(fit, name=args.name)
    validate_data(yaml.safe_load(text), file=str(out))  # never write a scenario that does not load
    report = out.with_name("fit_report.md")
    figure = out.with_name("fit_durations.png")
    make_parent(out, "--out")
    plot_durations(fit, figure)
    write_text(report, report_text(fit, out.name))
    write_text(out, text)
    print(f"fitted {len(fit.paths.opps)} opportunities ({len(fit.history.issues)} kind(s) of data problem, "
          f"see the report)\nwrote {out}, {report}, {figure}")
    return 0


def run_export(args: argparse.Namespace) -> int:
    from sim.calibration.export import history_from_run, subscriptions_from_run, write_history

    out = _target(args.out, (".csv", ".parquet"))
    subs_out = _target(args.accounts_out, (".csv", ".parquet"), "--accounts-out") if args.accounts_out else None
    df = history_from_run(args.run_dir, start=args.start)
    subs = subscriptions_from_run(args.run_dir, start=args.start) if subs_out else None
    make_parent(out, "--out")
    write_history(df, out)
    print(f"wrote {out}: {len(df)} stage entries of {df['opportunity_id'].nunique()} opportunities")
    if subs_out is not None:
        make_parent(subs_out, "--accounts-out")
        write_history(subs, subs_out)
        print(f"wrote {subs_out}: {len(subs)} subscription events of {subs['account_id'].nunique()} accounts")
    return 0


def run_backtest(args: argparse.Namespace) -> int:
    from sim.calibration.backtest import report_text, run_backtest
    from sim.calibration.io import load_history
    from sim.calibration.mapping import load_mapping
    from sim.cli.output import check_target

    check_target(args.out, force=False)
    m = load_mapping(args.mapping)
    h = load_history(args.history, m, args.as_of)
    for issue in h.issues:
        print(f"salesim: warning: {h.file}: {issue}", file=sys.stderr)
    bt = run_backtest(h, args.train_until, m, runs=args.runs, seed=args.seed)
    make_parent(args.out / "x", "--out")
    tmp = Path(tempfile.mkdtemp(prefix=f".{args.out.name}.", dir=args.out.resolve().parent))
    try:  # all three files or none
        (tmp / "backtest_fitted.yaml").write_text(bt.scenario_yaml)
        bt.cells.to_csv(tmp / "backtest_cells.csv", index=False)
        (tmp / "backtest.md").write_text(report_text(bt, args.train_until))
        os.chmod(tmp, 0o755)
        if args.out.exists():
            args.out.rmdir()  # empty (checked above)
        os.replace(tmp, args.out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    s = bt.summary()
    print(s.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print(f"\ncoverage of the 80% band {bt.coverage(80):.0%}, of the 95% band {bt.coverage(95):.0%} "
          f"({len(bt.cells)} cells)\nwrote {args.out}/backtest.md, backtest_cells.csv, backtest_fitted.yaml")
    return 0


COMMANDS = {"calibrate": run_calibrate, "export-crm": run_export, "backtest": run_backtest}
