"""Cost and unit economics, from dated costs.

* **Salaries** follow the seats that are filled, day by day: the starting
  team, hires from their first day, leavers until their last (a vacancy
  costs no salary). :func:`salary_by_week` is the dated salary cost; the
  weekly ``cost_usd`` series and every per-year figure sum it.
* **Variable costs** come from the cost log with their date: commissions (a
  role's rate on the bookings it closes, or on expansions for account
  managers), per-hand-off fees (an SDR's per-meeting fee) and marketing cost
  per lead.
* **Cost classes.** *Acquisition* (the CAC numerator): marketing, the roles
  that work funnel steps and their commissions and fees, and the roles that
  work nothing (managers, leaders: overhead of selling). *Retention*: the
  account-management and customer-success roles that do not also sell
  (salaries and expansion commissions). *Onboarding*: the onboarding role if
  it does not also sell. A role that both sells and serves (a generalist, a
  POD seller who onboards and looks after customers) is split between the
  three by its task hours on each kind of work over the run
  (:func:`class_shares`), so a seller's customer work is not counted as the
  cost of winning customers. *Sales & marketing* = acquisition + retention.
* **CAC** = acquisition cost / new logos. **CAC payback** = CAC / (average
  new-logo ARR x gross margin / 12), in months.
* **Magic number** of reporting year ``y`` (52-week years, see
  :mod:`sim.units`) = net new ARR added in year ``y`` / S&M cost of year
  ``y - 1``; ``magic_number`` is the last year's (None with fewer than two
  years).
* **Cost of sale per tier**: each acquisition role's salary is split over
  tiers by the hours it worked for each tier's leads and customers; variable
  costs carry their tier. Against the tier's average deal, it shows where a
  sales motion costs more than the deals it wins.
"""

from __future__ import annotations

import numpy as np

from sim.model.vocab import AccountKind, CostKind, TimelineKind
from sim.records.facts import Facts
from sim.units import DAYS_PER_WEEK, DAYS_PER_YEAR, WEEKS_PER_REPORTING_YEAR, reporting_years, week_index

YEAR_DAYS = DAYS_PER_YEAR
CLASSES = ("acquisition", "onboarding", "retention")  # = sim.model.vocab.WORK_CLASSES


def starting_heads(f: Facts) -> np.ndarray:
    L = f.layout
    return np.array([0 if u else h for h, u in zip(L.headcount, L.unlimited, strict=True)], dtype=float)


def seat_days_by_week(f: Facts) -> np.ndarray:
    """[week, role] days of filled seats: the starting team every day, plus
    hires from their first day, minus leavers from their last."""
    L = f.layout
    T, nw = L.horizon_days, L.n_weeks
    lo = np.arange(nw) * DAYS_PER_WEEK
    hi = np.minimum(lo + DAYS_PER_WEEK, T)
    out = np.outer(hi - lo, starting_heads(f))
    tl = f.timeline
    if len(tl.get("kind", [])):
        for kind, sign in ((int(TimelineKind.REP_HIRED), 1.0), (int(TimelineKind.REP_LEFT), -1.0)):
            m = tl["kind"] == kind
            for t, r in zip(tl["t"][m], tl["role"][m].astype(np.int64), strict=True):
                out[:, r] += sign * np.clip(hi - np.maximum(t, lo), 0.0, None)
    return out


def salary_by_week(f: Facts) -> np.ndarray:
    """[week, role] loaded salary cost of the seats filled in each week."""
    L = f.layout
    rate = np.array(L.role_cost_per_year or [0.0] * len(L.roles))
    return seat_days_by_week(f) * rate / YEAR_DAYS


def seats_at_end(f: Facts) -> np.ndarray:
    """Filled seats per role when the run ends (the starting team, hires, leavers)."""
    out = starting_heads(f)
    tl = f.timeline
    if len(tl.get("kind", [])):
        for kind, sign in ((int(TimelineKind.REP_HIRED), 1.0), (int(TimelineKind.REP_LEFT), -1.0)):
            m = tl["kind"] == kind
            np.add.at(out, tl["role"][m].astype(np.int64), sign)
    return out


def cost_classes(f: Facts) -> dict[str, np.ndarray]:
    """Role masks: ``retention`` (AM, CSM), ``onboarding``, ``acquisition`` (the rest)."""
    L = f.layout
    nr = len(L.roles)
    retention = np.zeros(nr, dtype=bool)
    retention[list(L.retention_roles)] = True
    onboarding = np.zeros(nr, dtype=bool)
    onboarding[list(L.service_roles)] = True
    onboarding &= ~retention
    return {"acquisition": ~(retention | onboarding), "retention": retention, "onboarding": onboarding}


def class_shares(f: Facts) -> np.ndarray:
    """[role, class] share of each role's salary in acquisition, onboarding, retention
    (:data:`CLASSES`): a role that does not sell, all in its class; a selling role, by its
    task hours on funnel steps, onboarding and account work (care, expansion) over the run;
    a role that worked no task (a manager), all acquisition."""
    masks = cost_classes(f)
    out = np.stack([masks[c] for c in CLASSES], axis=1).astype(float)
    split = split_roles(f)
    if split.any():
        hours = np.asarray(f.busy_by_kind, dtype=float)[split]
        out[split] = hours / hours.sum(axis=1, keepdims=True)
    return out


def split_roles(f: Facts) -> np.ndarray:
    """Roles that sell and also did customer work (onboarding, care, expansion): the
    ones :func:`class_shares` splits (every other role's shares are 0 or 1)."""
    acquisition = cost_classes(f)["acquisition"]
    hours = np.asarray(f.busy_by_kind, dtype=float)
    if hours.shape != (len(acquisition), len(CLASSES)):
        return np.zeros(len(acquisition), dtype=bool)  # facts recorded before hours by kind were kept
    return acquisition & (hours[:, 1:].sum(axis=1) > 0)


def process_by_week(f: Facts) -> dict[str, np.ndarray]:
    """[week, role] cost of each priced process lever: per-seat prices follow the
    covered roles' filled seats day by day; flat prices (and ops staff) accrue
    daily and are shared over the covered roles by their seat-days that week."""
    L = f.layout
    seats = seat_days_by_week(f)
    nw, nr = seats.shape
    lo = np.arange(nw) * DAYS_PER_WEEK
    days = (np.minimum(lo + DAYS_PER_WEEK, L.horizon_days) - lo)[:, None]
    out = {}
    for line in L.process_costs:
        covered = np.zeros(nr, dtype=bool)
        covered[list(line.roles)] = True
        mine = seats * covered
        cost = mine * line.per_seat_usd_per_year / YEAR_DAYS
        total = mine.sum(axis=1, keepdims=True)
        share = np.divide(mine, total, out=np.zeros_like(mine), where=total > 0)
        empty = total[:, 0] <= 0  # no covered seat filled that week: the flat price still accrues
        if empty.any() and covered.any():
            share[np.ix_(empty, covered)] = 1.0 / covered.sum()
        cost = cost + share * (days * line.flat_usd_per_year / YEAR_DAYS)
        out[line.lever] = cost
    return out


def weekly_costs(f: Facts) -> dict[str, np.ndarray]:
    """Dated cost per class: ``{class: [week]}`` for acquisition, retention, onboarding
    (salaries, variable costs, and the process levers' prices by the class of the
    seats they cover)."""
    nw = f.layout.n_weeks
    sal = salary_by_week(f) + sum(process_by_week(f).values(), np.zeros((nw, len(f.layout.roles))))
    c = f.costs
    week = week_index(c["t"], nw)
    role = c["role"].astype(np.int64)
    out = {}
    shares, split = class_shares(f), split_roles(f)
    for name, mask in cost_classes(f).items():
        # variable costs (commissions, fees) stay with the role's class: a seller's commission
        # is on what it sold; salaries and the levers' prices follow the hours (class_shares)
        mine = (role >= 0) & mask[np.maximum(role, 0)]
        if name == "acquisition":
            mine |= role < 0  # marketing
        salaries = sal[:, mask & ~split].sum(axis=1)
        if split.any():
            salaries = salaries + sal[:, split] @ shares[split, CLASSES.index(name)]
        out[name] = salaries + np.bincount(week[mine], weights=c["usd"][mine], minlength=nw)
    for name, extra in overhead_by_week(f).items():
        out[name] = out[name] + extra.sum(axis=0)
    return out


def overhead_by_week(f: Facts) -> dict[str, np.ndarray]:
    """``{class: [kind, week]}`` of the costs a whole company carries beyond its seats and
    variable costs (empty when the scenario sets none): kind 0, marketing programmes
    (``economics.marketing_programmes_usd_per_year``, accrued daily, acquisition); kind 1,
    recruiting (``roles.<r>.recruiting_cost_usd`` at each hire, in the role's class, a seller
    who serves split by :func:`class_shares`)."""
    L = f.layout
    programmes = float(getattr(L, "marketing_programmes_usd_per_year", 0.0) or 0.0)
    per_hire = np.asarray(getattr(L, "recruiting_cost_usd", None) or [0.0] * len(L.roles), dtype=float)
    tl = f.timeline
    hired = (np.asarray(tl.get("kind", []), dtype=np.int64) == int(TimelineKind.REP_HIRED))
    if programmes <= 0 and not (per_hire.any() and hired.any()):
        return {}
    nw = L.n_weeks
    lo = np.arange(nw) * DAYS_PER_WEEK
    days = np.minimum(lo + DAYS_PER_WEEK, L.horizon_days) - lo
    out = {c: np.zeros((2, nw)) for c in CLASSES}
    out["acquisition"][0] += days * programmes / YEAR_DAYS
    if per_hire.any() and hired.any():
        roles = np.asarray(tl["role"], dtype=np.int64)[hired]
        weeks = week_index(np.asarray(tl["t"], dtype=float)[hired], nw)
        shares = class_shares(f)
        for i, c in enumerate(CLASSES):
            out[c][1] += np.bincount(weeks, weights=per_hire[roles] * shares[roles, i], minlength=nw)
    return out


def magic_numbers(f: Facts, weekly_arr_end: np.ndarray, weekly_sm: np.ndarray) -> list[float | None]:
    """Per reporting year from the second: ARR added in the year / S&M cost of the year before."""
    Y = WEEKS_PER_REPORTING_YEAR
    years = reporting_years(f.layout.horizon_days)
    arr_end = [float(weekly_arr_end[(y + 1) * Y - 1]) for y in range(years)]
    sm = [float(weekly_sm[y * Y:(y + 1) * Y].sum()) for y in range(years)]
    return [(arr_end[y] - arr_end[y - 1]) / sm[y - 1] if sm[y - 1] > 0 else None for y in range(1, years)]


def economics_kpis(f: Facts, weekly_arr_end: np.ndarray) -> tuple[dict, np.ndarray]:
    """Cost KPIs and the weekly total cost series."""
    L = f.layout
    arr_end = float(weekly_arr_end[-1])
    sal_weeks = salary_by_week(f)
    salaries = sal_weeks.sum(axis=0)
    classes = cost_classes(f)
    shares = class_shares(f)
    dated = weekly_costs(f)
    acquisition, retention, onboarding = (float(dated[k].sum()) for k in ("acquisition", "retention", "onboarding"))
    c = f.costs
    process = {lever: float(x.sum()) for lever, x in process_by_week(f).items()}
    total = float(salaries.sum()) + float(c["usd"].sum()) + sum(process.values())
    overhead = overhead_by_week(f)
    programmes = float(sum(x[0].sum() for x in overhead.values()))
    recruiting = float(sum(x[1].sum() for x in overhead.values()))
    total += programmes + recruiting

    a = f.accounts
    signed = a["kind"] == int(AccountKind.SIGNED)
    new_logos = int(signed.sum())
    avg_new_acv = float(a["acv"][signed].mean()) if new_logos else None
    cac = acquisition / new_logos if new_logos else None
    payback = (cac / (avg_new_acv * L.gross_margin / 12) if cac is not None and avg_new_acv else None)
    magic = magic_numbers(f, weekly_arr_end, dated["acquisition"] + dated["retention"])

    heads_end = seats_at_end(f)
    total_heads = float(heads_end.sum())
    by_kind = {k: c["kind"] == int(k) for k in CostKind}
    k = {
        "costs": {
            "total_usd": round(total, 2),
            "acquisition_usd": round(acquisition, 2),
            "retention_usd": round(retention, 2),
            "onboarding_usd": round(onboarding, 2),
            "sales_marketing_usd": round(acquisition + retention, 2),
            "salaries_by_role_usd": {r: round(float(x), 2) for r, x in zip(L.roles, salaries, strict=True)},
            "commissions_usd": round(float(c["usd"][by_kind[CostKind.COMMISSION]].sum()), 2),
            "commission_clawbacks_usd": round(float(np.maximum(-c["usd"][by_kind[CostKind.COMMISSION]], 0.0).sum()),
                                              2),
            "fees_usd": round(float(c["usd"][by_kind[CostKind.FEE]].sum()), 2),
            "marketing_usd": round(float(c["usd"][by_kind[CostKind.MARKETING]].sum()), 2),
            "unallocated_sales_marketing_usd": round(_unallocated(f, salaries, classes["acquisition"]), 2),
            "salaries_by_class_usd": {c: round(float(salaries @ shares[:, i]), 2) for i, c in enumerate(CLASSES)},
            "process_usd": round(sum(process.values()), 2),
            "process_by_lever_usd": {lever: round(x, 2) for lever, x in process.items()},
            "marketing_programmes_usd": round(programmes, 2),
            "recruiting_usd": round(recruiting, 2),
        },
        "cac_usd": _r(cac),
        "cac_payback_months": _r(payback),
        "magic_number": _r(magic[-1], 4) if magic else None,
        "magic_number_by_year": [_r(m, 4) for m in magic],
        "arr_per_head_usd": _r(arr_end / total_heads) if total_heads else None,
        "arr_per_head_by_role_usd": {r: _r(arr_end / h) if h else None
                                     for r, h in zip(L.roles, heads_end, strict=True)},
        "cost_of_sale_by_segment": _cost_of_sale(f, salaries * shares[:, 0], classes["acquisition"]),
    }
    weekly_cost: np.ndarray = sum(dated.values())  # type: ignore[assignment]  # arrays, never the 0 start
    return k, weekly_cost


def _r(x, nd: int = 2):
    return None if x is None else round(float(x), nd)


def _unallocated(f: Facts, salaries: np.ndarray, acquisition: np.ndarray) -> float:
    """Acquisition salaries of roles that did no work for any tier (so no tier carries them)."""
    idle = f.busy_by_segment.sum(axis=1) <= 0
    return float(salaries[idle & acquisition].sum())


def _cost_of_sale(f: Facts, salaries: np.ndarray, acquisition: np.ndarray) -> dict[str, dict]:
    L = f.layout
    ng = len(L.segments)
    busy = f.busy_by_segment  # [role, segment]
    share = np.divide(busy, busy.sum(axis=1, keepdims=True), out=np.zeros_like(busy),
                      where=busy.sum(axis=1, keepdims=True) > 0)
    allocated = (salaries[:, None] * share)[acquisition].sum(axis=0)
    c = f.costs
    role = c["role"].astype(np.int64)
    mine = (role < 0) | acquisition[np.maximum(role, 0)]
    variable = np.bincount(c["segment"][mine].astype(np.int64), weights=c["usd"][mine], minlength=ng)
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
