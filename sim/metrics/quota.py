"""Quota attainment per selling role and period.

A role with ``quota_usd_per_year`` gets, for each year of the run (the last
one shorter if the horizon is not whole years), the attainment of every rep
present for at least 13 weeks of it: bookings of the wins whose last step the
rep worked / (quota x days present / 365.25). So a rep hired mid-year is held
to a pro-rata quota, and a 26-week run to half a year's quota. Quotas are not
reduced during ramp (most plans do ramp them; the attainment of new hires is
read with that in mind). With a pay plan's ``clawback_takes_credit``, a booking
clawed back leaves the attainment of the year it was won in.

Reported per role and period: the reps counted, the median and mean
attainment, the 10th and 90th percentiles, the share of reps at or above
quota (the Bridge Group's ~54% is the benchmark figure), and each rep's value.
"""

from __future__ import annotations

import math

import numpy as np

from sim.model.vocab import TimelineKind
from sim.records.facts import YEAR_DAYS, Facts

MIN_PRESENT_DAYS = 91.0


def presence(f: Facts, role: int) -> dict[int, tuple[float, float]]:
    """Rep -> (first day, last day) in the role: from the people table when the
    role has one, else the starting seats plus hires and leavers on the timeline."""
    T = f.layout.horizon_days
    table = f.people.get(role)
    if table:
        return {p: (max(h, 0.0), min(left, T))
                for p, (h, left) in enumerate(zip(table["hired_days"], table["left_days"], strict=True))}
    spans = {p: (0.0, T) for p in range(f.layout.headcount[role])}
    tl = f.timeline
    if len(tl.get("kind", [])):
        mine = tl["role"] == role
        for t, p, k in zip(tl["t"][mine].tolist(), tl["rep"][mine].tolist(), tl["kind"][mine].tolist(), strict=True):
            if k == int(TimelineKind.REP_HIRED):
                spans[p] = (t, T)
            elif k == int(TimelineKind.REP_LEFT) and p in spans:
                spans[p] = (spans[p][0], t)
    return spans


def attainment(f: Facts) -> dict[str, list[dict]]:
    """Role -> one entry per period (see the module docstring)."""
    L = f.layout
    T = L.horizon_days
    out: dict[str, list[dict]] = {}
    taken_back = f.people.get("clawback_credit") or {}  # role -> (rep, year) -> credit clawed back
    for r, quota in enumerate(L.quota_usd_per_year):
        if not quota:
            continue
        spans = presence(f, r)
        periods = []
        for y in range(int(math.ceil(T / YEAR_DAYS - 1e-9))):
            a, b = y * YEAR_DAYS, min((y + 1) * YEAR_DAYS, T)
            values = []
            for p, (s, e) in sorted(spans.items()):
                days = min(e, b) - max(s, a)
                if days < min(MIN_PRESENT_DAYS, b - a):
                    continue
                booked = f.rep_bookings_by_year.get((r, p, y), 0.0) - taken_back.get(r, {}).get((p, y), 0.0)
                values.append(booked / (quota * days / YEAR_DAYS))
            v = np.array(values)
            periods.append({
                "period": f"year_{y + 1}",
                "weeks": round((b - a) / 7.0, 2),
                "reps": len(values),
                "median": _r(np.median(v)) if len(v) else None,
                "mean": _r(v.mean()) if len(v) else None,
                "p10": _r(np.percentile(v, 10)) if len(v) else None,
                "p90": _r(np.percentile(v, 90)) if len(v) else None,
                "share_at_quota": _r(np.mean(v >= 1.0)) if len(v) else None,
                "attainment": [_r(x) for x in values],
            })
        out[L.roles[r]] = periods
    return out


def _r(x: float | np.floating) -> float:
    return round(float(x), 4)
