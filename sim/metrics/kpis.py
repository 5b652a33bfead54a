"""Key performance indicators of one run (the keys are documented in docs/guide/kpis.md and the KPI reference).

Conversion rates use *resolved* denominators: of the leads that left a stage,
the share that moved on. Leads still open at the horizon are not counted as
losses, so a short run does not understate conversion.
"""

from __future__ import annotations

import numpy as np

from sim.metrics.deals_kpis import deal_kpis
from sim.metrics.economics import economics_kpis, seat_days_by_week, seats_at_end
from sim.metrics.first_touch import first_touch
from sim.metrics.market_kpis import market_kpis
from sim.metrics.onboarding_kpis import onboarding_kpis
from sim.metrics.people_kpis import people_kpis
from sim.metrics.pipeline_kpis import pipeline_kpis
from sim.metrics.pod_kpis import pod_kpis
from sim.metrics.quota import attainment
from sim.metrics.registry import ordered
from sim.metrics.revenue import customer_stages, revenue_kpis
from sim.metrics.success_kpis import success_kpis
from sim.metrics.time_use import time_use
from sim.records.facts import Facts


def _r(x: float, nd: int = 6) -> float:
    return float(round(float(x), nd))


def stage_table(f: Facts) -> list[dict]:
    """The bow-tie table: one row per stage."""
    L = f.layout
    ns = len(L.stages)
    lost_total: np.ndarray = sum(f.lost.values())  # type: ignore[assignment]  # arrays, never the 0 start
    rows = []
    for k, name in enumerate(L.stages):
        left = len(f.dwell[k]) if k < ns - 1 else 0
        lost_k = int(lost_total[k])
        moved_on = left - lost_k if k < ns - 1 else 0
        resolved = moved_on + lost_k
        d = f.dwell[k]
        rows.append({
            "stage": name,
            "entered": int(f.entries[k]),
            "moved_on": int(moved_on),
            "lost": lost_k,
            "open": int(f.final_wip[k]) if len(f.final_wip) else None,
            "conversion": _r(moved_on / resolved) if resolved else None,
            "median_days": _r(np.median(d), 3) if len(d) else None,
            "mean_days": _r(d.mean(), 3) if len(d) else None,
            "value_usd": _r(f.entry_value_usd[k], 2),
        })
    return rows


def role_table(f: Facts) -> dict[str, dict]:
    L = f.layout
    out = {}
    mean_queue = f.queue.mean(axis=0) if len(f.queue) else np.zeros(len(L.roles))
    seat_days = seat_days_by_week(f).sum(axis=0)  # hires count from their first day, vacancies not at all
    if L.work_share:  # with a calendar, a seat is available only in its working time
        seat_days = seat_days * np.array(L.work_share)
    at_end = seats_at_end(f)
    # the reps' time at work as the model measured it (sim.model.attendance: each rep's own calendar and
    # absences, a leaver until their last task ends); the seat-days estimate for a role it did not measure
    available = f.people.get("available_days") or {}
    for r, name in enumerate(L.roles):
        busy = f.busy_days[r]
        n = int(f.tasks[r])
        cap = None if L.unlimited[r] or seat_days[r] <= 0 else available.get(r, seat_days[r])
        cap = cap if cap and cap > 0 else None
        out[name] = {
            "headcount": None if L.unlimited[r] else int(round(at_end[r])),
            "tasks": n,
            "utilization": _r(busy.sum() / cap, 4) if cap else None,
            "mean_wait_hours": _r(f.wait_sum_days[r] / n * 24.0, 3) if n else 0.0,
            "mean_queue_length": _r(mean_queue[r], 3),
            "busy_hours_per_rep": [_r(b / L.days_per_hour[r], 1) for b in busy] if cap else None,
        }
    return out


def win_rate_by_motion(f: Facts) -> dict[str, float | None]:
    """Win rate per sales motion (segments grouped by their ``motion`` label, or by
    their own name without one): a blended rate that mixes self-serve sign-ups
    with sales-led deals says little about either."""
    L = f.layout
    won: dict[str, int] = {}
    decided: dict[str, int] = {}
    lost = f.lost_decided_by_segment if len(f.lost_decided_by_segment) else np.zeros(len(L.segments), int)
    for g, name in enumerate(L.segments):
        m = (L.motions[g] if L.motions else None) or name
        won[m] = won.get(m, 0) + int(f.won_by_segment[g])
        decided[m] = decided.get(m, 0) + int(f.won_by_segment[g]) + int(lost[g])
    return {m: _r(won[m] / decided[m], 4) if decided[m] else None for m in won}


def kpis(f: Facts, win_rate_stage: int = 1) -> dict:
    """All KPIs of a run as plain JSON-ready values."""
    L = f.layout
    stages = stage_table(f)
    created = int(f.created_by_source.sum())
    won = int(f.won_by_segment.sum())
    lost_by = {k: int(v.sum()) for k, v in f.lost.items()}
    lost = sum(lost_by.values())
    bookings = float(f.bookings_by_segment.sum())
    lost_after = sum(int(v[win_rate_stage:].sum()) for v in f.lost.values())
    decided = won + lost_after
    weeks = L.horizon_days / 7.0
    money, weekly = revenue_kpis(f)
    econ, _ = economics_kpis(f, weekly["arr_usd"])
    money = {k: (_r(v, 2) if isinstance(v, float) and k.endswith("_usd") else
                 _r(v, 4) if isinstance(v, float) else v) for k, v in money.items()}
    return ordered({
        "horizon_weeks": _r(weeks, 4),
        "leads_created": created,
        "leads_created_by_source": {s: int(n) for s, n in zip(L.sources, f.created_by_source, strict=True)},
        "leads_won": won,
        "leads_lost": lost,
        "leads_lost_by_reason": lost_by,
        "leads_open": int(f.final_wip.sum()) if len(f.final_wip) else created - won - lost,
        "bookings_usd": _r(bookings, 2),
        "bookings_by_segment_usd": {g: _r(v, 2) for g, v in zip(L.segments, f.bookings_by_segment, strict=True)},
        "wins_by_segment": {g: int(v) for g, v in zip(L.segments, f.won_by_segment, strict=True)},
        "bookings_per_week_usd": _r(bookings / weeks, 2),
        "average_deal_usd": _r(bookings / won, 2) if won else None,
        "average_discount_fraction": _r(1 - bookings / f.list_value_won_usd, 4) if won else None,
        "win_rate": _r(won / decided, 4) if decided else None,
        "win_rate_from_stage": L.stages[win_rate_stage],
        "win_rate_by_motion": win_rate_by_motion(f),
        "lost_to_sla": lost_by.get("sla", 0),
        "stages": stages,
        "roles": role_table(f),
        **money,
        "customer_stages": customer_stages(f),
        **success_kpis(f),
        **onboarding_kpis(f)[0],
        **econ,
        **people_kpis(f, money["arr_end_usd"], econ["costs"]["total_usd"]),
        **pod_kpis(f),
        **market_kpis(f),
        **deal_kpis(f),
        **pipeline_kpis(f, bookings),
        "quota_attainment": attainment(f),
        "first_touch": first_touch(f),
        **({"time_use": hours} if (hours := time_use(f)) is not None else {}),
        **({"management": dict(mg)} if (mg := f.people.get("management")) else {}),
    })
