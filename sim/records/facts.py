"""The reduced record of a run that every KPI is computed from."""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field

import numpy as np

from sim.model.vocab import LOSS_NAMES, LOST_KINDS, Kind, Layout
from sim.units import DAYS_PER_YEAR

__all__ = ["LOSS_NAMES", "LOST_KINDS", "Facts", "Kind", "Layout", "Samples"]


@dataclass
class Facts:
    """Everything the metrics need, identical whichever recorder produced it."""

    layout: Layout
    created_by_source: np.ndarray  # [source]
    entries: np.ndarray  # [stage]: leads that were in the stage at some point
    lost: dict[str, np.ndarray]  # reason -> [stage the lead was lost in]
    dwell: list[np.ndarray]  # per stage: days spent, for leads that left it
    won_by_segment: np.ndarray  # [segment]
    bookings_by_segment: np.ndarray  # [segment] booked ACV (USD)
    list_value_won_usd: float
    busy_days: list[np.ndarray]  # per role, per rep: work days inside the horizon
    wait_sum_days: np.ndarray  # [role]
    tasks: np.ndarray  # [role]
    weekly: dict[str, np.ndarray]  # name -> [week]
    samples_t: np.ndarray  # daily sample times
    wip: np.ndarray  # [sample, stage] leads in each stage
    queue: np.ndarray  # [sample, role] tasks waiting for each role
    final_wip: np.ndarray  # [stage] leads in each stage when the run ended (engine's counters)
    entry_value_usd: np.ndarray  # [stage] list ACV of the leads that entered each stage
    busy_by_segment: np.ndarray  # [role, segment] work days inside the horizon
    accounts: dict[str, np.ndarray]  # the account event log (AccountLog columns)
    costs: dict[str, np.ndarray]  # the variable-cost log (CostLog columns)
    rep_outcomes: dict[tuple[int, int], list[float]]  # (role, rep) -> [wins, losses, bookings]
    people: dict[int | str, dict]  # role index -> its reps (seat, hired, left, skill, ...); "pods" -> POD table
    timeline: dict[str, np.ndarray]  # interventions and people events, typed per kind (TimelineLog.arrays)
    # (role, rep, year of the run) -> bookings of the wins whose last step the rep worked (quotas)
    rep_bookings_by_year: dict[tuple[int, int, int], float] = field(default_factory=dict)
    # [segment] leads lost at or after the win-rate stage (the win rate's other half)
    lost_decided_by_segment: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    touches: dict[str, np.ndarray] = field(default_factory=dict)  # first touches (TouchLog columns)
    # [role, kind] task days inside the horizon by kind of work (vocab.WORK_CLASSES: funnel steps,
    # onboarding, account care and expansion); a CSM book's load is not in it (no tasks)
    busy_by_kind: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))


YEAR_DAYS = DAYS_PER_YEAR


def year_of(t: float) -> int:
    """The run year (0, 1, ...) a time in days falls in (quota periods)."""
    return int(t // YEAR_DAYS)


@dataclass
class Samples:
    """Daily samples of pipeline (WIP per stage) and queue lengths per role."""

    t: array = field(default_factory=lambda: array("d"))
    wip: list[list[int]] = field(default_factory=list)
    queue: list[list[int]] = field(default_factory=list)
    final_wip: list[int] = field(default_factory=list)
    book_busy: dict[int, list[float]] = field(default_factory=dict)
    people: dict[int | str, dict] = field(default_factory=dict)

    def with_books(self, busy: list[np.ndarray]) -> list[np.ndarray]:
        """Add the load of account books (CSMs) to the roles' busy days: a book that
        needs 20 h a week of a 40 h CSM keeps the CSM half busy."""
        out = []
        for r, b in enumerate(busy):
            extra = np.asarray(self.book_busy.get(r, []), dtype=float)
            if len(extra) > len(b):
                b = np.concatenate([b, np.zeros(len(extra) - len(b))])
            b = np.asarray(b, dtype=float).copy()
            b[: len(extra)] += extra
            out.append(b)
        return out

    def add(self, t: float, wip: list[int], queue: list[int]) -> None:
        self.t.append(t)
        self.wip.append(list(wip))
        self.queue.append(list(queue))

    def arrays(self, n_stages: int, n_roles: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        t = np.frombuffer(self.t, dtype=np.float64).copy()
        wip = np.array(self.wip, dtype=np.int64).reshape(len(t), n_stages)
        queue = np.array(self.queue, dtype=np.int64).reshape(len(t), n_roles)
        return t, wip, queue
