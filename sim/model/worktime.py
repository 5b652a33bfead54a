"""The run's working time: calendars per role, POD and rep, and dated absences.

Built only when the scenario has a ``calendar`` section (otherwise every role
keeps ``cal = None`` and the engine runs exactly as without one).

* A role works by the scenario calendar merged with its own override; a seat
  of a podded role by its POD's override on top (PODs created by fission use
  the role's calendar).
* Each rep gets dated absences (``vacation_days_per_year`` in blocks of
  ``vacation_block_days`` working days, drawn from hire to the horizon on the
  stream ``absences/<role>``); the rep's own calendar is the seat's minus them.
  The rule for their work while away: a task in hand pauses and resumes on
  their return; the leads they own wait for them (deals do not change hands
  for a week off); new leads go to present reps; a pooled role's shared queue
  is worked by the teammates present (the absent seat leaves the pool).

A task carried past the horizon is recorded with the working time it got
before the horizon, so utilization counts only work done inside the run.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, cast

import simpy

from sim.model import calendar as wc
from sim.model.absences import draw_absences
from sim.model.rng import Streams
from sim.model.vocab import TimelineKind
from sim.scenario.calendar_spec import Calendar
from sim.scenario.schema import Scenario
from sim.units import DAYS_PER_YEAR

if TYPE_CHECKING:
    import numpy as np

YEAR_DAYS = DAYS_PER_YEAR
REP_AWAY, REP_BACK = int(TimelineKind.REP_AWAY), int(TimelineKind.REP_BACK)


def month_offset_days(start: dt.date) -> float:
    """Days from 1 January to the run's first day (the seasonality month of t = 0)."""
    return float((start - dt.date(start.year, 1, 1)).days)


class Calendars:
    """The run's working-time tables, from the scenario's ``calendar`` section:
    per role (merged with its override) and per POD of a podded role. Pure, built
    once per run (:class:`~sim.model.setup.RunSetup`); each table is built once
    and shared by every role, POD and rep that works by it."""

    def __init__(self, scenario: Scenario, horizon_days: float):
        if scenario.calendar is None:
            raise ValueError("working-time tables need the scenario's calendar section")
        self.scenario = scenario
        self.base: Calendar = scenario.calendar
        self.horizon = horizon_days
        self._built: dict[str, wc.WorkCalendar] = {}
        start = self.base.start_date
        self.start_weekday = start.weekday()
        self.month0 = month_offset_days(start)
        # the customer's elapsed time in business days (a table of whole days), or None: every day
        self.customer_days = None
        if self.base.customer_elapsed == "business_days":
            b = self.base
            self.customer_days = wc.whole_days(b.days, start, horizon_days, *self._holidays(b))

    def _holidays(self, spec: Calendar):
        once = [h for h in spec.holidays if isinstance(h, dt.date)]
        yearly = [tuple(int(x) for x in h.split("-")) for h in spec.holidays if isinstance(h, str)]
        return once, yearly

    def spec(self, role: str, pod: int | None = None) -> Calendar:
        """The calendar a seat of ``role`` works by (in ``pod`` for a podded role)."""
        out = self.base.merged(self.scenario.roles[role].calendar)
        pods = self.scenario.pods
        if pod is not None and pods is not None and role in pods.roles and pod < len(pods.initial):
            out = out.merged(pods.initial[pod].calendar)
        return out

    def build(self, spec: Calendar) -> wc.WorkCalendar:
        key = spec.model_dump_json(include={"days", "hours", "lunch", "holidays"})
        cal = self._built.get(key)
        if cal is None:
            a, b = (wc.parse_clock(x) for x in spec.hours.split("-"))
            breaks = [cast("tuple[float, float]", tuple(wc.parse_clock(x) for x in spec.lunch.split("-")))] \
                if spec.lunch else []
            once, yearly = self._holidays(spec)
            cal = self._built[key] = wc.build(spec.days, wc.day_periods((a, b), breaks), spec.start_date,
                                              self.horizon, once, yearly)
        return cal

    def of_role(self, role: str) -> wc.WorkCalendar:
        """The calendar of ``role`` (outside any POD)."""
        return self.build(self.spec(role))

    def of_pods(self, role: str, n_pods: int, podded: bool) -> list[wc.WorkCalendar]:
        """The calendar of each POD's pool of ``role`` (a shared role: the role's own for every POD)."""
        return [self.build(self.spec(role, p if podded else None)) for p in range(n_pods)]

    def hours_per_week(self, role: str) -> float:
        """Working hours a week of the role's calendar, averaged over the horizon (holidays count)."""
        return self.build(self.spec(role)).hours_per_week(weeks=max(self.horizon, 7.0) / 7.0)

    def task_hours(self, role: str) -> float:
        """Hours a week a rep spends on the role's tasks: ``hours_per_week`` if set, else the calendar's."""
        spec = self.scenario.roles[role]
        cal = self.hours_per_week(role)
        return min(spec.hours_per_week, cal) if spec.hours_per_week is not None else cal

    def days_per_hour(self, role: str) -> float:
        """Days of working time one hour of the role's work takes: with a calendar,
        ``hours_per_week`` (if set) is the share of working time spent on the role's tasks."""
        return self.hours_per_week(role) / (24.0 * self.task_hours(role))

    def available_share(self, role: str) -> float:
        """Share of calendar time a rep of the role is at work (hours and vacation)."""
        spec = self.spec(role)
        cal = self.build(spec)
        span = max(self.horizon, 7.0)
        days = len([d for d in cal.working_days() if d < YEAR_DAYS])
        away = min(spec.vacation_days_per_year / days, 1.0) if days else 0.0
        return cal.worked(span) / span * (1.0 - away)


class WorkTime:
    """Reps' own calendars at run time: each rep's dated absences, drawn when
    they start, cut out of their seat's calendar and played out as away/back."""

    def __init__(self, env: simpy.Environment, calendars: Calendars, streams: Streams, rec):
        self.env = env
        self.rec = rec
        self.calendars = calendars
        self.horizon = calendars.horizon
        self.streams = streams
        self._rngs: dict[str, np.random.Generator] = {}

    # -- reps ----------------------------------------------------------------------
    def new_rep(self, role, seat: int, rep: int):
        """A rep starts in ``seat`` of ``role`` now: their absences are drawn and
        scheduled; returns their calendar (the seat's, minus the absences)."""
        cals = self.calendars
        spec = cals.spec(role.name, role.seat_pod[seat] if role.podded else None)
        base = cals.build(spec)
        if spec.vacation_days_per_year <= 0 or role.unlimited:
            return base
        rng = self._rngs.get(role.name)
        if rng is None:
            rng = self._rngs[role.name] = self.streams.generator(f"absences/{role.name}")
        blocks = draw_absences(base, rng, spec.vacation_days_per_year, spec.vacation_block_days,
                               self.env.now, self.horizon)
        for a, b in blocks:
            self.env.process(self._absence(role, seat, rep, a, b))
        return base.without(blocks)

    def _absence(self, role, seat: int, rep: int, a: float, b: float):
        env = self.env
        yield env.timeout(max(a - env.now, 0.0))
        if role.occupant[seat] != rep:
            return
        role.away(seat)
        self.rec.timeline(env.now, REP_AWAY, role.idx, rep, 0.0, 0.0)
        yield env.timeout(b - env.now)
        if role.occupant[seat] == rep:
            role.back(seat)
            self.rec.timeline(env.now, REP_BACK, role.idx, rep, 0.0, 0.0)
