"""Deal timing and discount: the quarter-end share of bookings (every run),
and with a ``deals`` section the discount by week of quarter and the deals
reps pulled into a quarter (see :mod:`sim.model.deals`)."""

from __future__ import annotations

import numpy as np

from sim.records.facts import Facts

QUARTER_WEEKS = 13
LAST_MONTH_WEEKS = 4  # the last 4 of a quarter's 13 weeks: its third month


def deal_kpis(f: Facts) -> dict:
    weekly = np.asarray(f.weekly.get("bookings_usd", np.zeros(0)), dtype=float)
    total = float(weekly.sum())
    last = np.arange(len(weekly)) % QUARTER_WEEKS >= QUARTER_WEEKS - LAST_MONTH_WEEKS
    share = round(float(weekly[last].sum()) / total, 4) if total > 0 else None
    out: dict[str, object] = {"quarter_end_share_of_bookings": share}
    table = f.people.get("deals")
    if table is not None:
        lst, booked = table["list_by_week_of_quarter"], table["booked_by_week_of_quarter"]
        out["discount_by_week_of_quarter"] = [round(1 - b / v, 4) if v > 0 else None
                                              for v, b in zip(lst, booked, strict=True)]
        out["deals_pulled_into_quarter"] = int(table["pulled_wins"])
    return out
