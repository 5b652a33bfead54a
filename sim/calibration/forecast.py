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

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim.calibration.backtest import crps, train_part
from sim.calibration.fit import Fit, fit_history
from sim.calibration.io import History, parse_as_of
from sim.calibration.mapping import DataError, Mapping
from sim.calibration.paths import OPEN, WON
from sim.errors import UsageError

COMMIT = 0.7
BEST_CASE = 0.4
Z95 = 1.959964
DAY = pd.Timedelta(days=1)
MAX_RUNS = 100_000
QUARTER_END_P = 0.01  # a month-of-quarter pattern of wins is applied when this unlikely under an even spread


@dataclass
class Forecast:
    fit: Fit
    as_of: pd.Timestamp
    until: pd.Timestamp
    months: list[str]
    bookings: np.ndarray  # runs x months (USD)
    wins: np.ndarray  # runs x months
    revenue: np.ndarray  # runs x months: recognized revenue of wins from the forecast date
    open_deals: pd.DataFrame  # per open deal: stage, age, amount, p_win, category, owner...
    actual: pd.DataFrame | None = None  # month, bookings_usd, wins (when the history goes on)
    naive: dict[str, np.ndarray] = field(default_factory=dict)  # name -> point forecast per month
    naive_wins: dict[str, np.ndarray] = field(default_factory=dict)  # the same for the count of wins
    plan: pd.DataFrame | None = None  # quarter, plan_usd
    quarter_end: QuarterEnd | None = None  # the month-of-quarter pattern of wins, when the history shows one

    def month_bands(self) -> pd.DataFrame:
        rows = []
        for what, arr in (("bookings_usd", self.bookings), ("wins", self.wins), ("recognized_revenue_usd",
                                                                                 self.revenue)):
            q = np.quantile(arr, [0.025, 0.1, 0.5, 0.9, 0.975], axis=0)
            for i, m in enumerate(self.months):
                rows.append({"metric": what, "month": m, "p2_5": q[0, i], "p10": q[1, i], "median": q[2, i],
                             "p90": q[3, i], "p97_5": q[4, i], "mean": float(arr[:, i].mean())})
        return pd.DataFrame(rows)

    def quarters(self) -> pd.DataFrame:
        qs = pd.PeriodIndex(self.months, freq="M").asfreq("Q")
        out = []
        for q in sorted(set(qs)):
            cols = np.flatnonzero(qs == q)
            b = self.bookings[:, cols].sum(axis=1)
            rec = {"quarter": str(q), "months": len(cols), "p10": float(np.quantile(b, 0.1)),
                   "median": float(np.median(b)), "p90": float(np.quantile(b, 0.9)), "mean": float(b.mean())}
            if self.plan is not None:
                p = self.plan.set_index("quarter")["plan_usd"].get(str(q))
                if p is not None:
                    rec["plan_usd"] = float(p)
                    rec["p_hit_plan"] = float((b >= p).mean())
            out.append(rec)
        return pd.DataFrame(out)

    def coverage(self) -> pd.DataFrame:
        """Open pipeline (amounts; undated or unknown amounts at their segment's mean value) over the
        plan of the quarters from the forecast date."""
        if self.plan is None:
            return pd.DataFrame()
        future = self.plan[self.plan["quarter"] >= str(self.as_of.tz_convert(None).to_period("Q"))]
        remaining = float(future["plan_usd"].sum())
        pipe = float(self.open_deals["value"].sum())
        return pd.DataFrame([{"open_pipeline_usd": pipe, "remaining_plan_usd": remaining,
                              "coverage": pipe / remaining if remaining > 0 else np.nan}])

    def categories(self) -> pd.DataFrame:
        o = self.open_deals
        g = o.groupby("category")
        t = pd.DataFrame({"deals": g.size(), "amount_usd": g["value"].sum(),
                          "expected_usd": g["expected_usd"].sum()})
        return t.reindex(["commit", "best_case", "pipeline"]).fillna(0).reset_index()

    def roll_up(self, by: str) -> pd.DataFrame:
        o = self.open_deals
        if by not in o or o[by].isna().all():
            return pd.DataFrame()
        g = o.groupby(by)
        t = pd.DataFrame({"open_deals": g.size(), "amount_usd": g["value"].sum(),
                          "expected_usd": g["expected_usd"].sum(),
                          "commit_usd": g.apply(lambda x: x.loc[x["category"] == "commit", "value"].sum(),
                                                include_groups=False)})
        return t.sort_values("expected_usd", ascending=False).reset_index()

    def scores(self, metric: str = "bookings_usd") -> pd.DataFrame:
        """Backtest of monthly bookings (or ``wins``): coverage of the bands and CRPS, the model and two
        naive forecasts."""
        if self.actual is None or self.actual.empty:
            return pd.DataFrame()
        idx = [self.months.index(m) for m in self.actual["month"]]
        y = self.actual[metric].to_numpy(dtype=float)
        x = (self.bookings if metric == "bookings_usd" else self.wins)[:, idx]
        naive = self.naive if metric == "bookings_usd" else self.naive_wins
        lo80, hi80 = np.quantile(x, [0.1, 0.9], axis=0)
        lo95, hi95 = np.quantile(x, [0.025, 0.975], axis=0)
        rows = [{"forecast": "salesim (posterior draws)", "cells": len(y),
                 "coverage_80": float(np.mean((lo80 <= y) & (y <= hi80))),
                 "coverage_95": float(np.mean((lo95 <= y) & (y <= hi95))),
                 "crps_usd": float(np.mean([crps(x[:, i], y[i]) for i in range(len(y))]))}]
        for name, point in naive.items():
            rows.append({"forecast": name, "cells": len(y), "coverage_80": np.nan, "coverage_95": np.nan,
                         "crps_usd": float(np.mean(np.abs(point[idx] - y)))})
        return pd.DataFrame(rows)


# --------------------------------------------------------------------------- wins and losses together


@dataclass
class Mixture:
    """Each deal ends in a win with probability p after lognormal(mu_w, sigma_w) days, else in a loss
    after lognormal(mu_l, sigma_l) days; fitted on closed and open deals together."""

    p: float
    mu_w: float
    sigma_w: float
    mu_l: float
    sigma_l: float
    n_won: int
    n_lost: int
    p_closed: float  # the win rate of the closed deals alone (biased low when losses close sooner)


def fit_mixture(fit: Fit) -> Mixture | None:
    """Maximum likelihood over every (non-stale) deal: a won deal adds p f_win(t), a lost one
    (1 - p) f_loss(t), an open one of age a p S_win(a) + (1 - p) S_loss(a) + s / (1 - s), s the
    share of deals that go stale (:func:`stale_share`): a young open deal may be one that will never
    close, and counting it as a slow win or loss would stretch both durations. The closed deals alone
    would understate the win rate when losses close sooner than wins: recent deals that closed are
    mostly losses, and the wins among them are still open."""
    from scipy import optimize, stats

    from sim.calibration.fit_cycle import cycle_days

    c = cycle_days(fit.paths)
    o = fit.paths.opps
    tw = np.maximum(c.loc[c["outcome"] == WON, "days"].to_numpy(dtype=float), 0.01)
    tl = np.maximum(c.loc[c["outcome"] != WON, "days"].to_numpy(dtype=float), 0.01)
    if len(tw) < 3 or len(tl) < 3:
        return None
    ages = np.maximum(((fit.paths.as_of - o.loc[o["outcome"] == OPEN, "created"]) / DAY).to_numpy(dtype=float),
                      0.01)
    lw, ll, la = np.log(tw), np.log(tl), np.log(ages)
    stale = stale_share(fit)
    odds = stale / (1 - stale) if stale < 1 else 0.0  # an open deal may be one that will never close

    def nll(th):
        p = 1 / (1 + np.exp(-th[0]))
        sw, sl = np.exp(th[2]), np.exp(th[4])
        out = len(tw) * np.log(p) + np.sum(stats.norm.logpdf(lw, th[1], sw) - lw)
        out += len(tl) * np.log1p(-p) + np.sum(stats.norm.logpdf(ll, th[3], sl) - ll)
        if len(la):
            out += np.sum(np.log(p * stats.norm.sf(la, th[1], sw) + (1 - p) * stats.norm.sf(la, th[3], sl)
                                 + odds + 1e-300))
        return -out

    p0 = len(tw) / (len(tw) + len(tl))
    x0 = np.array([np.log(p0 / (1 - p0)), lw.mean(), np.log(max(lw.std(), 0.05)), ll.mean(),
                   np.log(max(ll.std(), 0.05))])
    res = optimize.minimize(nll, x0, method="Nelder-Mead", options={"maxiter": 4000, "xatol": 1e-6,
                                                                     "fatol": 1e-8})
    th = res.x if np.all(np.isfinite(res.x)) else x0
    return Mixture(float(1 / (1 + np.exp(-th[0]))), float(th[1]), float(np.exp(th[2])), float(th[3]),
                   float(np.exp(th[4])), len(tw), len(tl), float(p0))


class _LogNormal:
    def __init__(self, mu: float, sigma: float):
        from scipy import stats

        self.d = stats.lognorm(sigma, scale=np.exp(mu))

    def sf(self, x):
        return self.d.sf(x)

    def cdf(self, x):
        return self.d.cdf(x)

    def ppf(self, u):
        return self.d.ppf(u)


# --------------------------------------------------------------------------- posterior draws


def log_se(lo: float, hi: float) -> float:
    if not (lo > 0 and hi > 0 and np.isfinite(lo) and np.isfinite(hi)):
        return 0.0
    return float((np.log(hi) - np.log(lo)) / (2 * Z95))


def _cycle_dist(fit: Fit, what: str, rng: np.random.Generator | None):
    from sim.calibration.fit_durations import _dist

    f = fit.cycle.get(what)
    if f is None or f.family == "constant" or not np.isfinite(f.mean) or f.mean <= 0:
        return None
    mean = f.mean if rng is None else float(f.mean * np.exp(rng.normal(0.0, log_se(f.mean_lo, f.mean_hi))))
    theta = np.log([mean] + ([f.cv] if f.family != "exponential" else []))
    return _dist(f.family, theta)


def _conversions(fit: Fit, rng: np.random.Generator | None) -> dict[tuple[str, str], float]:
    c = fit.conversion[fit.conversion["source"] == "*"]
    out = {}
    for r in c.itertuples():
        if r.n > 0:
            out[(r.segment, r.step)] = float(rng.beta(r.x + 0.5, r.n - r.x + 0.5)) if rng is not None \
                else float(r.x / r.n)
    return out


def _lifted(fit: Fit, conv: dict, lift: float) -> dict:
    """Conversions whose product over the funnel is scaled by ``lift`` (the mixture's win rate over the
    closed deals' one), spread evenly over the steps on the log scale; each capped at 1."""
    n = max(len(fit.order) - 1, 1)
    f = lift ** (1.0 / n)
    return {k: min(v * f, 1.0) for k, v in conv.items()}


def _p_from(fit: Fit, conv: dict, seg: str, k: int) -> float:
    p = 1.0
    for step in fit.order[k + 1:]:
        p *= conv.get((seg, step), 1.0)
    return p


def _values(fit: Fit, seg: str, n: int, rng: np.random.Generator, draw_median: float | None = None) -> np.ndarray:
    m = fit.money.get(seg) or {}
    acv, disc = m.get("acv"), m.get("discount")
    if acv is None or n == 0:
        return np.zeros(n)
    med = acv.median if draw_median is None else draw_median
    v = rng.lognormal(np.log(max(med, 1e-9)), max(acv.sigma, 0.0), n)
    return v * (1 - (disc.mean if disc is not None else 0.0))


def _mean_value(fit: Fit, seg: str) -> float:
    m = fit.money.get(seg) or {}
    acv, disc = m.get("acv"), m.get("discount")
    if acv is None:
        return 0.0
    return float(acv.median * np.exp(acv.sigma**2 / 2) * (1 - (disc.mean if disc is not None else 0.0)))


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
    mean_value = d["segment"].map(lambda s: _mean_value(fit, s))
    d["amount_known"] = d["amount"].notna() & (d["amount"] > 0)
    d["value"] = d["amount"].where(d["amount_known"], mean_value).astype(float)
    return d.reset_index(drop=True)


def stale_share(fit: Fit) -> float:
    """The share of deals that never close (go stale): stale deals over every deal old enough to have
    gone stale by the extraction date."""
    s = fit.stale
    if s is None or not len(s.deals):
        return 0.0
    old = fit.paths.as_of - pd.Timedelta(days=s.after_days)
    n = int((fit.paths.opps["created"] <= old).sum()) + len(s.deals)
    return len(s.deals) / n if n else 0.0


def _p_open(fit: Fit, d: pd.DataFrame, conv: dict, won_dist, lost_dist, stale: float = 0.0) -> np.ndarray:
    """Each open deal's probability of a win given its stage and that it is still open at its age
    (a deal that will go stale never closes: its survival is 1)."""
    p = np.array([_p_from(fit, conv, s, k) for s, k in zip(d["segment"], d["reached"], strict=True)])
    a = d["age_days"].to_numpy(dtype=float)
    sw = won_dist.sf(a) if won_dist is not None else np.ones(len(a))
    sl = lost_dist.sf(a) if lost_dist is not None else np.ones(len(a))
    num, den = (1 - stale) * p * sw, (1 - stale) * (p * sw + (1 - p) * sl) + stale
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / den, 0.0)


def _win_after(dist, age: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Days from now to the win, for deals of these ages that will be won (days to a win given > age)."""
    if dist is None:
        return np.zeros(len(age))
    lo = dist.cdf(age)
    u = lo + (1 - lo) * rng.random(len(age))
    t = dist.ppf(np.clip(u, 0.0, 1 - 1e-12))
    t = np.where(np.isfinite(t), t, age)
    return np.maximum(t - age, 0.0)


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
    qe = fit_quarter_end(h, fit, cut)
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
        fc.actual = _actual(h, fit, cut, min(end, h.as_of), months)
        fc.naive = _naive(fit, h, d, cut, months)
        fc.naive_wins = _naive(fit, h, d, cut, months, count=True)
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
        conv = _conversions(fit, rng)
        wd, ld = _cycle_dist(fit, WON, rng), _cycle_dist(fit, "lost", rng)
        if mix is not None:  # wins and losses fitted together, drawn from their approximate posterior
            n_w, n_l = mix.n_won, mix.n_lost
            lift = rng.beta(mix.p * (n_w + n_l) + 0.5, (1 - mix.p) * (n_w + n_l) + 0.5) / max(mix.p_closed, 1e-9)
            conv = _lifted(fit, conv, lift)
            wd = _LogNormal(mix.mu_w + rng.normal(0, mix.sigma_w / np.sqrt(n_w)), mix.sigma_w)
            ld = _LogNormal(mix.mu_l + rng.normal(0, mix.sigma_l / np.sqrt(n_l)), mix.sigma_l)
        medians = {}
        for seg, mm in fit.money.items():
            acv = mm.get("acv")
            if acv is not None:
                medians[seg] = float(acv.median * np.exp(rng.normal(0.0, log_se(acv.median_lo, acv.median_hi))))
        vals_all, when_all = [], []
        # the open pipeline
        if len(d):
            q = _p_open(fit, d, conv, wd, ld, stale)
            won = rng.random(len(d)) < q
            t = _win_after(wd, d["age_days"].to_numpy(dtype=float)[won], rng)
            inside = t < horizon
            p_hit[np.flatnonzero(won)[inside]] += 1
            idx = np.flatnonzero(won)[inside]
            v = d["value"].to_numpy(dtype=float)[idx].copy()
            unknown = ~d["amount_known"].to_numpy()[idx]
            for seg in sorted(set(d["segment"].to_numpy()[idx][unknown])):  # sorted: one draw order in any process
                sel = unknown & (d["segment"].to_numpy()[idx] == seg)
                v[sel] = _values(fit, seg, int(sel.sum()), rng, medians.get(seg))
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
                p = _p_from(fit, conv, seg, k0) * (1 - stale)
                w = rng.random(int(sel.sum())) < p
                tw = _win_after(wd, np.zeros(int(w.sum())), rng)
                at = born[sel][w] + (tw * 86400e9).astype(np.int64)
                keep = at < end.value
                vals_all.append(_values(fit, seg, int(keep.sum()), rng, medians.get(seg)))
                when_all.append(pd.DatetimeIndex(at[keep]).tz_localize("UTC"))
        if vals_all:
            v = np.concatenate(vals_all)
            when = pd.DatetimeIndex(np.concatenate([np.asarray(pd.DatetimeIndex(w).tz_convert("UTC").asi8)
                                                    for w in when_all])).tz_localize("UTC")
            tally_month(r, when, v, months, end, bookings, wins, revenue)
    return close(h, fit, cut, end, months, bookings, wins, revenue, d, plan, p_hit, runs, rng)


@dataclass
class QuarterEnd:
    """Wins in the last month of each quarter against its two neighbours (the quarter's second month
    and the next quarter's first), so a trend or a season that moves smoothly cancels out; counted
    over the quarter ends before the forecast date whose neighbours the history holds whole."""

    last: int  # wins in the quarters' last months
    neighbours: int  # wins in their neighbouring months
    days_last: int
    days_neighbours: int
    quarters: int
    p_value: float  # binomial test of an even daily rate across the three months

    @property
    def significant(self) -> bool:
        return self.quarters >= 1 and self.p_value < QUARTER_END_P

    @property
    def ratio(self) -> float:
        """Daily rate of wins in a quarter's last month relative to its neighbours."""
        return (self.last / self.days_last) / max(self.neighbours / self.days_neighbours, 1e-12)

    def draw_ratio(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """The ratio drawn from its posterior (Jeffreys gamma on each count)."""
        a = rng.gamma(self.last + 0.5, size=size) / self.days_last
        b = rng.gamma(self.neighbours + 0.5, size=size) / self.days_neighbours
        return a / b


def fit_quarter_end(h: History, fit: Fit, cut: pd.Timestamp) -> QuarterEnd | None:
    """The quarter-end pattern of wins before ``cut``; None when no quarter end with whole
    neighbouring months lies inside the history."""
    from scipy import stats

    w = _won_at(h, fit.order)
    first = fit.history.rows["entered_at"].min()
    w = w[(w["won_at"] >= first) & (w["won_at"] < cut)]
    if w.empty:
        return None
    per = w["won_at"].dt.tz_convert(None).dt.to_period("M").value_counts()
    start = first.tz_convert(None)
    whole = [m for m in pd.period_range(start.to_period("M"), cut.tz_convert(None).to_period("M"), freq="M")
             if m.start_time >= start.normalize() and m.end_time.tz_localize("UTC") < cut]
    if not whole:
        return None
    lo, hi = whole[0], whole[-1]
    last = nb = d_last = d_nb = n_q = 0
    for m in whole:
        if m.month % 3 == 0 and lo <= m - 1 and m + 1 <= hi:
            last += int(per.get(m, 0))
            nb += int(per.get(m - 1, 0)) + int(per.get(m + 1, 0))
            d_last += m.days_in_month
            d_nb += (m - 1).days_in_month + (m + 1).days_in_month
            n_q += 1
    if n_q == 0 or last + nb == 0:
        return None
    p = float(stats.binomtest(last, last + nb, d_last / (d_last + d_nb)).pvalue)
    return QuarterEnd(last=last, neighbours=nb, days_last=d_last, days_neighbours=d_nb, quarters=n_q, p_value=p)


def apply_quarter_end(qe: QuarterEnd, months: pd.PeriodIndex, bookings: np.ndarray, wins: np.ndarray,
                       rng: np.random.Generator) -> None:
    """Move each run's wins (and their bookings) between the months of a quarter so that the last
    month's daily rate is the fitted ratio (drawn per run from its posterior) times the others',
    keeping each quarter's total: deals close when they close, but the quarter's last weeks pull
    them together (the quarter-end pressure of the deals mechanism). A quarter only partly in the
    forecast keeps the total of its months that are."""
    ratio = qe.draw_ratio(rng, bookings.shape[0])
    quarter = np.array([m.asfreq("Q").ordinal for m in months])
    is_last = np.array([m.month % 3 == 0 for m in months])
    for q in np.unique(quarter):
        cols = np.flatnonzero(quarter == q)
        if len(cols) < 2 or not is_last[cols].any():
            continue
        w = np.where(is_last[cols][None, :], ratio[:, None], 1.0)  # runs x months of this quarter
        for arr in (bookings, wins):
            part = arr[:, cols]
            total = part.sum(axis=1, keepdims=True)
            moved = part * w
            norm = moved.sum(axis=1, keepdims=True)
            arr[:, cols] = np.where(norm > 0, moved / np.where(norm > 0, norm, 1.0) * total, part)


def arrival_rate(a: dict, rng: np.random.Generator) -> float:
    """One run's weekly arrival rate from the forecast date: the trend line's level at the end of the
    history (a local level, held flat: a trend is not extrapolated), drawn on the log scale from its
    standard error widened by the month-to-month spread beyond chance, which also shocks each
    forecast month (``month_log_sd``). A fit without the level (older fits) uses the window's mean
    rate with the gamma posterior of its count."""
    if a.get("level_end_per_week") is None:
        return float(a["rate_per_week"] * rng.gamma(a["n"] + 0.5) / a["n"])
    sd = float(np.hypot(a.get("level_end_log_se") or 0.0, a.get("month_log_sd") or 0.0))
    return float(a["level_end_per_week"] * np.exp(rng.normal(0.0, sd)))


def _won_at(h: History, order: list[str]) -> pd.DataFrame:
    r = h.rows
    g = r.groupby("opportunity_id")
    outcome = g["outcome"].last()
    won = r[r["stage"] == order[-1]].groupby("opportunity_id")["entered_at"].min()
    closed = g["closed_at"].max() if "closed_at" in r else pd.Series(pd.NaT, index=outcome.index)
    at = won.reindex(outcome.index).fillna(closed.where(outcome == WON))
    amount = g["amount"].last() if "amount" in r else pd.Series(0.0, index=outcome.index)
    return pd.DataFrame({"won_at": at.where(outcome == WON), "amount": amount}).dropna(subset=["won_at"])


def _actual(h: History, fit: Fit, cut: pd.Timestamp, last: pd.Timestamp, months: pd.PeriodIndex) -> pd.DataFrame:
    """Actual bookings and wins per whole month after the forecast date (a month the history ends in
    is left out: it is not over)."""
    w = _won_at(h, fit.order)
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


def _naive(fit: Fit, h: History, d: pd.DataFrame, cut: pd.Timestamp, months: pd.PeriodIndex,
           count: bool = False) -> dict:
    """Two naive point forecasts of monthly bookings (or, with ``count``, wins): last quarter's run
    rate; the open pipeline weighted by its stages' win rates and timed by the mean days to a win (no
    new deals)."""
    w = _won_at(h, fit.order)
    last_q = w[(w["won_at"] >= cut - pd.Timedelta(days=91)) & (w["won_at"] < cut)]
    run_rate = (len(last_q) if count else float(last_q["amount"].fillna(0).sum())) / 3.0
    conv = _conversions(fit, None)
    weighted = np.zeros(len(months))
    f = fit.cycle.get(WON)
    mean_win = f.mean if f is not None else 0.0
    for seg, k, v, age in zip(d["segment"], d["reached"], d["value"], d["age_days"], strict=True):
        when = cut + pd.to_timedelta(max(mean_win - age, 0.0), unit="D")
        i = months.get_indexer([when.tz_convert(None).to_period("M")])[0]
        if i >= 0:
            weighted[i] += _p_from(fit, conv, seg, int(k)) * (1.0 if count else v)
    return {"last quarter's run rate": np.full(len(months), run_rate),
            "stage-weighted open pipeline": weighted}


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
