"""Run-summary sections about working time and quotas (see :mod:`sim.report.summary`).

Kept apart from the general sections so that the working-time results
(first-touch waits in both clocks) and quota attainment read as one block.
"""

from __future__ import annotations

from sim.report.text import Section, num, pct


def quota(v) -> Section | None:
    """Attainment per selling role and year: distribution and share at quota."""
    att = v.kpis.get("quota_attainment")
    if not att:
        return None
    rows = []
    for role, periods in att.items():
        for p in periods:
            rows.append([role, p["period"], num(p["weeks"], ".0f"), num(p["reps"]), pct(p["median"], ".0%"),
                         pct(p["p10"], ".0%"), pct(p["p90"], ".0%"), pct(p["share_at_quota"], ".0%")])
    return Section("Quota attainment (bookings / quota, per rep)", [
        "quota pro rata for the weeks a rep was present (at least 13) and for a short last period; not reduced "
        "during ramp"], ["role", "period", "weeks", "reps", "median", "p10", "p90", "share at quota"], rows,
        ["benchmark: about 54% of reps attain quota (Bridge Group 2018)"])
