"""Quarter-end bunching of wins, for ``salesim forecast``: whether the history's wins bunch in the
last month of quarters (each quarter end against its two neighbouring months, so a smooth trend or
season cancels out) and, when they do, each run's wins and bookings moved between a quarter's months
by the fitted rate ratio, keeping the quarter's total; and the dated wins of a history it reads."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim.calibration.fit import Fit
from sim.calibration.io import History
from sim.calibration.paths import WON

QUARTER_END_P = 0.01  # a month-of-quarter pattern of wins is applied when this unlikely under an even spread


def won_at(h: History, order: list[str]) -> pd.DataFrame:
    r = h.rows
    g = r.groupby("opportunity_id")
    outcome = g["outcome"].last()
    won = r[r["stage"] == order[-1]].groupby("opportunity_id")["entered_at"].min()
    closed = g["closed_at"].max() if "closed_at" in r else pd.Series(pd.NaT, index=outcome.index)
    at = won.reindex(outcome.index).fillna(closed.where(outcome == WON))
    amount = g["amount"].last() if "amount" in r else pd.Series(0.0, index=outcome.index)
    return pd.DataFrame({"won_at": at.where(outcome == WON), "amount": amount}).dropna(subset=["won_at"])


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
    threshold: float = field(default=QUARTER_END_P, repr=False)  # applied when p_value is below it

    @property
    def significant(self) -> bool:
        return self.quarters >= 1 and self.p_value < self.threshold

    @property
    def ratio(self) -> float:
        """Daily rate of wins in a quarter's last month relative to its neighbours."""
        return (self.last / self.days_last) / max(self.neighbours / self.days_neighbours, 1e-12)

    def draw_ratio(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """The ratio drawn from its posterior (Jeffreys gamma on each count)."""
        a = rng.gamma(self.last + 0.5, size=size) / self.days_last
        b = rng.gamma(self.neighbours + 0.5, size=size) / self.days_neighbours
        return a / b


def fit_quarter_end(h: History, fit: Fit, cut: pd.Timestamp, threshold: float = QUARTER_END_P) -> QuarterEnd | None:
    """The quarter-end pattern of wins before ``cut``; None when no quarter end with whole
    neighbouring months lies inside the history."""
    from scipy import stats

    w = won_at(h, fit.order)
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
    return QuarterEnd(last=last, neighbours=nb, days_last=d_last, days_neighbours=d_nb, quarters=n_q, p_value=p,
                      threshold=threshold)


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
