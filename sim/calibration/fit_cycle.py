"""Fits over whole deals: the stale-open-deal rule, time to win and time to lose apart,
arrival rate with trend and seasonality in one Poisson fit, per-rep volume and win
rate with manager/region/team, and the direct check of the fit against the data.

Stale open deals. A CRM keeps deals nobody closed: open far longer than any
closed deal ever took. Left as open they are censored durations that push a
fitted time in stage towards years, and a forecast would count them as live
pipeline. The rule (the mapping's ``stale_open``): an open deal older than
``stale_after_days`` (default: the longest time from creation to close among
the closed deals) is left out of the fits (``exclude``, the default), counted
as lost at that age (``lost``), or kept (``keep``). The report states the rule
and the count.

Arrivals. The daily count of new deals is Poisson with
``log rate = level + month effect + trend * years``, fitted together by
maximum likelihood (a rate and a seasonality fitted apart confound a growing
business with a seasonal one). The scenario gets the month profile
(normalized to mean 1) and the rate that gives the history's count over the
window with that profile; the trend is reported with its interval (the
scenario format has no trend).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from sim.calibration.fit_durations import DurationFit, fit_durations
from sim.calibration.io import History, Issue
from sim.calibration.mapping import Mapping
from sim.calibration.paths import LOST, OPEN, WON, Paths
from sim.units import DAYS_PER_YEAR

SEASONALITY_P = 0.05
MAX_LEVEL_LOG_SE = 0.5  # a level at the window's end less certain than this (a factor of 1.6) is not used
DAY = pd.Timedelta(days=1)


@dataclass
class Stale:
    rule: str
    after_days: float
    deals: pd.DataFrame  # the stale open deals (as they were before the rule)
    open_total: int


def apply_stale_rule(paths: Paths, m: Mapping) -> tuple[Paths, Stale | None]:
    """Paths with the stale-open rule applied, and what it did (None when no deal was closed)."""
    o = paths.opps
    closed = o[o["outcome"].isin([WON, LOST]) & o["closed"].notna()]
    if m.stale_after_days is not None:
        after = float(m.stale_after_days)
    elif len(closed):
        after = float(((closed["closed"] - closed["created"]) / DAY).max())
    else:
        return paths, None
    is_open = o["outcome"] == OPEN
    age = (paths.as_of - o["created"]) / DAY
    stale = is_open & (age > after)
    info = Stale(m.stale_open, after, o[stale].copy(), int(is_open.sum()))
    if not stale.any() or m.stale_open == "keep":
        return paths, info
    if m.stale_open == "exclude":
        keep = ~stale
        opps = o[keep].reset_index(drop=True)
        entered = paths.entered.loc[opps["opportunity_id"]]
        return Paths(order=paths.order, opps=opps, entered=entered, as_of=paths.as_of), info
    opps = o.copy()
    opps.loc[stale, "outcome"] = LOST
    opps.loc[stale, "closed"] = opps.loc[stale, "created"] + pd.to_timedelta(after, unit="D")
    return Paths(order=paths.order, opps=opps, entered=paths.entered, as_of=paths.as_of), info


def stale_issue(s: Stale) -> Issue:
    action = {"exclude": "left out of the fits (stale_open: exclude)",
              "lost": "counted as lost at that age (stale_open: lost)",
              "keep": "kept as open (stale_open: keep)"}[s.rule]
    share = len(s.deals) / s.open_total if s.open_total else 0.0
    return Issue("stale open deals", f"{len(s.deals)} of {s.open_total} open deal(s) ({share:.0%}) are older than "
                 f"{s.after_days:.0f} days, the longest a closed deal took from creation to close", [], action)


# --------------------------------------------------------------------------- time to win, time to lose


def cycle_days(p: Paths) -> pd.DataFrame:
    """Closed deals' days from creation to close (won: to the win), with outcome."""
    o = p.opps
    closed = o[o["outcome"].isin([WON, LOST])].copy()
    end = closed["closed"]
    if p.order[-1] in p.entered:
        win_at = p.entered[p.order[-1]].reindex(closed["opportunity_id"]).to_numpy()
        end = end.where(~((closed["outcome"] == WON) & end.isna()), pd.Series(win_at, index=closed.index))
    closed["days"] = (end - closed["created"]) / DAY
    return closed[closed["days"].notna() & (closed["days"] >= 0)]


def cycle_fits(p: Paths) -> dict[str, DurationFit | None]:
    """Days from creation to a win, and to a loss, fitted apart (all exits exact)."""
    c = cycle_days(p)
    out: dict[str, DurationFit | None] = {}
    for what in (WON, LOST):
        d = c.loc[c["outcome"] == what, "days"].to_numpy(dtype=float)
        out[what] = fit_durations(d, np.zeros(len(d), dtype=bool)) if len(d) else None
    return out


# --------------------------------------------------------------------------- arrivals


def _design(days: pd.DatetimeIndex, start: pd.Timestamp, months: list[int]) -> np.ndarray:
    t = np.asarray((days - start) / DAY, dtype=float) / DAYS_PER_YEAR
    cols = [np.ones(len(days)), t - t.mean()]
    cols += [(days.month == mo).astype(float) for mo in months[1:]]
    return np.column_stack(cols)


def _poisson_fit(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Poisson regression by Newton steps: coefficients, covariance, log-likelihood."""
    beta = np.zeros(X.shape[1])
    beta[0] = np.log(max(y.mean(), 1e-9))
    for _ in range(100):
        mu = np.exp(np.clip(X @ beta, -50, 50))
        grad = X.T @ (y - mu)
        H = X.T @ (X * mu[:, None])
        try:
            step = np.linalg.solve(H + 1e-9 * np.eye(len(beta)), grad)
        except np.linalg.LinAlgError:
            break
        beta += step
        if np.max(np.abs(step)) < 1e-10:
            break
    mu = np.exp(np.clip(X @ beta, -50, 50))
    H = X.T @ (X * mu[:, None])
    try:
        cov = np.linalg.inv(H)
    except np.linalg.LinAlgError:
        cov = np.full_like(H, np.nan)
    return beta, cov, float(np.sum(stats.poisson.logpmf(y, mu)))


def joint_arrivals(created: pd.Series, start: pd.Timestamp, end: pd.Timestamp) -> dict:
    """Rate per week, trend and seasonality fitted together on daily counts (see the module notes)."""
    days = pd.date_range(start.floor("D"), end.floor("D"), freq="D", inclusive="left")
    n = int(len(created))
    if len(days) < 2:
        return {"n": n, "rate_per_week": n / max(len(days), 1) * 7, "trend_per_year": None, "seasonality": None}
    counts = created.dt.floor("D").value_counts()
    y = counts.reindex(days, fill_value=0).to_numpy(dtype=float)
    months = sorted(set(days.month))
    full_year = len(days) >= 365 and len(months) == 12
    X = _design(days, days[0], months if full_year else [months[0]])
    beta, cov, ll = _poisson_fit(X, y)
    out: dict[str, Any] = {"n": n, "trend_per_year": None, "trend_lo": None, "trend_hi": None,
                           "seasonality": None, "seasonality_p": None}
    se = float(np.sqrt(cov[1, 1])) if np.isfinite(cov[1, 1]) else np.nan
    out["trend_per_year"] = float(np.expm1(np.clip(beta[1], -50, 50)))
    if np.isfinite(se):
        out["trend_lo"], out["trend_hi"] = (float(np.expm1(np.clip(beta[1] + s * 1.96 * se, -50, 50)))
                                            for s in (-1, 1))
    factor = np.ones(len(days))
    if full_year:
        X0 = X[:, :2]
        _, _, ll0 = _poisson_fit(X0, y)
        pval = float(stats.chi2.sf(2 * (ll - ll0), df=11))
        effect = np.concatenate([[0.0], beta[2:]])
        prof = np.exp(effect)
        prof = prof / prof.mean()
        out["seasonality_p"] = pval
        if pval < SEASONALITY_P:
            out["seasonality"] = [round(float(v), 3) for v in prof]
            factor = np.asarray(out["seasonality"])[days.month - 1]
    # the written rate reproduces the history's count over the window under the written profile
    out["rate_per_week"] = n / (float(factor.sum()) / 7.0) if factor.sum() > 0 else 0.0
    # a trend goes into the scenario only where the season was fitted beside it (a year or more) and its
    # interval leaves out zero; the rate is then the rate on the window's first day
    out["trend_written"] = False
    lo, hi = out["trend_lo"], out["trend_hi"]
    if full_year and lo is not None and hi is not None and (lo > 0 or hi < 0):
        grow = (1.0 + out["trend_per_year"]) ** (np.arange(len(days)) / DAYS_PER_YEAR)
        weight = float((factor * grow).sum())
        if weight > 0:
            out["trend_written"] = True
            out["rate_at_start_per_week"] = n / (weight / 7.0)
    out.update(_level_at_end(X, y, beta, cov, days, factor, out["rate_per_week"]))
    return out


def _level_at_end(X: np.ndarray, y: np.ndarray, beta: np.ndarray, cov: np.ndarray, days: pd.DatetimeIndex,
                  factor: np.ndarray, rate_per_week: float) -> dict[str, float | None]:
    """What a forecast from the window's end needs: the deseasonalized rate on the trend line at the
    end of the window (a local level: held there, not extrapolated), its standard error on the log
    scale, and the spread of whole months around the fit beyond Poisson chance (on the log scale:
    seasonality a window shorter than a year cannot estimate, campaigns, a business that changes).

    The level comes from the trend line (rate x exp(trend x (end - middle))), so a window that grows
    starts its forecast where the history ended, not at the window's mean."""
    t_end = X[-1, 1] + (X[-1, 1] - X[-2, 1]) if len(X) > 1 else 0.0  # one day after the last day
    x = np.array([0.0, t_end])
    se_t = float(np.sqrt(max(x @ cov[:2, :2] @ x, 0.0))) if np.all(np.isfinite(cov[:2, :2])) else np.nan
    level = rate_per_week * float(np.exp(np.clip(beta[1] * t_end, -5, 5)))
    se0 = 1.0 / np.sqrt(max(float(y.sum()), 1.0))
    mu = np.exp(np.clip(X @ beta, -50, 50))
    per = (days.tz_convert(None) if days.tz is not None else days).to_period("M")
    frame = pd.DataFrame({"m": per, "y": y, "mu": mu})
    g = frame.groupby("m").agg(y=("y", "sum"), mu=("mu", "sum"), n=("y", "size"))
    full = g[g["n"] >= 28]
    month_sd = 0.0
    if len(full) >= 3 and (full["mu"] > 0).all():
        r = np.log(np.maximum(full["y"], 0.5) / full["mu"])
        month_sd = float(np.sqrt(max(float(r.var(ddof=1)) - float((1.0 / full["mu"]).mean()), 0.0)))
    se = float(np.hypot(se0, se_t)) if np.isfinite(se_t) else np.nan
    if not (np.isfinite(se) and se <= MAX_LEVEL_LOG_SE and np.isfinite(level)):
        return {"level_end_per_week": None, "level_end_log_se": None, "month_log_sd": month_sd}
    return {"level_end_per_week": level, "level_end_log_se": se, "month_log_sd": month_sd}


# --------------------------------------------------------------------------- reps, the direct check


def rep_table(p: Paths, h: History) -> pd.DataFrame:
    """Per owner: deals, won, lost, open, win rate, with manager, region and team when mapped."""
    o = p.opps
    if "owner" not in o or o["owner"].isna().all():
        return pd.DataFrame()
    rows = h.rows
    extra = [c for c in ("manager", "region", "team") if c in rows]
    g = o[o["owner"].notna()].groupby("owner")
    t = pd.DataFrame({"deals": g.size(), "won": g["outcome"].apply(lambda s: int((s == WON).sum())),
                      "lost": g["outcome"].apply(lambda s: int((s == LOST).sum())),
                      "open": g["outcome"].apply(lambda s: int((s == OPEN).sum()))})
    done = t["won"] + t["lost"]
    t["win_rate"] = (t["won"] / done.where(done > 0)).round(4)
    if extra:
        who = rows[rows["owner"].notna()].groupby("owner")[extra].agg(
            lambda s: s.dropna().mode().iloc[0] if s.notna().any() else "")
        t = t.join(who)
    return t.reset_index().sort_values("deals", ascending=False).reset_index(drop=True)


def roll_up(t: pd.DataFrame, by: str) -> pd.DataFrame:
    if t.empty or by not in t:
        return pd.DataFrame()
    g = t.groupby(by)[["deals", "won", "lost", "open"]].sum()
    g.insert(0, "reps", t.groupby(by).size())
    g["win_rate"] = (g["won"] / (g["won"] + g["lost"]).where(g["won"] + g["lost"] > 0)).round(4)
    return g.reset_index()


def _lognormal_mean(spec: dict) -> float:
    return float(spec["median"] * np.exp(spec["sigma"] ** 2 / 2))


def direct_check(fit) -> pd.DataFrame:
    """The fit's own figures next to the same figures computed directly from the rows it used:
    win rate (closed deals), mean days to a win and to a loss, mean booked value of won deals,
    new deals a week."""
    p = fit.paths
    o = p.opps
    closed = o[o["outcome"].isin([WON, LOST])]
    rows = []
    direct_wr = float((closed["outcome"] == WON).mean()) if len(closed) else np.nan
    c = fit.conversion
    pooled = c[c["source"] == "*"].groupby("step")[["x", "n"]].sum()
    def from_stage(k: int) -> float:
        out = 1.0
        for step in p.order[k + 1:]:
            if step in pooled.index and pooled.loc[step, "n"] > 0:
                out *= pooled.loc[step, "x"] / pooled.loc[step, "n"]
        return out

    # the funnel's win rate for deals entering where the closed deals entered (a skip enters later)
    shares = closed["entry"].value_counts(normalize=True) if len(closed) else pd.Series({0: 1.0})
    wr = float(sum(share * from_stage(int(k)) for k, share in shares.items()))
    rows.append(("win rate (closed deals)", wr, direct_wr, len(closed)))
    cd = cycle_days(p)
    for what, label in ((WON, "mean days to a win"), (LOST, "mean days to a loss")):
        f = fit.cycle.get(what)
        d = cd.loc[cd["outcome"] == what, "days"]
        rows.append((label, f.mean if f is not None else np.nan, float(d.mean()) if len(d) else np.nan, len(d)))
    won = o[(o["outcome"] == WON) & o["amount"].notna()]
    fitted_value = np.nan
    if len(won) and fit.money:
        num = den = 0.0
        for seg, g in won.groupby("segment"):
            mm = fit.money.get(seg, {})
            acv, disc = mm.get("acv"), mm.get("discount")
            if acv is None:
                continue
            mean = _lognormal_mean(acv.spec()) * (1 - (disc.mean if disc is not None else 0.0))
            num += mean * len(g)
            den += len(g)
        fitted_value = num / den if den else np.nan
    rows.append(("mean value of a won deal (USD)", fitted_value, float(won["amount"].mean()) if len(won) else np.nan,
                 len(won)))
    start, end = fit.start if fit.start is not None else p.opps["created"].min().floor("D"), p.as_of
    weeks = (end - start) / pd.Timedelta(days=7)
    days = pd.date_range(start.floor("D"), end.floor("D"), freq="D", inclusive="left")
    rate = 0.0  # the expected count a week over the window, under each source's month profile
    for a in fit.arrivals.values():
        prof = np.asarray(a["seasonality"])[days.month - 1].mean() if a.get("seasonality") and len(days) else 1.0
        rate += a["rate_per_week"] * prof
    n = fit.arrived or len(o)
    rows.append(("new deals a week", rate, n / weeks if weeks > 0 else np.nan, n))
    t = pd.DataFrame(rows, columns=["figure", "fitted", "direct", "n"])
    t["difference"] = (t["fitted"] / t["direct"] - 1).round(4)
    return t


# --------------------------------------------------------------------------- capacity

BUSY_QUANTILE = 0.9  # a rep's busy week: this quantile of steps closed per rep-week
HOURS_PER_WEEK = 40.0  # the scenario format's default working hours of a rep


def capacity(p: Paths, step_roles: dict[str, str | None], rows: pd.DataFrame | None = None) -> dict[str, dict]:
    """Work hours per step inferred from owners' throughput, per role.

    A CRM has no hours, but it shows how many deal steps each owner closes
    (moved on or lost) each week. The stated rule: in a busy week (the
    ``BUSY_QUANTILE`` of an owner's weekly count, over weeks with any) a rep's
    whole week goes to those steps, so a step takes ``hours_per_week / busy``
    hours. Utilization in the fitted scenario then comes out near the ratio
    of a typical week to a busy one."""
    d = p.days_in_stage()
    d = d[~d["censored"]]
    if d.empty:
        return {}
    t = p.entered.reindex(columns=p.order)
    start = t.stack().rename("start").reset_index()
    start.columns = ["opportunity_id", "stage", "start"]
    d = d.merge(start, on=["opportunity_id", "stage"], how="left")
    d["exit"] = d["start"] + pd.to_timedelta(d["days"], unit="D")
    if rows is not None and "owner" in rows and rows["owner"].notna().any():  # who held the deal in that stage
        held = rows[rows["owner"].notna()].groupby(["opportunity_id", "stage"])["owner"].first()
        d = d.join(held.rename("owner"), on=["opportunity_id", "stage"])
        last = p.opps.set_index("opportunity_id")["owner"]
        d["owner"] = d["owner"].fillna(d["opportunity_id"].map(last))
    else:
        d = d.join(p.opps.set_index("opportunity_id")[["owner"]], on="opportunity_id")
    nxt = {p.order[k - 1]: p.order[k] for k in range(1, len(p.order))}
    d["role"] = d["stage"].map(lambda s: step_roles.get(nxt.get(s, ""), None))
    d = d[d["owner"].notna() & d["role"].notna() & d["exit"].notna()]
    out: dict[str, dict] = {}
    for role, g in d.groupby("role"):
        week = g["exit"].dt.tz_convert(None).dt.to_period("W") if g["exit"].dt.tz is not None \
            else g["exit"].dt.to_period("W")
        per = g.groupby([g["owner"], week]).size()
        if len(per) < 4:
            continue
        busy = float(np.quantile(per.to_numpy(), BUSY_QUANTILE))
        out[str(role)] = {"busy": busy, "typical": float(per.median()), "rep_weeks": int(len(per)),
                          "work_hours": HOURS_PER_WEEK / max(busy, 1.0)}
    return out
