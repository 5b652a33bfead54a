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

import simpy

from sim.model import calendar as wc
from sim.model.absences import draw_absences
from sim.model.rng import Streams
from sim.model.vocab import TimelineKind
from sim.scenario.calendar import Calendar
from sim.scenario.schema import Scenario
from sim.units import DAYS_PER_YEAR

YEAR_DAYS = DAYS_PER_YEAR
REP_AWAY, REP_BACK = int(TimelineKind.REP_AWAY), int(TimelineKind.REP_BACK)


def work_shares(scenario: Scenario, horizon_days: float) -> tuple[list[float], list[float]]:
    """Per role, the share of calendar time a rep is at work and the days one work
    hour takes in working time (empty lists without a calendar)."""
    if scenario.calendar is None:
        return [], []
    wt = WorkTime(None, scenario, None, horizon_days)
    return ([wt.available_share(r) for r in scenario.roles],
            [wt.hours_per_week(r) / (24.0 * wt.task_hours(r)) for r in scenario.roles])


def month_offset_days(start: dt.date) -> float:
    """Days from 1 January to the run's first day (the seasonality month of t = 0)."""
    return float((start - dt.date(start.year, 1, 1)).days)


class WorkTime:
    def __init__(self, env: simpy.Environment, scenario: Scenario, streams: Streams, horizon_days: float,
                 rec=None):
        self.env = env
        self.rec = rec
        self.scenario = scenario
        self.base: Calendar = scenario.calendar
        self.horizon = horizon_days
        self.streams = streams
        self._built: dict[str, wc.WorkCalendar] = {}
        self._rngs: dict[str, object] = {}
        start = self.base.start_date
        self.start_weekday = start.weekday()
        self.customer_days = None
        if self.base.customer_elapsed == "business_days":
            b = self.base
            self.customer_days = wc.whole_days(b.days, start, horizon_days, *self._holidays(b))

    # -- calendars -----------------------------------------------------------------
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
            breaks = [tuple(wc.parse_clock(x) for x in spec.lunch.split("-"))] if spec.lunch else []
            once, yearly = self._holidays(spec)
            cal = self._built[key] = wc.build(spec.days, wc.day_periods((a, b), breaks), spec.start_date,
                                              self.horizon, once, yearly)
        return cal

    def hours_per_week(self, role: str) -> float:
        """Working hours a week of the role's calendar, averaged over the horizon (holidays count)."""
        return self.build(self.spec(role)).hours_per_week(weeks=max(self.horizon, 7.0) / 7.0)

    def task_hours(self, role: str) -> float:
        """Hours a week a rep spends on the role's tasks: ``hours_per_week`` if set, else the calendar's."""
        spec = self.scenario.roles[role]
        cal = self.hours_per_week(role)
        return min(spec.hours_per_week, cal) if spec.hours_per_week is not None else cal

    def available_share(self, role: str) -> float:
        """Share of calendar time a rep of the role is at work (hours and vacation)."""
        spec = self.spec(role)
        cal = self.build(spec)
        span = max(self.horizon, 7.0)
        days = len([d for d in cal.working_days() if d < YEAR_DAYS])
        away = min(spec.vacation_days_per_year / days, 1.0) if days else 0.0
        return cal.worked(span) / span * (1.0 - away)

    # -- reps ----------------------------------------------------------------------
    def attach(self, role) -> None:
        """Give ``role`` (a RoleRuntime) its calendars and its starting reps their absences."""
        role.worktime = self
        role.cal = self.build(self.spec(role.name))
        role.pod_cal = [self.build(self.spec(role.name, p if role.podded else None)) for p in range(len(role.pools))]
        role.seat_cal = [role.pod_cal[p] for p in role.seat_pod]
        # with a calendar, hours_per_week (if set) is the share of working time spent on the role's tasks
        role.days_per_hour = self.hours_per_week(role.name) / (24.0 * self.task_hours(role.name))  # as work_shares
        if not role.unlimited:
            for seat in range(role.headcount):
                self.new_rep(role, seat, role.occupant[seat])

    def new_rep(self, role, seat: int, rep: int) -> None:
        """A rep starts in ``seat`` now: their calendar, and their absences scheduled."""
        while len(role.seat_cal) <= seat:
            role.seat_cal.append(role.cal)
        spec = self.spec(role.name, role.seat_pod[seat] if role.podded else None)
        base = self.build(spec)
        if spec.vacation_days_per_year <= 0 or role.unlimited:
            role.seat_cal[seat] = base
            return
        rng = self._rngs.get(role.name)
        if rng is None:
            rng = self._rngs[role.name] = self.streams.generator(f"absences/{role.name}")
        now = self.env.now
        blocks = draw_absences(base, rng, spec.vacation_days_per_year, spec.vacation_block_days,
                                  now, self.horizon)
        role.seat_cal[seat] = base.without(blocks)
        for a, b in blocks:
            self.env.process(self._absence(role, seat, rep, a, b))

    def _absence(self, role, seat: int, rep: int, a: float, b: float):
        env = self.env
        yield env.timeout(max(a - env.now, 0.0))
        if role.occupant[seat] != rep:
            return
        away(role, seat)
        self.rec.timeline(env.now, REP_AWAY, role.idx, rep, 0.0, 0.0)
        yield env.timeout(b - env.now)
        if role.occupant[seat] == rep:
            back(role, seat)
            self.rec.timeline(env.now, REP_BACK, role.idx, rep, 0.0, 0.0)


def away(role, seat: int) -> None:
    """The rep in ``seat`` starts an absence: a pooled seat leaves the pool (after the
    task in hand); an owned seat takes no new leads (its own leads wait for the rep)."""
    role.absent.add(seat)
    if role.res is not None:
        role.leave_pool(seat)


def back(role, seat: int) -> None:
    """The rep in ``seat`` is back from an absence."""
    role.absent.discard(seat)
    if role.res is not None:
        if seat in role.vacating:  # never left the pool: still on the task in hand
            role.vacating.discard(seat)
        else:
            pod = role.seat_pod[seat]
            res = role.pools[pod]
            role.frees[pod].append(seat)
            res.resize(res.capacity + 1)
    elif role.owns:
        role._offer(seat)
