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


def working_time(v) -> Section | None:
    """First-touch waits in calendar and business hours, overall and per source."""
    ft = v.kpis.get("first_touch")
    if not ft or not ft["leads"]:
        return None
    cal = getattr(v.scenario, "calendar", None) if v.scenario is not None else None
    where = (f"calendar {', '.join(cal.days)} {cal.hours}" + (f" (lunch {cal.lunch})" if cal.lunch else "")
             + f", times in {cal.time_zone}; business hours are the worker's (a role or POD may override "
             "the calendar)") if cal is not None else \
        "no calendar: reps work around the clock at reduced speed, so business hours are not defined"

    def cells(b):
        c, w = b["calendar_hours"], b["business_hours"]
        return [num(c and c["median"], ".1f"), num(c and c["p90"], ".1f"), num(w and w["median"], ".1f"),
                num(w and w["p90"], ".1f")]

    rows = [["all leads", num(ft["leads"]), *cells(ft)]]
    rows += [[s, num(b["leads"]), *cells(b)] for s, b in ft["by_source"].items()]
    return Section("First touch: wait before a lead's first task (hours)", [where],
                   ["source", "leads touched", "calendar median", "calendar p90", "business median",
                    "business p90"], rows,
                   ["speed to lead decays with calendar hours (buyers' interest fades overnight too); "
                    "SLAs count business hours unless a step sets sla_clock: calendar_hours"])
