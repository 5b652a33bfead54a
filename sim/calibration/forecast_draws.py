"""What one run of ``salesim forecast`` draws from the fit (:mod:`sim.calibration.forecast`): the
parameters from their posteriors (conversions, days to a win and to a loss, deal values, the arrival
level) and, for an open deal, its chance of a win given its stage and age and, if won, when."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.calibration.fit import Fit

Z95 = 1.959964


def log_se(lo: float, hi: float) -> float:
    if not (lo > 0 and hi > 0 and np.isfinite(lo) and np.isfinite(hi)):
        return 0.0
    return float((np.log(hi) - np.log(lo)) / (2 * Z95))


def cycle_dist(fit: Fit, what: str, rng: np.random.Generator | None):
    from sim.calibration.fit_durations import frozen_dist

    f = fit.cycle.get(what)
    if f is None or f.family == "constant" or not np.isfinite(f.mean) or f.mean <= 0:
        return None
    mean = f.mean if rng is None else float(f.mean * np.exp(rng.normal(0.0, log_se(f.mean_lo, f.mean_hi))))
    theta = np.log([mean] + ([f.cv] if f.family != "exponential" else []))
    return frozen_dist(f.family, theta)


def conversions(fit: Fit, rng: np.random.Generator | None) -> dict[tuple[str, str], float]:
    c = fit.conversion[fit.conversion["source"] == "*"]
    out = {}
    for r in c.itertuples():
        if r.n > 0:
            out[(r.segment, r.step)] = float(rng.beta(r.x + 0.5, r.n - r.x + 0.5)) if rng is not None \
                else float(r.x / r.n)
    return out


def lifted(fit: Fit, conv: dict, lift: float) -> dict:
    """Conversions whose product over the funnel is scaled by ``lift`` (the mixture's win rate over the
    closed deals' one), spread evenly over the steps on the log scale; each capped at 1."""
    n = max(len(fit.order) - 1, 1)
    f = lift ** (1.0 / n)
    return {k: min(v * f, 1.0) for k, v in conv.items()}


def p_from(fit: Fit, conv: dict, seg: str, k: int) -> float:
    p = 1.0
    for step in fit.order[k + 1:]:
        p *= conv.get((seg, step), 1.0)
    return p


def draw_values(fit: Fit, seg: str, n: int, rng: np.random.Generator, draw_median: float | None = None) -> np.ndarray:
    m = fit.money.get(seg) or {}
    acv, disc = m.get("acv"), m.get("discount")
    if acv is None or n == 0:
        return np.zeros(n)
    med = acv.median if draw_median is None else draw_median
    v = rng.lognormal(np.log(max(med, 1e-9)), max(acv.sigma, 0.0), n)
    return v * (1 - (disc.mean if disc is not None else 0.0))


def mean_value(fit: Fit, seg: str) -> float:
    m = fit.money.get(seg) or {}
    acv, disc = m.get("acv"), m.get("discount")
    if acv is None:
        return 0.0
    return float(acv.median * np.exp(acv.sigma**2 / 2) * (1 - (disc.mean if disc is not None else 0.0)))


def p_open(fit: Fit, d: pd.DataFrame, conv: dict, won_dist, lost_dist, stale: float = 0.0) -> np.ndarray:
    """Each open deal's probability of a win given its stage and that it is still open at its age
    (a deal that will go stale never closes: its survival is 1)."""
    p = np.array([p_from(fit, conv, s, k) for s, k in zip(d["segment"], d["reached"], strict=True)])
    a = d["age_days"].to_numpy(dtype=float)
    sw = won_dist.sf(a) if won_dist is not None else np.ones(len(a))
    sl = lost_dist.sf(a) if lost_dist is not None else np.ones(len(a))
    num, den = (1 - stale) * p * sw, (1 - stale) * (p * sw + (1 - p) * sl) + stale
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / den, 0.0)


def win_after(dist, age: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Days from now to the win, for deals of these ages that will be won (days to a win given > age)."""
    if dist is None:
        return np.zeros(len(age))
    lo = dist.cdf(age)
    u = lo + (1 - lo) * rng.random(len(age))
    t = dist.ppf(np.clip(u, 0.0, 1 - 1e-12))
    t = np.where(np.isfinite(t), t, age)
    return np.maximum(t - age, 0.0)


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
