"""Backtest: fit on the history up to a date, simulate on, score the held-out months.

The fitted scenario starts empty, like the history's first day, so each run
replays the whole span (the training period is its warm-up) and only the
months after the cut are scored. The actuals and every simulated run are
measured by the same function on the same canonical rows (a run goes through
:func:`~sim.calibration.export.history_from_tables` first), so the two sides
cannot differ in definitions: per month, deals created, wins and bookings
(by close date) and the open pipeline by stage at the month's end.

Each run draws the conversions and arrival rates from their posteriors
(:func:`posterior_draw`), so the spread of the runs includes the fit's
estimation error; durations and deal values are taken as fitted.

Scores per (metric, month): whether the actual falls inside the central 80%
and 95% bands of the runs (coverage; a calibrated model covers about 80% and
95% of the cells), and the CRPS of the run ensemble (a proper score: lower is
better, in the metric's unit; ``CRPS = E|X - y| - E|X - X'| / 2``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import yaml

from sim.calibration.export import history_from_tables
from sim.calibration.fit import Fit, fit_history
from sim.calibration.io import History, parse_as_of
from sim.calibration.mapping import DataError, Mapping
from sim.calibration.report import md_code, md_table
from sim.calibration.scenario_writer import scenario_text
from sim.errors import UsageError
from sim.units import DAYS_PER_WEEK, MAX_HORIZON_WEEKS


def train_part(h: History, cut: pd.Timestamp) -> History:
    """The history as it looked at ``cut``: later entries gone, later outcomes still open."""
    r = h.rows[h.rows["entered_at"] <= cut].copy()
    if "created_at" in r:
        r = r[r["created_at"].isna() | (r["created_at"] <= cut)]
    if "closed_at" in r:
        later = r["closed_at"] > cut
        r.loc[later, "closed_at"] = pd.NaT
        r.loc[later, "outcome"] = "open"
    return History(rows=r.reset_index(drop=True), issues=list(h.issues), file=h.file, as_of=cut,
                   rows_read=h.rows_read)


def monthly(rows: pd.DataFrame, order: list[str], start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Per month from ``start`` (cut into calendar months, clipped to [start, end)): created,
    wins, bookings and the open pipeline per stage at the month's end."""
    r = rows[~rows["lost_stage"]] if "lost_stage" in rows else rows
    g = r.groupby("opportunity_id")
    created = g["created_at"].min().fillna(g["entered_at"].min()) if "created_at" in r else g["entered_at"].min()
    outcome = g["outcome"].last().fillna("open")
    win_stage = order[-1]
    won_at = r[r["stage"] == win_stage].groupby("opportunity_id")["entered_at"].min()
    closed = g["closed_at"].max() if "closed_at" in r else pd.Series(pd.NaT, index=created.index)
    won_at = won_at.reindex(created.index).fillna(closed.where(outcome == "won"))
    ended = won_at.fillna(closed.where(outcome == "lost"))
    amount = g["amount"].last() if "amount" in r else pd.Series(0.0, index=created.index)
    edges = [start] + list(pd.date_range(start.normalize() + pd.offsets.MonthBegin(1), end, freq="MS")) + [end]
    edges = sorted({e for e in edges if start <= e <= end})
    stage_rows = r[r["stage"].isin(order[:-1])].sort_values("entered_at")
    out = []
    for a, b in zip(edges[:-1], edges[1:], strict=False):
        w = (won_at >= a) & (won_at < b) & (outcome == "won")
        rec = {"month": f"{a:%Y-%m}", "created": int(((created >= a) & (created < b)).sum()),
               "wins": int(w.sum()), "bookings_usd": float(amount[w].fillna(0).sum())}
        seen = stage_rows[stage_rows["entered_at"] < b].groupby("opportunity_id")["stage"].last()
        open_ = seen[~(ended.reindex(seen.index) < b)]
        counts = open_.value_counts()
        for s in order[:-1]:
            rec[f"pipeline_{s}"] = int(counts.get(s, 0))
        out.append(rec)
    return pd.DataFrame(out)


def crps(ensemble: np.ndarray, y: float) -> float:
    x = np.sort(np.asarray(ensemble, dtype=float))
    n = len(x)
    # E|X - X'| from the sorted sample in O(n): sum_i (2i - n - 1) x_i * 2 / n^2
    spread = 2.0 * np.sum((2 * np.arange(1, n + 1) - n - 1) * x) / n**2
    return float(np.mean(np.abs(x - y)) - 0.5 * spread)


@dataclass
class Backtest:
    fit: Fit
    scenario_yaml: str
    actual: pd.DataFrame  # month x metric
    runs: list[pd.DataFrame]
    cells: pd.DataFrame  # one row per (metric, month): actual, quantiles, hits, crps

    def summary(self) -> pd.DataFrame:
        """Per metric: cells, coverage of the 80% and 95% bands, mean CRPS (and relative to the mean actual)."""
        c = self.cells
        s = c.groupby("metric", sort=False).agg(cells=("actual", "size"), coverage_80=("in_80", "mean"),
                                                 coverage_95=("in_95", "mean"), crps=("crps", "mean"),
                                                 mean_actual=("actual", "mean"))
        s["crps_relative"] = s["crps"] / s["mean_actual"].where(s["mean_actual"] > 0)
        return s.reset_index()

    def coverage(self, level: int = 80) -> float:
        return float(self.cells[f"in_{level}"].mean())


def rotate_seasonality(data: dict, start: pd.Timestamp) -> dict:
    """The simulation's day 0 is January 1 for seasonality: start the profile at the history's month."""
    shift = start.month - 1
    for src in data.get("sources", {}).values():
        s = src.get("seasonality_monthly")
        if s:
            src["seasonality_monthly"] = [s[(shift + i) % 12] for i in range(12)]
    return data


def posterior_draw(data: dict, fit: Fit, rng: np.random.Generator) -> dict:
    """One run's scenario with conversions and arrival rates drawn from their posteriors
    (Jeffreys priors: Beta(x + 1/2, n - x + 1/2), Gamma(n + 1/2) per observed week), so the
    bands carry the fit's estimation error, not only the simulation's noise."""
    import copy

    d = copy.deepcopy(data)
    conv = fit.conversion[fit.conversion["source"] == "*"].set_index(["segment", "step"])
    ref = fit.reference_rates.set_index(["segment", "step"]) if len(fit.reference_rates) else None
    for seg, body in d["segments"].items():
        for step, spec in body["steps"].items():
            key = (seg, step)
            row = ref.loc[key] if ref is not None and key in ref.index else conv.loc[key] if key in conv.index else None
            if row is not None and row["n"] > 0:
                spec["conversion_probability"] = float(rng.beta(row["x"] + 0.5, row["n"] - row["x"] + 0.5))
    for src, body in d["sources"].items():
        a = fit.arrivals.get(src)
        if a is not None and a["n"] > 0:  # the fitted rate (with its month profile) scaled by the count's posterior
            body["rate_per_week"] = float(a["rate_per_week"] * rng.gamma(a["n"] + 0.5) / a["n"])
    return d


def run_backtest(h: History, train_until: str, mapping: Mapping | None = None, runs: int = 50,
                 seed: int = 0) -> Backtest:
    """Fit on rows up to ``train_until``, simulate ``runs`` times to the extraction date, score."""
    import sim

    cut = parse_as_of(train_until, flag="--train-until")
    if cut is None:
        raise UsageError("--train-until: expected a date such as 2025-01-01")
    if h.rows.empty:
        raise DataError(f"{h.file}: no usable rows left after the checks:\n{h.report()}")
    start = h.rows["entered_at"].min().floor("D")
    if "created_at" in h.rows and h.rows["created_at"].notna().any():
        start = min(start, h.rows["created_at"].min().floor("D"))
    if not start < cut < h.as_of:
        raise UsageError(f"--train-until {train_until}: must fall inside the history "
                         f"({start:%Y-%m-%d} to {h.as_of:%Y-%m-%d})")
    if (h.as_of - cut) < pd.Timedelta(days=1) or (cut - start) < pd.Timedelta(days=1):
        raise UsageError(f"--train-until {train_until}: leaves less than a day "
                         f"{'to score' if (h.as_of - cut) < pd.Timedelta(days=1) else 'to fit on'} "
                         f"(the history runs from {start:%Y-%m-%d %H:%M} to {h.as_of:%Y-%m-%d %H:%M} UTC)")
    try:
        fit = fit_history(train_part(h, cut), mapping)
    except DataError as exc:
        raise DataError(f"--train-until {train_until}: the rows up to this date cannot be fitted: {exc}") from None
    text = scenario_text(fit, name="backtest")
    data = yaml.safe_load(text)
    if "calendar" in data:  # the fitted scenario starts on the history's first day: its months line up
        data["calendar"]["start_date"] = f"{start:%Y-%m-%d}"
    else:
        data = rotate_seasonality(data, start)
    weeks = (h.as_of - start).total_seconds() / 86400.0 / DAYS_PER_WEEK
    data["horizon_weeks"] = min(float(MAX_HORIZON_WEEKS), weeks)
    for step in data["steps"].values():  # the fitted times in stage hold the queueing: no roles to bind
        step["role"] = None
    data.pop("roles", None)
    for seg in data["segments"].values():
        for spec in seg["steps"].values():
            spec.pop("work_hours", None)
    scenario = sim.validate_data(data)
    actual = monthly(h.rows, fit.order, cut, h.as_of)
    sims = []
    root = np.random.SeedSequence(seed)
    params = np.random.Generator(np.random.PCG64(root.spawn(1)[0]))  # the runs' parameter draws
    for ss in root.spawn(runs):
        res = sim.simulate(sim.validate_data(posterior_draw(data, fit, params)), seed=ss)
        rows = history_from_tables(res.events, res.leads, scenario.stages, start=str(start.date()), as_text=False)
        sims.append(monthly(rows, fit.order, cut, h.as_of))
    cells = []
    for metric in [c for c in actual.columns if c != "month"]:
        for i, month in enumerate(actual["month"]):
            x = np.array([s[metric].iloc[i] for s in sims], dtype=float)
            y = float(actual[metric].iloc[i])
            q = np.quantile(x, [0.025, 0.1, 0.5, 0.9, 0.975])
            cells.append({"metric": metric, "month": month, "actual": y, "median": q[2], "p10": q[1], "p90": q[3],
                          "p2_5": q[0], "p97_5": q[4], "in_80": bool(q[1] <= y <= q[3]),
                          "in_95": bool(q[0] <= y <= q[4]), "crps": crps(x, y)})
    return Backtest(fit, text, actual, sims, pd.DataFrame(cells))


def report_text(bt: Backtest, cut: str) -> str:
    s = bt.summary()
    lines = [f"# Backtest: fitted on {md_code(bt.fit.history.file)} up to {md_code(cut)}", "",
             f"{len(bt.runs)} simulated runs of the scenario fitted on the training rows (`backtest_fitted.yaml`), "
             "scored on the months after the cut. A calibrated model has about 80% and 95% of cells inside the "
             "80% and 95% bands; CRPS is in the metric's unit (lower is better).", "",
             md_table(s, ".3f"), "", "## Every cell", "",
             md_table(bt.cells, ".2f"), ""]
    return "\n".join(lines)
