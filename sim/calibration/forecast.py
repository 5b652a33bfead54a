"""A forecast from the open pipeline at a date (``salesim forecast``).

The history is cut at the forecast date (later entries gone, later outcomes
open), fitted, and then each run of a Monte Carlo draws:

* the fit's parameters from their posteriors: conversions (Jeffreys beta),
  the arrival count (gamma), the mean days to a win and to a loss and each
  segment's median deal value (normal on the log scale, from their 95%
  intervals), so the bands carry estimation error and not only chance;
* for each open deal (not stale, see :mod:`sim.calibration.fit_cycle`) in
  stage k at age a: whether it is won, with the probability of a win from
  its stage given that it is still open at age a
  (``p S_win(a) / (p S_win(a) + (1 - p) S_loss(a))``, where p is the
  product of the remaining conversions and S the survival functions of the
  days to a win and to a loss), and when (the days to a win given more than
  a); its value is its amount, else a draw of its segment's deal value;
* new deals arriving from the forecast date, Poisson at the trend line's
  level where the history ends (a local level: held, not extrapolated, since
  a window shorter than a year cannot tell a trend from a season), with the
  month profile when fitted, and with each run's level and each forecast
  month shocked on the log scale by the spread of whole months around the
  fit beyond Poisson chance (``month_log_sd``); each new deal is won with
  its entry stage's probability after a draw of the days to a win.

Quarter ends. When the history's wins bunch in the last month of quarters
(tested against each quarter end's two neighbouring months, so a smooth
trend or season cancels out; applied when p < ``QUARTER_END_P``), each run's
wins and bookings are moved between the months of a quarter by the fitted
rate ratio (drawn from its posterior), keeping the quarter's total.

Deals that go stale (open for good, see the stale rule) are a third ending:
their share is measured on the deals old enough to have gone stale, and a
stale deal never closes (its survival is 1), so both the open deals' and
the new deals' chances of a win allow for it.

Bookings (and new ARR: a deal's value is its first-year ACV) and wins land
in the month of the win; recognized revenue is each win's value spread
evenly over the year after it. Quarters are calendar quarters.

Forecast categories split the open pipeline by each deal's probability of
a win before ``until``: commit (at least ``COMMIT``), best case (at least
``BEST_CASE``) and pipeline (the rest): thresholds stated here, not a rep's
judgement.

When the history goes on past the forecast date the forecast is scored
(a backtest): per month, whether the actual bookings fall inside the 80% and
95% bands and the CRPS, next to two naive forecasts (last quarter's monthly
run rate; the open pipeline weighted by its stages' win rates, timed by the
days to a win) whose CRPS is their absolute error.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.calibration.backtest import train_part
from sim.calibration.fit import Fit, fit_history
from sim.calibration.forecast_draws import (
    arrival_rate,
    conversions,
    cycle_dist,
    draw_values,
    lifted,
    log_se,
    mean_value,
    p_from,
    p_open,
    win_after,
)
from sim.calibration.forecast_mixture import LogNormal, fit_mixture, stale_share
from sim.calibration.forecast_result import Forecast
from sim.calibration.forecast_scoring import actual_months, naive_forecasts
from sim.calibration.io import History, parse_as_of
from sim.calibration.mapping import DataError, Mapping
from sim.calibration.paths import OPEN, WON
from sim.calibration.quarter_end import QUARTER_END_P, apply_quarter_end, fit_quarter_end
from sim.errors import UsageError

# the names other modules read here: the result, and what the engine's forecast shares with this one
__all__ = ["BEST_CASE", "COMMIT", "DAY", "MAX_RUNS", "QUARTER_END_P", "Forecast", "arrival_rate", "check_runs",
           "close", "finish", "fit_mixture", "log_se", "month_index", "prepare", "read_plan",
           "recognized_by_month", "run_forecast", "stale_share", "tally_month"]

COMMIT = 0.7
BEST_CASE = 0.4
DAY = pd.Timedelta(days=1)
MAX_RUNS = 100_000


# --------------------------------------------------------------------------- the forecast


def _open_deals(fit: Fit, h: History, cut: pd.Timestamp) -> pd.DataFrame:
    o = fit.paths.opps
    d = o[o["outcome"] == OPEN].copy()
    d["age_days"] = ((cut - d["created"]) / DAY).clip(lower=0.0)
    d["stage"] = [fit.order[k] for k in d["reached"]]
    rows = h.rows
    for col in ("manager", "region", "team"):
        if col in rows:
            last = rows[rows[col].notna()].groupby("opportunity_id")[col].last()
            d[col] = d["opportunity_id"].map(last)
    means = d["segment"].map(lambda s: mean_value(fit, s))
    d["amount_known"] = d["amount"].notna() & (d["amount"] > 0)
    d["value"] = d["amount"].where(d["amount_known"], means).astype(float)
    return d.reset_index(drop=True)


def month_index(t: pd.DatetimeIndex | pd.Series, months: pd.PeriodIndex) -> np.ndarray:
    per = pd.DatetimeIndex(t).tz_convert(None).to_period("M") if pd.DatetimeIndex(t).tz is not None \
        else pd.DatetimeIndex(t).to_period("M")
    pos = months.get_indexer(per)
    return pos


def recognized_by_month(values: np.ndarray, when: pd.DatetimeIndex, months: pd.PeriodIndex,
                        until: pd.Timestamp) -> np.ndarray:
    """Recognized revenue per month: each win's value spread evenly over the 365 days after it."""
    out = np.zeros(len(months))
    if len(values) == 0:
        return out
    naive = when.tz_convert(None) if when.tz is not None else when
    start_ns = naive.asi8
    for i, m in enumerate(months):
        a = m.start_time.value
        b = min(m.end_time.value, until.tz_convert(None).value if until.tzinfo else until.value)
        lo = np.maximum(start_ns, a)
        hi = np.minimum(start_ns + 365 * 86400 * 10**9, b)
        days = np.clip((hi - lo) / (86400 * 10**9), 0, None)
        out[i] = float(np.sum(values * days / 365.0))
    return out


def prepare(h: History, as_of: str, mapping: Mapping | None = None, until: str | None = None):
    """What every forecast starts from: the forecast date and end (checked), the fit of the history up
    to the date, the months forecast and the open deals at the date."""
    cut = parse_as_of(as_of)
    if cut is None:
        raise UsageError("--as-of: expected a date such as 2025-06-30")
    first = h.rows["entered_at"].min()
    if not first < cut:
        raise UsageError(f"--as-of {as_of}: before the history's first entry ({first:%Y-%m-%d})")
    if cut > h.as_of + pd.Timedelta(days=1):
        raise UsageError(f"--as-of {as_of}: after the history's extraction date ({h.as_of:%Y-%m-%d}); a forecast "
                         "starts from what the history knows")
    end = parse_as_of(until, flag="--until") if until is not None else \
        (cut.tz_convert(None).to_period("Q") + 2).end_time.tz_localize("UTC").floor("D") + DAY
    if end is None or end <= cut:
        raise UsageError(f"--until {until}: must be after --as-of {as_of}")
    if end > cut + pd.Timedelta(days=3 * 366):
        raise UsageError(f"--until {until}: at most three years after --as-of")
    try:
        fit = fit_history(train_part(h, cut) if cut < h.as_of else h, mapping)
    except DataError as exc:
        raise DataError(f"--as-of {as_of}: the history up to this date cannot be fitted: {exc}") from None
    months = pd.period_range(cut.tz_convert(None).to_period("M"), (end - pd.Timedelta(seconds=1)).tz_convert(None)
                             .to_period("M"), freq="M")
    return cut, end, fit, months, _open_deals(fit, h, cut)


def tally_month(r: int, when: pd.DatetimeIndex, values: np.ndarray, months: pd.PeriodIndex, end: pd.Timestamp,
                bookings: np.ndarray, wins: np.ndarray, revenue: np.ndarray) -> None:
    """Run ``r``'s wins (their dates and booked values) into its row of bookings, wins and
    recognized revenue by month; wins outside the months are left out."""
    n_m = len(months)
    pos = month_index(when, months)
    ok = pos >= 0
    bookings[r] = np.bincount(pos[ok], weights=values[ok], minlength=n_m)[:n_m]
    wins[r] = np.bincount(pos[ok], minlength=n_m)[:n_m]
    revenue[r] = recognized_by_month(values[ok], when[ok], months, end)


def close(h: History, fit, cut: pd.Timestamp, end: pd.Timestamp, months: pd.PeriodIndex, bookings: np.ndarray,
          wins: np.ndarray, revenue: np.ndarray, d: pd.DataFrame, plan: pd.DataFrame | None, p_hit: np.ndarray,
          runs: int, rng: np.random.Generator) -> Forecast:
    """The runs' monthly arrays made a forecast: quarter-end bunching moved in where the history
    shows it (draws from ``rng``), then :func:`finish`."""
    qe = fit_quarter_end(h, fit, cut, QUARTER_END_P)  # read here when called: a caller may set it
    if qe is not None and qe.significant:
        apply_quarter_end(qe, months, bookings, wins, rng)
    fc = Forecast(fit=fit, as_of=cut, until=end, months=[str(m) for m in months], bookings=bookings, wins=wins,
                  revenue=revenue, open_deals=d, plan=plan, quarter_end=qe)
    return finish(fc, h, p_hit, runs)


def finish(fc: Forecast, h: History, p_hit: np.ndarray, runs: int) -> Forecast:
    """The open deals' chances, categories and, when the history goes on, the actuals and naive forecasts."""
    d, cut, end, fit = fc.open_deals, fc.as_of, fc.until, fc.fit
    months = pd.PeriodIndex(fc.months, freq="M")
    d["p_win"] = p_hit / runs
    d["expected_usd"] = d["p_win"] * d["value"]
    d["category"] = np.where(d["p_win"] >= COMMIT, "commit", np.where(d["p_win"] >= BEST_CASE, "best_case",
                                                                       "pipeline"))
    if h.as_of > cut + pd.Timedelta(days=27):
        fc.actual = actual_months(h, fit, cut, min(end, h.as_of), months)
        fc.naive = naive_forecasts(fit, h, d, cut, months)
        fc.naive_wins = naive_forecasts(fit, h, d, cut, months, count=True)
    return fc


def run_forecast(h: History, as_of: str, mapping: Mapping | None = None, until: str | None = None,
                 plan: pd.DataFrame | None = None, runs: int = 500, seed: int = 0) -> Forecast:
    cut, end, fit, months, d = prepare(h, as_of, mapping, until)
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    horizon = (end - cut) / DAY
    days = pd.date_range(cut.floor("D"), end, freq="D", inclusive="left")
    n_m = len(months)
    bookings, wins, revenue = np.zeros((runs, n_m)), np.zeros((runs, n_m)), np.zeros((runs, n_m))
    p_hit = np.zeros(len(d))
    entries = fit.entries.set_index("source")
    stale = stale_share(fit)
    mix = fit_mixture(fit)
    for r in range(runs):
        conv = conversions(fit, rng)
        wd, ld = cycle_dist(fit, WON, rng), cycle_dist(fit, "lost", rng)
        if mix is not None:  # wins and losses fitted together, drawn from their approximate posterior
            n_w, n_l = mix.n_won, mix.n_lost
            lift = rng.beta(mix.p * (n_w + n_l) + 0.5, (1 - mix.p) * (n_w + n_l) + 0.5) / max(mix.p_closed, 1e-9)
            conv = lifted(fit, conv, lift)
            wd = LogNormal(mix.mu_w + rng.normal(0, mix.sigma_w / np.sqrt(n_w)), mix.sigma_w)
            ld = LogNormal(mix.mu_l + rng.normal(0, mix.sigma_l / np.sqrt(n_l)), mix.sigma_l)
        medians = {}
        for seg, mm in fit.money.items():
            acv = mm.get("acv")
            if acv is not None:
                medians[seg] = float(acv.median * np.exp(rng.normal(0.0, log_se(acv.median_lo, acv.median_hi))))
        vals_all, when_all = [], []
        # the open pipeline
        if len(d):
            q = p_open(fit, d, conv, wd, ld, stale)
            won = rng.random(len(d)) < q
            t = win_after(wd, d["age_days"].to_numpy(dtype=float)[won], rng)
            inside = t < horizon
            p_hit[np.flatnonzero(won)[inside]] += 1
            idx = np.flatnonzero(won)[inside]
            v = d["value"].to_numpy(dtype=float)[idx].copy()
            unknown = ~d["amount_known"].to_numpy()[idx]
            for seg in sorted(set(d["segment"].to_numpy()[idx][unknown])):  # sorted: one draw order in any process
                sel = unknown & (d["segment"].to_numpy()[idx] == seg)
                v[sel] = draw_values(fit, seg, int(sel.sum()), rng, medians.get(seg))
            vals_all.append(v)
            when_all.append(cut + pd.to_timedelta(t[inside], unit="D"))
        # new deals
        for src, a in fit.arrivals.items():
            if a["n"] <= 0 or len(days) == 0:
                continue
            rate = arrival_rate(a, rng) / 7.0
            prof = np.asarray(a["seasonality"])[days.month - 1] if a.get("seasonality") else np.ones(len(days))
            if a.get("month_log_sd"):  # whole months vary beyond Poisson chance (see arrival_rate)
                month_of_day = month_index(days, months)
                shock = np.exp(rng.normal(0.0, a["month_log_sd"], len(months) + 1))
                prof = prof * shock[month_of_day]
            count = rng.poisson(rate * prof)
            if count.sum() == 0:
                continue
            born = np.repeat(days.asi8, count) + (rng.random(count.sum()) * 86400e9).astype(np.int64)
            segs_names = list(a["segment_mix"])
            seg_of = rng.choice(len(segs_names), size=len(born), p=np.array(list(a["segment_mix"].values())))
            k0 = fit.order.index(str(entries.loc[src, "entry_stage"])) if src in entries.index else 0
            for si, seg in enumerate(segs_names):
                sel = seg_of == si
                if not sel.any():
                    continue
                p = p_from(fit, conv, seg, k0) * (1 - stale)
                w = rng.random(int(sel.sum())) < p
                tw = win_after(wd, np.zeros(int(w.sum())), rng)
                at = born[sel][w] + (tw * 86400e9).astype(np.int64)
                keep = at < end.value
                vals_all.append(draw_values(fit, seg, int(keep.sum()), rng, medians.get(seg)))
                when_all.append(pd.DatetimeIndex(at[keep]).tz_localize("UTC"))
        if vals_all:
            v = np.concatenate(vals_all)
            when = pd.DatetimeIndex(np.concatenate([np.asarray(pd.DatetimeIndex(w).tz_convert("UTC").asi8)
                                                    for w in when_all])).tz_localize("UTC")
            tally_month(r, when, v, months, end, bookings, wins, revenue)
    return close(h, fit, cut, end, months, bookings, wins, revenue, d, plan, p_hit, runs, rng)


def read_plan(path: str) -> pd.DataFrame:
    """A plan file: CSV with ``quarter`` (2025Q3, 2025-Q3) and ``bookings_usd`` (or ``plan_usd``)."""
    from sim.calibration.io import read_rows, to_amounts

    t = read_rows(path, "--plan")
    cols = {c.strip().lower(): c for c in t.columns}
    q = cols.get("quarter")
    v = cols.get("bookings_usd") or cols.get("plan_usd")
    if q is None or v is None:
        raise DataError(f"--plan {path}: expected columns quarter and bookings_usd; the file has: "
                        f"{', '.join(c for c in t.columns if c != '_row')}")
    out = []
    for label, amount, row in zip(t[q], t[v], t["_row"], strict=True):
        text = str(label).strip().upper().replace("-", "").replace(" ", "")
        try:
            per = pd.Period(text, freq="Q")
        except (ValueError, TypeError):
            raise DataError(f"--plan {path}: line {row}: quarter {label!r} is not a quarter such as 2025Q3") \
                from None
        num, bad = to_amounts(pd.Series([amount], dtype="string"))
        if bool(bad.iloc[0]) or pd.isna(num.iloc[0]):
            raise DataError(f"--plan {path}: line {row}: bookings {amount!r} is not an amount >= 0")
        out.append({"quarter": str(per), "plan_usd": float(num.iloc[0])})
    if not out:
        raise DataError(f"--plan {path}: no quarters in the file")
    return pd.DataFrame(out)


def check_runs(runs: int) -> int:
    if not 10 <= runs <= MAX_RUNS:
        raise UsageError(f"--runs {runs}: expected 10 to {MAX_RUNS}")
    return runs
