"""Run-summary section about PODs (see :mod:`sim.report.summary`).

Why its own section: a POD scenario is read POD by POD -- which slice each
owns, how many seats it has, what it sold and kept, and where it came from
(the split date and the parent) -- to see whether fission kept the new PODs
growing or only spread the same demand over more people.
"""

from __future__ import annotations

from sim.report.text import Section, money, num, pct


def pods(v) -> Section | None:
    k = v.kpis
    table = k.get("pods")
    if not table:
        return None
    splits = k.get("pod_genealogy") or []
    sc = v.scenario
    spec = getattr(sc, "pods", None)
    if k.get("pods_have_customer_capability", True):
        capability = "an onboarding/CSM organization serves every POD"
    elif spec is not None and spec.without_customer_team == "none":
        capability = "no onboarding/CSM organization: nobody onboards or looks after customers"
    else:
        capability = "no onboarding/CSM organization: the reps who close onboard and look after their accounts"
    lines = [f"{len(table)} POD(s) at the end, {len(splits)} split(s); {capability}"]
    for name, m in (k.get("market_penetration") or {}).items():
        lines.append(f"market slice {name}: {num(m['accounts'])} accounts, {pct(m['touched_share'], '.0%')} "
                     f"touched, {pct(m['penetration'], '.0%')} won, {num(m['exhausted'])} exhausted, "
                     f"{pct(m['available_share'], '.0%')} left to work" + (" (saturated)" if m["saturated"] else ""))
    rows = []
    for p in table:
        seats = ", ".join(f"{n} {r}" for r, n in p["headcount_end"].items())
        rows.append([p["name"], "+".join(p["owns"]), p["parent"] or "-",
                     "start" if not p["born_days"] else f"week {p['born_days'] / 7:.0f}", seats, num(p["wins"]),
                     pct(p["win_rate"], ".0%"), money(p["bookings_usd"]), money(p["arr_end_usd"])])
    return Section("PODs (vertical teams, each owning a slice of the market)", lines,
                   ["POD", "slice", "parent", "formed", "seats at end", "wins", "win rate", "bookings (USD)",
                    "ARR at end (USD)"], rows)
