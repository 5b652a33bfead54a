"""Cost and unit economics.

* Salaries: loaded cost per rep per year x years of filled seats (the
  starting team, plus hires from their first day, minus leavers from their
  last: a vacancy costs no salary).
* Variable costs from the cost log: commissions (a role's rate on the bookings
  it closes, or on expansions for account managers), per-hand-off fees (an
  SDR's per-meeting fee) and marketing cost per lead.
* Sales & marketing (S&M) cost is everything except the service roles
  (onboarding, CSM), which are cost of service.
* **CAC** (blended) = S&M cost / new logos. **CAC payback** = CAC / (average
  new-logo ACV x gross margin / 12), in months. **Magic number** = net new ARR
  over the last year / S&M cost of that year (the whole horizon if shorter).
* **Cost of sale per tier**: each S&M role's salary is split over tiers by the
  hours it worked for each tier's leads and customers; variable costs carry
  their tier. Against the tier's average deal, it shows where a sales motion
  costs more than the deals it wins.
"""

from __future__ import annotations

import numpy as np

from sim.model.vocab import AccountKind, CostKind, TimelineKind
from sim.records.facts import Facts

YEAR_DAYS = 365.25


def economics_kpis(f: Facts, arr_end: float, arr_year_ago: float | None) -> tuple[dict, np.ndarray]:
    """Cost KPIs and the weekly total cost series."""
    L = f.layout
    T = L.horizon_days
    years = T / YEAR_DAYS
    nr, nw = len(L.roles), L.n_weeks
    cost_rate = np.array(L.role_cost_per_year or [0.0] * nr)
    heads = np.array([0 if u else h for h, u in zip(L.headcount, L.unlimited, strict=True)], dtype=float)
    salaries = seat_years(f, heads) * cost_rate
    c = f.costs
    by_kind = {k: c["kind"] == int(k) for k in CostKind}
    role_var = np.zeros(nr)
    has_role = c["role"] >= 0
    np.add.at(role_var, c["role"][has_role].astype(np.int64), c["usd"][has_role])
    service = np.zeros(nr, dtype=bool)
    service[list(L.service_roles)] = True
    sm_salaries = float(salaries[~service].sum())
    variable = float(c["usd"].sum())
    sm_cost = sm_salaries + variable - float(role_var[service].sum())
    total = float(salaries.sum()) + variable

    a = f.accounts
    signed = a["kind"] == int(AccountKind.SIGNED)
    new_logos = int(signed.sum())
    avg_new_acv = float(a["acv"][signed].mean()) if new_logos else None
    cac = sm_cost / new_logos if new_logos else None
    payback = (cac / (avg_new_acv * L.gross_margin / 12) if cac is not None and avg_new_acv else None)

    if arr_year_ago is not None and years >= 1:
        last_year = c["t"] >= T - YEAR_DAYS
        sm_year = sm_salaries / years + float(c["usd"][last_year].sum()) - float(
            c["usd"][last_year & has_role & np.isin(c["role"], list(L.service_roles))].sum())
        magic = (arr_end - arr_year_ago) / sm_year if sm_year > 0 else None
    else:
        magic = arr_end / sm_cost if sm_cost > 0 else None

    heads_end = seats_at_end(f, heads)
    total_heads = float(heads_end.sum())
    k = {
        "costs": {
            "total_usd": round(total, 2),
            "sales_marketing_usd": round(sm_cost, 2),
            "service_usd": round(total - sm_cost, 2),
            "salaries_by_role_usd": {r: round(float(x), 2) for r, x in zip(L.roles, salaries, strict=True)},
            "commissions_usd": round(float(c["usd"][by_kind[CostKind.COMMISSION]].sum()), 2),
            "fees_usd": round(float(c["usd"][by_kind[CostKind.FEE]].sum()), 2),
            "marketing_usd": round(float(c["usd"][by_kind[CostKind.MARKETING]].sum()), 2),
            "unallocated_sales_marketing_usd": round(_unallocated(f, salaries, service), 2),
        },
        "cac_usd": _r(cac),
        "cac_payback_months": _r(payback),
        "magic_number": _r(magic, 4),
        "arr_per_head_usd": _r(arr_end / total_heads) if total_heads else None,
        "arr_per_head_by_role_usd": {r: _r(arr_end / h) if h else None
                                     for r, h in zip(L.roles, heads_end, strict=True)},
        "cost_of_sale_by_segment": _cost_of_sale(f, salaries, service),
    }
    week = np.minimum((c["t"] // 7.0).astype(np.int64), nw - 1)
    days_in_week = np.minimum(7.0, T - 7.0 * np.arange(nw))
    weekly_cost = np.bincount(week, weights=c["usd"], minlength=nw) + salaries.sum() / T * days_in_week
    return k, weekly_cost


def seat_years(f: Facts, heads: np.ndarray) -> np.ndarray:
    """Years of filled seats per role: the starting team for the whole horizon,
    plus hires from their first day, minus leavers from their last (a vacancy
    costs no salary)."""
    T = f.layout.horizon_days
    days = heads * T
    tl = f.timeline
    if len(tl.get("kind", [])):
        for kind, sign in ((int(TimelineKind.REP_HIRED), 1.0), (int(TimelineKind.REP_LEFT), -1.0)):
            m = tl["kind"] == kind
            np.add.at(days, tl["role"][m].astype(np.int64), sign * (T - tl["t"][m]))
    return days / YEAR_DAYS


def seats_at_end(f: Facts, heads: np.ndarray) -> np.ndarray:
    """Filled seats per role when the run ends (the starting team, hires, leavers)."""
    out = heads.astype(float).copy()
    tl = f.timeline
    if len(tl.get("kind", [])):
        for kind, sign in ((int(TimelineKind.REP_HIRED), 1.0), (int(TimelineKind.REP_LEFT), -1.0)):
            m = tl["kind"] == kind
            np.add.at(out, tl["role"][m].astype(np.int64), sign)
    return out


def _r(x, nd: int = 2):
    return None if x is None else round(float(x), nd)


def _unallocated(f: Facts, salaries: np.ndarray, service: np.ndarray) -> float:
    """S&M salaries of roles that did no work for any tier (so no tier carries them)."""
    idle = f.busy_by_segment.sum(axis=1) <= 0
    return float(salaries[idle & ~service].sum())


def _cost_of_sale(f: Facts, salaries: np.ndarray, service: np.ndarray) -> dict[str, dict]:
    L = f.layout
    ng = len(L.segments)
    busy = f.busy_by_segment  # [role, segment]
    share = np.divide(busy, busy.sum(axis=1, keepdims=True), out=np.zeros_like(busy),
                      where=busy.sum(axis=1, keepdims=True) > 0)
    allocated = (salaries[:, None] * share)[~service].sum(axis=0)
    c = f.costs
    not_service = ~np.isin(c["role"], list(L.service_roles)) | (c["role"] < 0)
    variable = np.bincount(c["segment"][not_service].astype(np.int64), weights=c["usd"][not_service],
                           minlength=ng)
    cost = allocated + variable
    out = {}
    for g, name in enumerate(L.segments):
        wins = int(f.won_by_segment[g])
        avg = float(f.bookings_by_segment[g] / wins) if wins else None
        per_win = float(cost[g] / wins) if wins else None
        out[name] = {
            "motion": L.motions[g] if L.motions else None,
            "wins": wins,
            "average_deal_usd": _r(avg),
            "cost_usd": _r(cost[g]),
            "cost_per_win_usd": _r(per_win),
            "cost_to_acv_ratio": _r(per_win / avg, 4) if per_win is not None and avg else None,
        }
    return out
