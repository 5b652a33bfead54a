"""Arrival profiles: an hour-of-week rate multiplier for inbound sources.

Kept apart from :mod:`sim.model.calendar` (when reps work) because it says when
buyers arrive; the two meet only in :meth:`WeekProfile.share_in`, the share of
arrivals that land in working time. Pure, like the calendar.
"""

from __future__ import annotations

from collections.abc import Sequence

from sim.model.calendar import HOURS, WEEK_HOURS, WorkCalendar


class WeekProfile:
    """An hour-of-week rate multiplier (168 values, mean 1 so the weekly volume is kept),
    the product of a weekday factor and an hour-of-day factor. Arrivals follow
    it by thinning: draw at the peak rate, keep each with ``factor(t) / peak``."""

    __slots__ = ("table", "peak", "offset")

    def __init__(self, weekday: Sequence[float], hour: Sequence[float], start_weekday: int = 0):
        if len(weekday) != 7 or len(hour) != 24:
            raise ValueError("a week profile needs 7 weekday and 24 hour factors")
        raw = [w * h for w in weekday for h in hour]
        mean = sum(raw) / WEEK_HOURS
        if mean <= 0:
            raise ValueError("a week profile needs some positive factor")
        self.table = [x / mean for x in raw]
        self.peak = max(self.table)
        self.offset = start_weekday  # day 0 of the run is this weekday (0 = Monday)

    def factor(self, t: float) -> float:
        return self.table[int(((t + self.offset) % 7.0) * HOURS) % WEEK_HOURS]

    def share_in(self, cal: WorkCalendar, weeks: int = 1) -> float:
        """Share of arrivals that fall in ``cal``'s working time over the first ``weeks``."""
        hours = range(int(weeks * WEEK_HOURS))
        rates = [self.factor((h + 0.5) / HOURS) for h in hours]
        inside = sum(r * cal.business(h / HOURS, (h + 1) / HOURS) * HOURS for r, h in zip(rates, hours, strict=True))
        return inside / sum(rates)
