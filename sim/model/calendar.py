"""Working time: when reps work, and arithmetic on it that stays cheap on the hot path.

A rep works only inside the intervals of a :class:`WorkCalendar` (a sorted list
of disjoint ``[start, end)`` intervals, in days since the run's start). The
table is built once per run (per role, POD or rep with absences) from a weekly
pattern, holidays and absences, with the cumulative working time before each
interval, so that

* ``end(t, w)`` - when ``w`` days of work started at ``t`` are done, carrying
  over nights, weekends, holidays and absences exactly;
* ``worked(t)`` / ``business(t1, t2)`` - working time elapsed;
* ``next_working(t)`` - the first instant at or after ``t`` when work can happen;

each cost one or two bisections (O(log n)), with a no-bisection fast path for
the common case of a task that fits in the current working period.

Why a table and not modular arithmetic on the week: holidays and per-rep
absences break the weekly period, and a table handles them at no extra cost
per call. Past the table's end (the horizon plus a margin) ``end`` returns
``math.inf``: such work never finishes inside the run.

Time of day follows the calendar's own clock (its time-zone label is for
reports only): day ``d`` of the run is ``start_date + d`` and ``t`` days into
the run is ``t mod 1`` of the way through that local day.

This module is pure (no SimPy, no scenario types): the model builds calendars
from the scenario and uses them.
"""

from __future__ import annotations

import datetime as dt
import math
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from itertools import accumulate

HOURS = 24.0
#: a period's last 0.1 ms is not working time: a task ending there by rounding does not start another
EPS = 1e-9
WEEK_HOURS = 7 * 24


class WorkCalendar:
    """Working time as a table of disjoint intervals ``[starts[i], ends[i])`` in days."""

    __slots__ = ("starts", "ends", "cum", "cum_end", "limit", "lasts", "_at", "_days")

    def __init__(self, starts: Sequence[float], ends: Sequence[float], limit: float | None = None):
        merged_s: list[float] = []
        merged_e: list[float] = []
        for a, b in zip(starts, ends, strict=True):
            if b <= a:
                continue
            if merged_s and a < merged_e[-1]:
                raise ValueError("working intervals must be sorted and disjoint")
            if merged_e and a == merged_e[-1]:  # adjacent periods (e.g. a night shift over midnight) join
                merged_e[-1] = b
            else:
                merged_s.append(a)
                merged_e.append(b)
        self._index(merged_s, merged_e, limit)

    @classmethod
    def _table(cls, starts: list[float], ends: list[float], limit: float) -> WorkCalendar:
        """A calendar from intervals known to be sorted, disjoint, apart and non-empty."""
        cal = cls.__new__(cls)
        cal._index(starts, ends, limit)
        return cal

    def _index(self, merged_s: list[float], merged_e: list[float], limit: float | None) -> None:
        self.starts = merged_s
        self.ends = merged_e
        cum = list(accumulate((b - a for a, b in zip(merged_s, merged_e, strict=True)), initial=0.0))
        self.cum = cum[:-1]  # working time before interval i
        self.cum_end = cum[1:]  # working time up to the end of interval i
        self.lasts = [b - EPS for b in merged_e] or [-math.inf]  # the last working instant of each interval
        self._at = 0  # interval of the last placement (a cursor; not part of the calendar's value)
        self._days: tuple[int, ...] | None = None
        #: the table is exact up to here; beyond it work never finishes
        self.limit = limit if limit is not None else (merged_e[-1] if merged_e else 0.0)

    # -- queries -------------------------------------------------------------------
    def is_working(self, t: float) -> bool:
        i = bisect_right(self.starts, t) - 1
        return i >= 0 and t < self.ends[i]

    def next_working(self, t: float) -> float:
        """``t`` if work can happen at ``t``, else the start of the next working period."""
        starts = self.starts
        i = bisect_right(starts, t) - 1
        if i >= 0 and t < self.ends[i] - EPS:
            return t
        return starts[i + 1] if i + 1 < len(starts) else math.inf

    def worked(self, t: float) -> float:
        """Working time (days) from the run's start to ``t``."""
        starts = self.starts
        i = bisect_right(starts, t) - 1
        if i < 0:
            return 0.0
        s, e = starts[i], self.ends[i]
        return self.cum[i] + (t - s if t < e else e - s)

    def business(self, t1: float, t2: float) -> float:
        """Working time (days) between ``t1`` and ``t2`` (0 if ``t2 <= t1``): ``worked(t2) -
        worked(t1)``, written out (the engine asks this for every first touch that waited)."""
        if t2 <= t1:
            return 0.0
        starts, ends, cum = self.starts, self.ends, self.cum
        i = bisect_right(starts, t2) - 1
        if i < 0:
            return 0.0
        s, e = starts[i], ends[i]
        w = cum[i] + (t2 - s if t2 < e else e - s)
        i = bisect_right(starts, t1, 0, i + 1) - 1
        if i < 0:
            return w
        s, e = starts[i], ends[i]
        return w - cum[i] - (t1 - s if t1 < e else e - s)

    def end(self, t: float, work: float) -> float:
        """When ``work`` days of working time started (or queued) at ``t`` are done.

        Work waits for the next working period if ``t`` is outside one, and a
        task that does not fit in what is left of a period continues in the next.
        """
        if work <= 0.0:
            return t
        starts, ends = self.starts, self.ends
        i = bisect_right(starts, t) - 1
        if i < 0 or t >= ends[i] - EPS:
            i += 1
            if i >= len(starts):
                return math.inf
            t = starts[i]
        done = t + work
        if done <= ends[i]:  # fits in this period: no second bisection
            return done
        w = self.cum[i] + (t - starts[i]) + work
        j = bisect_left(self.cum_end, w, i)
        if j >= len(starts):
            return math.inf
        return starts[j] + (w - self.cum[j])

    def place(self, t: float, work: float, since: float | None = None) -> tuple[float, float, float]:
        """``(start, end, waited)`` of ``work`` days of work picked up at ``t``: ``start =
        next_working(t)``, ``end = end(t, work)`` and ``waited = business(since, start)``
        (0 when ``since`` is None), with one bisection in the usual cases (the engine's
        per-task call: a task's placement and its first touch's wait in business time)."""
        starts, ends = self.starts, self.ends
        i = self._at  # the period of the last call: time mostly moves on inside it
        s = starts[i] if i < len(starts) else math.inf
        if not s <= t < self.lasts[i]:
            i = bisect_right(starts, t) - 1
            if i < 0 or t >= ends[i] - EPS:
                i += 1
                if i >= len(starts):
                    return math.inf, math.inf, 0.0
                t = starts[i]
            self._at = i
            s = starts[i]
        if since is None or since >= t:
            waited = 0.0
        elif since >= s:  # ready within this working period
            waited = t - since
        elif i == 0 or since >= ends[i - 1]:  # ready in the break just before it
            waited = t - s
        else:
            waited = self.business(since, t)
        done = t + work
        if done <= ends[i]:
            return t, done, waited
        w = self.cum[i] + (t - s) + work
        j = bisect_left(self.cum_end, w, i)
        return t, (starts[j] + (w - self.cum[j]) if j < len(starts) else math.inf), waited

    def at_work(self, w: float) -> float:
        """The instant when cumulative working time reaches ``w`` (inverse of :meth:`worked`)."""
        if w <= 0.0:
            return self.starts[0] if self.starts else math.inf
        j = bisect_left(self.cum_end, w)
        if j >= len(self.starts):
            return math.inf
        return self.starts[j] + (w - self.cum[j])

    def hours_between(self, t1: float, t2: float) -> float:
        return self.business(t1, t2) * HOURS

    def without(self, blocks: Iterable[tuple[float, float]]) -> WorkCalendar:
        """This calendar minus ``blocks`` (absences): a rep's own working time.
        The periods between blocks are copied as they are (a bisection and a slice
        per block), so a rep's calendar costs little more than their absences."""
        cut = sorted((a, b) for a, b in blocks if b > a)
        if not cut:
            return self
        ends = self.ends
        st = list(self.starts)  # a period's start moves on when a block takes its head
        out_s: list[float] = []
        out_e: list[float] = []
        i, n = 0, len(st)
        for ca, cb in cut:
            j = bisect_right(ends, ca, i)  # periods ending by the block's start are untouched
            out_s += st[i:j]
            out_e += ends[i:j]
            i = j
            while i < n and st[i] < cb:  # periods the block overlaps
                a, b = st[i], ends[i]
                if a < ca:
                    out_s.append(a)
                    out_e.append(ca)
                if b > cb:  # what is left after the block (a later block may cut it too)
                    st[i] = cb
                    break
                i += 1
        out_s += st[i:]
        out_e += ends[i:]
        return WorkCalendar._table(out_s, out_e, self.limit)

    def working_days(self) -> tuple[int, ...]:
        """Indices of the days (since the run's start) that hold some working time
        (computed once: every rep's absences are drawn over them)."""
        if self._days is None:
            days: list[int] = []
            for a, b in zip(self.starts, self.ends, strict=True):
                d0, d1 = int(math.floor(a)), int(math.ceil(b))
                for d in range(d0, d1):
                    if (not days or days[-1] != d) and min(b, d + 1) > max(a, d):
                        days.append(d)
            self._days = tuple(days)
        return self._days

    def hours_per_week(self, weeks: float | None = None) -> float:
        """Average working hours per week over the table (or its first ``weeks``)."""
        span = self.limit if weeks is None else weeks * 7.0
        return self.worked(span) * HOURS / (span / 7.0) if span > 0 else 0.0


# -- building a calendar from a weekly pattern ---------------------------------------
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_clock(text: str) -> float:
    """``"09:30"`` -> 9.5 (hours; ``"24:00"`` allowed as an end of day)."""
    hh, mm = text.split(":")
    h, m = int(hh), int(mm)
    if not (0 <= h <= 24 and 0 <= m < 60) or (h == 24 and m):
        raise ValueError(f"not a time of day: {text!r}")
    return h + m / 60.0


def day_periods(hours: tuple[float, float], breaks: Sequence[tuple[float, float]] = ()) -> list[tuple[float, float]]:
    """Working periods of one day in hours, e.g. 9-17.5 minus a 12.5-13.5 lunch.
    ``hours`` may cross midnight (22-6: a night shift); then the periods run past
    24 (22-30), into the next calendar day."""
    a, b = hours
    if b <= a:
        b += 24.0
    spans = [(a, b)]
    for ba, bb in [*breaks, *((x + 24.0, y + 24.0) for x, y in breaks)]:
        nxt = []
        for sa, sb in spans:
            if bb <= sa or ba >= sb:
                nxt.append((sa, sb))
                continue
            if ba > sa:
                nxt.append((sa, ba))
            if bb < sb:
                nxt.append((bb, sb))
        spans = nxt
    return sorted(s for s in spans if s[1] > s[0])


def build(
    days: Iterable[str],
    periods: Sequence[tuple[float, float]],
    start_date: dt.date,
    horizon_days: float,
    holidays: Iterable[dt.date] = (),
    yearly_holidays: Iterable[tuple[int, int]] = (),
    margin_days: float = 400.0,
) -> WorkCalendar:
    """A calendar from working weekdays, the day's working periods (hours since
    the day's midnight, up to 48 for a shift that runs into the next day: it
    belongs to the day it starts on) and closed dates, covering the horizon plus
    ``margin_days``."""
    work_days = {WEEKDAYS.index(d) for d in days}
    n_days = int(math.ceil(horizon_days + margin_days)) + 1
    closed = set()
    end_date = start_date + dt.timedelta(days=n_days)
    for h in holidays:
        closed.add((h - start_date).days)
    for month, day in yearly_holidays:
        for year in range(start_date.year, end_date.year + 1):
            try:
                closed.add((dt.date(year, month, day) - start_date).days)
            except ValueError:  # 29 February in a common year
                continue
    w0 = start_date.weekday()
    pieces = sorted((a, b) for a, b in periods if b > a)
    starts: list[float] = []
    ends: list[float] = []
    for d in range(n_days):
        if d in closed or (w0 + d) % 7 not in work_days:
            continue
        for a, b in pieces:
            s, e = d + a / HOURS, d + b / HOURS
            if starts and s < ends[-1]:  # periods running past midnight into the next day's
                s = ends[-1]
            if e > s:
                starts.append(s)
                ends.append(e)
    return WorkCalendar(starts, ends, float(n_days - 1))


def whole_days(cal_days: Iterable[str], start_date: dt.date, horizon_days: float,
               holidays: Iterable[dt.date] = (), yearly_holidays: Iterable[tuple[int, int]] = ()) -> WorkCalendar:
    """Business days as whole days (for the customer's clock: '10 business days')."""
    return build(cal_days, [(0.0, 24.0)], start_date, horizon_days, holidays, yearly_holidays)
