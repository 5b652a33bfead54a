"""What ``salesim forecast`` gives (:mod:`sim.calibration.forecast`): the runs' bookings, wins and
recognized revenue by month, the open deals with their chances and categories, and the views read
from them - bands by month and quarter, P(hit plan), pipeline coverage, categories, roll-ups, and
the backtest scores against the naive forecasts when the history goes on."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.calibration.backtest import crps
from sim.calibration.fit import Fit

if TYPE_CHECKING:
    from sim.calibration.quarter_end import QuarterEnd


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
