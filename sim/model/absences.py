"""Dated absences: when a rep is away (vacation taken in blocks of working days).

Kept apart from :mod:`sim.model.calendar` (the working-time table and its
arithmetic): this draws random dates over a calendar's working days, and
:meth:`~sim.model.calendar.WorkCalendar.without` cuts them out of the rep's
own calendar. Pure: the caller passes the rep's random stream.
"""

from __future__ import annotations

import numpy as np

from sim.model.calendar import WorkCalendar
from sim.units import DAYS_PER_YEAR


def draw_absences(cal: WorkCalendar, rng: np.random.Generator, days_per_year: float, block_days: int,
                  t_from: float, t_to: float) -> list[tuple[float, float]]:
    """Dated absences of one rep between ``t_from`` and ``t_to``: about
    ``days_per_year`` working days a year (pro rata), taken in blocks of
    ``block_days`` consecutive working days starting on uniformly drawn working
    days, not overlapping. Returned as whole calendar-day spans ``[a, b)``."""
    if days_per_year <= 0 or t_to <= t_from:
        return []
    wdays = [d for d in cal.working_days() if t_from <= d < t_to]
    if not wdays:
        return []
    out: list[tuple[float, float]] = []
    year = DAYS_PER_YEAR
    y0 = t_from
    while y0 < t_to:
        y1 = min(y0 + year, t_to)
        pool = [i for i, d in enumerate(wdays) if y0 <= d < y1]
        due = int(round(days_per_year * (y1 - y0) / year))
        taken: set[int] = set()
        tries = 0
        while due > 0 and pool and tries < 50:
            size = min(block_days, due)
            k = pool[int(rng.integers(len(pool)))]
            block = list(range(k, min(k + size, len(wdays))))
            tries += 1
            if not block or any(b in taken for b in block):
                continue
            taken.update(block)
            out.append((float(wdays[block[0]]), float(wdays[block[-1]] + 1)))
            due -= len(block)
        y0 = y1
    out.sort()
    return out
