"""Results for the organization question: reps as individuals, spread of
performance, key-person dependency and the stability of the win rate.

* Per rep (of the roles that close deals): wins, losses (leads lost from the
  win-rate stage on, at a step the rep worked last), bookings, win rate, hire
  and leave days, skill.
* Spread: the Gini coefficient of bookings across those reps and the share of
  bookings from the top 20% of them (power-law talent shows up here).
* Key-person dependency: what each departing rep held when they left - the
  list value of the leads they owned and the ARR of the accounts they kept.
* Win-rate stability: the win rate of each 13-week quarter and its standard
  deviation.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from sim.model.vocab import TimelineKind
from sim.records.facts import Facts

QUARTER_WEEKS = 13


def gini(x: np.ndarray) -> float | None:
    """Gini coefficient of non-negative values (0 equal, 1 one holds everything)."""
    x = np.sort(np.asarray(x, dtype=float))
    n = len(x)
    if n == 0 or x.sum() <= 0:
        return None
    return float((2 * np.arange(1, n + 1) - n - 1) @ x / (n * x.sum()))


def top_share(x: np.ndarray, share: float = 0.2) -> float | None:
    """Share of the total held by the top ``share`` of holders (at least one)."""
    x = np.sort(np.asarray(x, dtype=float))[::-1]
    if len(x) == 0 or x.sum() <= 0:
        return None
    k = max(1, math.ceil(share * len(x)))
    return float(x[:k].sum() / x.sum())


def rep_table(f: Facts) -> list[dict]:
    L = f.layout
    rows = []
    for r in L.closer_roles:
        table = f.people.get(r)  # (the "pods" entry is keyed by name, never a role index)
        reps = range(len(table["seat"])) if table else sorted({p for (rr, p) in f.rep_outcomes if rr == r})
        for p in reps:
            wins, losses, booked = f.rep_outcomes.get((r, p), [0, 0, 0.0])
            row = {"role": L.roles[r], "rep": int(p), "wins": int(wins), "losses": int(losses),
                   "bookings_usd": round(float(booked), 2),
                   "win_rate": round(wins / (wins + losses), 4) if wins + losses else None}
            if table:
                left = table["left_days"][p]
                row.update(seat=table["seat"][p], hired_days=round(table["hired_days"][p], 2),
                           left_days=None if left == math.inf else round(left, 2),
                           skill=round(table["skill"][p], 4))
                if "pod" in table:
                    row["pod"] = table["pod"][p]
                for key, col in table.get("work", {}).items():  # by kind of work (work_model)
                    row[key] = col[p]
            rows.append(row)
    return rows


def staff_table(f: Facts) -> list[dict]:
    """Per person of the staffed roles that do not close deals (setters, onboarding, CSMs...) with a
    people section: ``role``, ``rep``, ``seat``, ``hired_days``, ``left_days``, ``skill``, a podded
    role's ``pod`` and the per-rep quantities of the work model (practice and hours by kind of work,
    switches, learning and coordination hours, manager and coverage), as for the closers in
    :func:`rep_table`. Their bookings are the closers'; what they did is here."""
    L = f.layout
    closers = set(L.closer_roles)
    rows = []
    for r in range(len(L.roles)):
        table = f.people.get(r)
        if r in closers or not isinstance(table, dict) or "seat" not in table:
            continue
        for p in range(len(table["seat"])):
            left = table["left_days"][p]
            row = {"role": L.roles[r], "rep": int(p), "seat": table["seat"][p],
                   "hired_days": round(table["hired_days"][p], 2),
                   "left_days": None if left == math.inf else round(left, 2), "skill": round(table["skill"][p], 4)}
            if "pod" in table:
                row["pod"] = table["pod"][p]
            for key, col in table.get("work", {}).items():
                row[key] = col[p]
            rows.append(row)
    return rows


def people_kpis(f: Facts, arr_end: float, total_cost: float) -> dict:
    L = f.layout
    reps = rep_table(f)
    bookings = np.array([r["bookings_usd"] for r in reps])
    tl = f.timeline
    left = tl["kind"] == int(TimelineKind.REP_LEFT) if len(tl.get("kind", [])) else np.zeros(0, bool)
    departures: list[dict[str, Any]] = [{"t_days": round(float(t), 2), "role": L.roles[int(r)], "rep": int(p),
                   "pipeline_usd": round(float(pv), 2), "arr_usd": round(float(av), 2)}
                  for t, r, p, pv, av in zip(tl["t"][left], tl["role"][left], tl["rep"][left],
                                             tl["pipeline_usd"][left], tl["arr_usd"][left], strict=True)] \
        if len(left) else []
    won = f.weekly["won"]
    decided = won + f.weekly.get("lost_decided", np.zeros_like(won))
    nq = len(won) // QUARTER_WEEKS
    quarterly = []
    for q in range(nq):
        sl = slice(q * QUARTER_WEEKS, (q + 1) * QUARTER_WEEKS)
        d = decided[sl].sum()
        quarterly.append(round(float(won[sl].sum() / d), 4) if d else None)
    known = [x for x in quarterly if x is not None]
    return {
        "reps": reps,
        "staff": staff_table(f),
        "rep_bookings_gini": _r(gini(bookings)),
        "top20_bookings_share": _r(top_share(bookings)),
        "departures": departures,
        "key_person_exposure": {
            "max_pipeline_usd": max((d["pipeline_usd"] for d in departures), default=0.0),
            "max_arr_usd": max((d["arr_usd"] for d in departures), default=0.0),
        },
        "win_rate_by_quarter": quarterly,
        "win_rate_stability": _r(float(np.std(known)) if len(known) >= 2 else None),
        "win_rate_stability_detrended": _r(detrended_std(quarterly)),
        "cost_per_arr_usd": _r(total_cost / arr_end) if arr_end > 0 else None,
    }


def detrended_std(series: list[float | None]) -> float | None:
    """Standard deviation of a series around its least-squares line (quarters without a
    decided deal left out, at their own place in time): how much the win rate jumps from
    quarter to quarter, a steady rise or fall not counted. None with fewer than three points."""
    pts = [(i, x) for i, x in enumerate(series) if x is not None]
    if len(pts) < 3:
        return None
    t = np.array([i for i, _ in pts], dtype=float)
    y = np.array([x for _, x in pts], dtype=float)
    slope, intercept = np.polyfit(t, y, 1)
    return float(np.std(y - (slope * t + intercept)))


def _r(x, nd: int = 4):
    return None if x is None else round(float(x), nd)
