"""Arrivals per source: weekly rate, segment mix, monthly seasonality, hour of week.

Each opportunity's creation (``created_at``, else its first stage entry) is an
arrival. The rate is a Poisson MLE over the observed window (from the first
creation to the extraction date) with an exact (chi-square) interval.
Seasonality is the rate per calendar month over the days of that month the
window covers, normalized to mean 1 (the scenario's convention); it is
written only when the window spans a full year and a chi-square test says the
months differ beyond chance. The hour-of-week profile is reported only: the
model's clock has no time of day.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from sim.calibration.paths import Paths

SEASONALITY_P = 0.05


def _poisson_ci(k: int, exposure: float, level: float = 0.95) -> tuple[float, float]:
    a = 1 - level
    lo = stats.chi2.ppf(a / 2, 2 * k) / 2 if k > 0 else 0.0
    hi = stats.chi2.ppf(1 - a / 2, 2 * k + 2) / 2
    return lo / exposure, hi / exposure


def window(p: Paths) -> tuple[pd.Timestamp, pd.Timestamp]:
    start = p.opps["created"].min().floor("D")
    return start, p.as_of


def month_exposure(start: pd.Timestamp, end: pd.Timestamp) -> np.ndarray:
    """Days of each calendar month (Jan..Dec) inside [start, end)."""
    days = pd.date_range(start.floor("D"), end, freq="D", inclusive="left")
    out = np.bincount(days.month - 1, minlength=12).astype(float)
    return out


def arrivals(p: Paths) -> dict[str, dict]:
    """Per source: n, rate_per_week with CI, segment_mix, seasonality (or None) and its test."""
    start, end = window(p)
    span_days = max((end - start).total_seconds() / 86400.0, 1e-9)
    exposure = month_exposure(start, end)
    out = {}
    for src, g in p.opps.groupby("source"):
        n = len(g)
        lo, hi = _poisson_ci(n, span_days / 7.0)
        mix = g["segment"].value_counts(normalize=True).sort_index()
        counts = np.bincount(g["created"].dt.month - 1, minlength=12).astype(float)
        season, pval = None, None
        if span_days >= 365 and exposure.min() > 0:
            expected = counts.sum() * exposure / exposure.sum()
            pval = float(stats.chisquare(counts, expected).pvalue)
            rate = counts / exposure
            if pval < SEASONALITY_P:
                season = list(np.round(rate / rate.mean(), 3))
        how = g["created"].dt.day_of_week * 24 + g["created"].dt.hour
        out[src] = {"n": n, "rate_per_week": n / (span_days / 7.0), "lo": lo, "hi": hi,
                    "segment_mix": {k: float(v) for k, v in mix.items()}, "month_counts": counts.tolist(),
                    "month_exposure_days": exposure.tolist(), "seasonality": season, "seasonality_p": pval,
                    "hour_of_week": np.bincount(how, minlength=168).tolist()}
    return out


def rounded_mix(mix: dict[str, float]) -> dict[str, float]:
    """Shares rounded to 4 places that still sum to exactly 1 (the scenario checks the sum)."""
    keys = sorted(mix)
    vals = [round(mix[k], 4) for k in keys]
    vals[int(np.argmax(vals))] += round(1.0 - sum(vals), 4)
    return {k: round(v, 4) for k, v in zip(keys, vals, strict=True)}
