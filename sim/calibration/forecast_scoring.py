"""The yardsticks of a forecast scored at a past date (a backtest): the actual bookings and wins of
each whole month after it, and two naive forecasts - last quarter's run rate, and the open pipeline
weighted by its stages' win rates and timed by the mean days to a win."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.calibration.fit import Fit
from sim.calibration.forecast_draws import conversions, p_from
from sim.calibration.io import History
from sim.calibration.paths import WON
from sim.calibration.quarter_end import won_at


def actual_months(h: History, fit: Fit, cut: pd.Timestamp, last: pd.Timestamp, months: pd.PeriodIndex) -> pd.DataFrame:
    """Actual bookings and wins per whole month after the forecast date (a month the history ends in
    is left out: it is not over)."""
    w = won_at(h, fit.order)
    w = w[(w["won_at"] >= cut) & (w["won_at"] < last)]
    per = w["won_at"].dt.tz_convert(None).dt.to_period("M")
    rows = []
    for m in months:
        if m.end_time.tz_localize("UTC") > last + pd.Timedelta(days=1):
            continue
        sel = per == m
        rows.append({"month": str(m), "bookings_usd": float(w.loc[sel, "amount"].fillna(0).sum()),
                     "wins": int(sel.sum())})
    return pd.DataFrame(rows)


def naive_forecasts(fit: Fit, h: History, d: pd.DataFrame, cut: pd.Timestamp, months: pd.PeriodIndex,
           count: bool = False) -> dict:
    """Two naive point forecasts of monthly bookings (or, with ``count``, wins): last quarter's run
    rate; the open pipeline weighted by its stages' win rates and timed by the mean days to a win (no
    new deals)."""
    w = won_at(h, fit.order)
    last_q = w[(w["won_at"] >= cut - pd.Timedelta(days=91)) & (w["won_at"] < cut)]
    run_rate = (len(last_q) if count else float(last_q["amount"].fillna(0).sum())) / 3.0
    conv = conversions(fit, None)
    weighted = np.zeros(len(months))
    f = fit.cycle.get(WON)
    mean_win = f.mean if f is not None else 0.0
    for seg, k, v, age in zip(d["segment"], d["reached"], d["value"], d["age_days"], strict=True):
        when = cut + pd.to_timedelta(max(mean_win - age, 0.0), unit="D")
        i = months.get_indexer([when.tz_convert(None).to_period("M")])[0]
        if i >= 0:
            weighted[i] += p_from(fit, conv, seg, int(k)) * (1.0 if count else v)
    return {"last quarter's run rate": np.full(len(months), run_rate),
            "stage-weighted open pipeline": weighted}
