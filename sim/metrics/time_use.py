"""Where each role's hours went (issue 22): deal work done, deal time left
idle, and the parts of the week that are not deal work (admin and CRM entry,
internal meetings, training, research and preparation, travel), from the
role's filled seats over the run and its work model.

Only with a ``work_model`` section (None without one: every hour is deal
time and the roles table's utilization says it all).
"""

from __future__ import annotations

import numpy as np

from sim.metrics.economics import seat_days_by_week
from sim.records.facts import Facts

PARTS = ("deal_work", "learning", "switching", "coordination", "deal_idle", "admin", "meetings", "training", "research",
         "travel")


def time_use(f: Facts) -> dict[str, dict] | None:
    """Per staffed role: ``working_hours_per_rep_week`` and the share of the
    working hours in each of :data:`PARTS` (``<part>_share``, summing to 1).
    Deal work is the hours of tasks done (less the set-ups of switching between
    kinds of work, shown as ``switching``, the time with teammates, shown as
    ``coordination``, and the hours lost to ramp and practice, shown as
    ``learning``: the tasks' hours beyond what the same reps take fully ramped
    and practised, ``sim.model.people``); deal idle is the rest of the deal
    share of the week (a role whose work passes its deal time, as a CSM's book
    can, shows none idle and a deal-work share above its deal share). Managers
    (``work_model.managers``) are left out: their hours are the ``management`` KPI's."""
    L = f.layout
    if not L.time_use:
        return None
    seat_days = seat_days_by_week(f).sum(axis=0)
    at_work = seat_days * np.array(L.work_share) if L.work_share else seat_days
    # the reps' time at work as the model measured it (sim.model.attendance), as utilization reads it,
    # so that the deal parts of the week are utilization x the deal share; the estimate where not measured
    available = f.people.get("available_days") or {}
    out = {}
    mg = f.people.get("management") or {}
    managing = {mg.get("role"), mg.get("second_line")}  # their work is the management KPI's, not tasks
    for r, name in enumerate(L.roles):
        if L.unlimited[r] or seat_days[r] <= 0 or name in managing:
            continue
        week = L.time_use[r]
        measured = available.get(r, 0.0)  # (none before any time has passed: the estimate, as utilization does)
        deal_hours = (measured if measured > 0 else at_work[r]) / L.days_per_hour[r]  # the filled seats' deal time
        total = deal_hours / week["deal"]
        worked = float(f.busy_days[r].sum()) / L.days_per_hour[r]
        # set-ups between kinds of work (work_model.switching) are in the tasks' time: shown apart
        switching = float(sum(f.people.get(r, {}).get("work", {}).get("switching_hours", ())))
        # and so is the time spent with teammates (work_model.coordination)
        coordination = float(f.people.get("coordination_hours", {}).get(r, 0.0))
        # and so are the hours lost to ramp and practice (learning on the job)
        learning = float(sum(f.people.get(r, {}).get("work", {}).get("learning_hours", ())))
        shares = {"deal_work": (worked - switching - coordination - learning) / total, "learning": learning / total,
                  "switching": switching / total,
                  "coordination": coordination / total, "deal_idle": max(deal_hours - worked, 0.0) / total,
                  **{k: week[k] for k in PARTS[5:]}}
        out[name] = {"working_hours_per_rep_week": round(float(total / (seat_days[r] / 7.0)), 2),
                     **{f"{k}_share": round(float(v), 4) for k, v in shares.items()}}
    return out
