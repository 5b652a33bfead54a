"""Which roles hold the funnel back: bottleneck flags of one run.

Why a rule and not a verdict: a role is flagged when its numbers say work
is piling up in front of it, and the flag carries those numbers (how busy,
how long a task waits, how many leads sit in the stages it works) so a
reader can judge what it costs. The rule:

- **saturated**: utilization >= 95% (work time / available time; for a
  customer-success role, book hours needed / hours available);
- **queue growing**: the weekly mean queue over the last quarter of the
  horizon exceeds the mean over the second quarter by more than 25% and by at
  least one task. The first quarter is skipped because every run starts with
  empty queues; comparing two later stretches tells a backlog that keeps
  growing from one that filled up once and then held steady.

Pure functions over a run's KPI dict and weekly frame; nothing here runs
the model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SATURATED = 0.95
GROWTH_FACTOR = 1.25
GROWTH_MIN_TASKS = 1.0


@dataclass(frozen=True)
class Bottleneck:
    """One flagged role and what its flag rests on."""

    role: str
    reasons: tuple[str, ...]  # "saturated", "queue growing"
    utilization: float | None
    mean_wait_hours: float | None
    mean_queue_length: float | None
    queue_early: float | None = None  # weekly mean queue, second quarter of the horizon
    queue_late: float | None = None  # weekly mean queue, last quarter
    stages: tuple[str, ...] = field(default=())  # stages whose leads wait for this role
    open_leads: int = 0  # leads still open in those stages at the end


def queue_trend(weekly: Any, role: str) -> tuple[float, float] | None:
    """Weekly mean queue of ``role`` over the second and the last quarter of the
    horizon, or None without a queue series (or with fewer than 8 weeks)."""
    col = f"queue_{role}"
    if weekly is None or col not in getattr(weekly, "columns", ()) or len(weekly) < 8:
        return None
    q = weekly[col].to_numpy(dtype=float)
    n = len(q)
    return float(q[n // 4: n // 2].mean()), float(q[n - n // 4:].mean())


def is_growing(early: float, late: float) -> bool:
    return late > early * GROWTH_FACTOR and late - early >= GROWTH_MIN_TASKS


def stages_worked(steps: dict[str, str | None], stages: list[str], role: str) -> list[str]:
    """Stages whose leads wait for ``role``: a step is keyed by the stage it leads
    into, so the role's leads sit in the stage before that."""
    return [stages[i - 1] for i, s in enumerate(stages) if i > 0 and steps.get(s) == role]


def find_bottlenecks(kpis: dict, weekly: Any = None, steps: dict[str, str | None] | None = None) -> list[Bottleneck]:
    """Flagged roles, most utilized first. ``steps`` maps each step (destination
    stage) to the role that works it, to count the leads waiting for a role."""
    open_by_stage = {s["stage"]: s for s in kpis.get("stages", [])}
    order = [s["stage"] for s in kpis.get("stages", [])]
    found = []
    for role, r in kpis.get("roles", {}).items():
        reasons = []
        util = r.get("utilization")
        if util is not None and util >= SATURATED:
            reasons.append("saturated")
        trend = queue_trend(weekly, role)
        if trend is not None and is_growing(*trend):
            reasons.append("queue growing")
        if not reasons:
            continue
        worked = stages_worked(steps or {}, order, role)
        found.append(Bottleneck(
            role=role, reasons=tuple(reasons), utilization=util, mean_wait_hours=r.get("mean_wait_hours"),
            mean_queue_length=r.get("mean_queue_length"),
            queue_early=trend[0] if trend else None, queue_late=trend[1] if trend else None,
            stages=tuple(worked),
            open_leads=int(sum(open_by_stage[s].get("open") or 0 for s in worked))))
    return sorted(found, key=lambda b: -(b.utilization or 0.0))
