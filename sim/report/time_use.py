"""Run-summary section: where each role's hours went (see :mod:`sim.report.summary`).

Only with a ``work_model`` (the ``time_use`` KPI): deal work done and left
idle, admin and CRM entry, internal meetings, training, research and
preparation, travel, as shares of each role's working hours.
"""

from __future__ import annotations

from sim.metrics.time_use import PARTS
from sim.report.text import Section, num, pct

HEADINGS = ("deal work", "switching", "deal idle", "admin", "meetings", "training", "research", "travel")


def hours(v) -> Section | None:
    tu = v.kpis.get("time_use")
    if not tu:
        return None
    rows = [[role, num(r["working_hours_per_rep_week"], ".1f"), *(pct(r[f"{p}_share"], ".0%") for p in PARTS)]
            for role, r in tu.items()]
    return Section("Where the hours went (share of each role's working hours)", [
        "deal work = hours of tasks done; deal idle = the rest of the week's deal time; the other parts are the "
        "role's work_model.time_use after tools and playbooks"],
        ["role", "hours per rep-week", *HEADINGS], rows,
        ["selling time in surveys: about 28-35% of a rep's week (Salesforce State of Sales 2022; CSO Insights)"])
