"""``salesim forecast``: bookings from the open pipeline at a date, against plan.

Presentation only: the work is in :mod:`sim.calibration.forecast`. Prints the
quarter bands, P(hit plan), pipeline coverage, forecast categories and the
roll-up per rep, manager and region; with ``--out`` also writes them (and
the month bands and every open deal) as files. When the history goes on past
``--as-of`` the forecast is scored against what happened, next to two naive
forecasts.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.cli.study_args import whole
from sim.outpaths import Inputs, folder_target, staged_folder


def add_parsers(sub) -> None:
    p = sub.add_parser("forecast", help="forecast bookings from the open pipeline at a date, against plan",
                       description="Cut the history at --as-of, fit it, and simulate the open deals (each in its "
                       "stage, at its age, with its owner and amount) and new arrivals to --until: bookings and "
                       "new ARR by month and quarter as bands, P(hit plan), pipeline coverage, forecast "
                       "categories, roll-up per rep, manager and region. A past --as-of is a backtest: the "
                       "months the history holds are scored against two naive forecasts.")
    p.add_argument("history", help="opportunity history, CSV or Parquet")
    p.add_argument("--as-of", required=True, metavar="DATE", help="the forecast date (today, or a past date)")
    p.add_argument("--mapping", help="column mapping YAML")
    p.add_argument("--plan", metavar="FILE", help="CSV with quarter (2025Q3) and bookings_usd")
    p.add_argument("--until", metavar="DATE", help="end of the forecast (default: the end of the second quarter "
                   "after --as-of)")
    p.add_argument("--runs", type=whole(10, 100_000), default=200, help="Monte Carlo runs (default 200)")
    p.add_argument("--engine", action="store_true", help="run each replication through the simulation engine: "
                   "the fitted scenario starting from the open pipeline at --as-of (initial_pipeline) instead of "
                   "the separate Monte Carlo; slower, and on the shipped sample a little less well "
                   "calibrated (see docs/how-to/forecast-a-quarter.md)")
    p.add_argument("--seed", type=whole(0), default=0, help="root seed (default 0)")
    p.add_argument("--out", type=Path, metavar="DIR", help="also write forecast.md and the tables as CSV here")
    p.add_argument("--force", action="store_true", help="replace an --out folder that salesim wrote earlier")


def _money(v: float) -> str:
    if v != v:  # no value (a quarter without a plan): a dash, not "$nank"
        return "-"
    return f"${v / 1e6:,.2f}M" if abs(v) >= 1e6 else f"${v / 1e3:,.1f}k"


def _table(df, money: tuple[str, ...] = (), pct: tuple[str, ...] = ()) -> str:
    t = df.copy()
    for c in money:
        if c in t:
            t[c] = t[c].map(_money)
    for c in pct:
        if c in t:
            t[c] = t[c].map(lambda v: "" if v != v else f"{v:.0%}")
    return t.to_string(index=False)


def sections(fc) -> list[tuple[str, str]]:
    from sim.calibration.forecast import QUARTER_END_P

    q = fc.quarters()
    out = [("Bookings (new ARR) by quarter: 80% band", _table(q, ("p10", "median", "p90", "mean", "plan_usd"),
                                                              ("p_hit_plan",)))]
    mb = fc.month_bands()
    b = mb[mb["metric"] == "bookings_usd"][["month", "p2_5", "p10", "median", "p90", "p97_5"]]
    out.append(("Bookings by month", _table(b, ("p2_5", "p10", "median", "p90", "p97_5"))))
    rev = mb[mb["metric"] == "recognized_revenue_usd"][["month", "p10", "median", "p90"]]
    out.append(("Recognized revenue from wins after the forecast date, by month", _table(rev, ("p10", "median",
                                                                                               "p90"))))
    cov = fc.coverage()
    if not cov.empty:
        out.append(("Pipeline coverage (open pipeline / plan of the quarters from --as-of)",
                    _table(cov, ("open_pipeline_usd", "remaining_plan_usd"))))
    out.append((f"Forecast categories (P(win by {fc.until:%Y-%m-%d}): commit >= 0.7, best case >= 0.4)",
                _table(fc.categories(), ("amount_usd", "expected_usd"))))
    for by in ("region", "manager", "owner"):
        r = fc.roll_up(by)
        if not r.empty:
            out.append((f"Open pipeline by {by}", _table(r.head(15), ("amount_usd", "expected_usd", "commit_usd"))))
    s = fc.scores()
    if not s.empty:
        out.append(("Backtest: monthly bookings against what happened (CRPS: lower is better)",
                    _table(s, ("crps_usd",), ("coverage_80", "coverage_95"))))
        w = fc.scores("wins").rename(columns={"crps_usd": "crps_wins"}).round({"crps_wins": 1})
        out.append(("Backtest: monthly wins against what happened",
                    _table(w, (), ("coverage_80", "coverage_95"))))
    qe = fc.quarter_end
    if qe is not None:
        out.append(("Quarter-end pattern of wins (last month of a quarter against its neighbours)",
                    f"daily rate x{qe.ratio:.2f} over {qe.quarters} quarter end(s); "
                    f"{qe.last} wins against {qe.neighbours} in the neighbouring months; p = {qe.p_value:.2g}: "
                    + ("applied (each quarter's total kept)" if qe.significant
                       else f"not applied (p >= {QUARTER_END_P})")))
    return out


def run_forecast_cmd(args: argparse.Namespace) -> int:
    from sim.extras import require

    require("calibration")
    from sim.calibration.forecast import read_plan, run_forecast
    from sim.calibration.io import load_history
    from sim.calibration.mapping import load_mapping
    from sim.cli.calibrate_cmd import warn_history

    out = folder_target(args.out, inputs=Inputs.of(files=(args.history, args.mapping, args.plan)),
                        force=args.force) if args.out is not None else None
    m = load_mapping(args.mapping)
    plan = read_plan(args.plan) if args.plan else None
    h = load_history(args.history, m)
    if args.engine:
        from sim.calibration.forecast_engine import run_engine_forecast

        fc = run_engine_forecast(h, args.as_of, m, until=args.until, plan=plan, runs=args.runs, seed=args.seed)
    else:
        fc = run_forecast(h, args.as_of, m, until=args.until, plan=plan, runs=args.runs, seed=args.seed)
    warn_history(fc.fit.history)
    parts = sections(fc)
    text = "\n\n".join(f"{title}\n{body}" for title, body in parts)
    print(f"forecast from {fc.as_of:%Y-%m-%d} to {fc.until:%Y-%m-%d}: {len(fc.open_deals)} open deals, "
          f"{args.runs} {'simulations of the fitted scenario from the open pipeline' if args.engine else 'runs'}"
          f"\n\n{text}")
    if out is not None:
        with staged_folder(out, by="salesim forecast") as tmp:
            (tmp / "forecast.md").write_text("\n\n".join(f"## {t}\n\n```\n{b}\n```" for t, b in parts) + "\n",
                                             encoding="utf-8")
            fc.month_bands().to_csv(tmp / "forecast_months.csv", index=False)
            fc.quarters().to_csv(tmp / "forecast_quarters.csv", index=False)
            fc.open_deals.drop(columns=[c for c in ("created", "closed") if c in fc.open_deals]).to_csv(
                tmp / "open_deals.csv", index=False)
        print(f"\nwrote {out}/forecast.md, forecast_months.csv, forecast_quarters.csv, open_deals.csv",
              file=sys.stdout)
    return 0


COMMANDS = {"forecast": run_forecast_cmd}
