"""The parts every family of benchmark figures shares: a :class:`Figure` with the
:class:`Driver` s that push it, a :class:`Comparison` with its benchmark row, which
benchmark segment a scenario segment reads as (:func:`segment_class`), and small
readings of the scenario and the table (selling time, seat-years, a row's typical value).
See :mod:`sim.metrics.benchmark_figures` for how the figures are measured and compared.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from sim.benchmarks import Benchmark, Table
from sim.records.facts import Facts
from sim.scenario.schema import DEFAULT_WEEKLY_HOURS, Scenario
from sim.units import DAYS_PER_YEAR

MONTH_DAYS = DAYS_PER_YEAR / 12
SMB_ACV_BELOW, MID_ACV_BELOW = 15_000.0, 100_000.0
BENCHMARK_ASP = {"inside": 25_000.0, "field": 175_000.0}  # Balderton Capital founders' guide 2023 (M)
_NAME_CLASS = {"smb": "smb", "small_business": "smb", "small": "smb", "mid_market": "mid_market",
               "midmarket": "mid_market", "mid": "mid_market", "mm": "mid_market", "enterprise": "enterprise",
               "ent": "enterprise", "large": "enterprise", "strategic": "enterprise", "self_serve": "plg",
               "plg": "plg"}
_MOTION_CLASS = {"plg": "plg", "field": "enterprise", "strategic": "enterprise"}
COMPANY = "company"  # the subject of company-wide figures
# losses that come from capacity and people rather than the buyer's choice
CAPACITY_LOSSES = ("sla", "handoff", "owner_left")



@dataclass(frozen=True)
class Driver:
    """Something that pushes a figure: ``push`` > 0 raises it, < 0 lowers it (a log ratio)."""

    text: str
    push: float


@dataclass(frozen=True)
class Figure:
    """One benchmark figure of one run."""

    metric: str
    segment: str  # the benchmark segment or motion whose row applies
    subject: str  # what it is of: a role, a segment class, "company"
    value: float
    kind: str = "measured"  # "measured" (varies by replication) or "input" (a scenario value)
    drivers: tuple[Driver, ...] = field(default=(), compare=False)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.metric, self.segment, self.subject)


@dataclass(frozen=True)
class Comparison:
    """A figure's mean over replications against its benchmark row."""

    metric: str
    segment: str
    subject: str
    kind: str
    mean: float
    ci: tuple[float, float] | None  # 95% t-interval of the mean (None: one run, or an input)
    n: int
    benchmark: Benchmark
    position: str  # below / inside / above
    mechanism: str  # the driver most responsible when outside, else ""

    @property
    def outside(self) -> bool:
        return self.position != "inside"

    @property
    def straddles(self) -> bool:
        """The CI crosses a bound of the range: the position is not settled by these replications."""
        if self.ci is None:
            return False
        lo, hi = self.ci
        b = self.benchmark
        return lo < b.low <= hi or lo <= b.high < hi


def log_ratio(a: float, b: float) -> float:
    return math.log(a / b) if a > 0 and b > 0 else 0.0


def segment_class(scenario: Scenario, name: str) -> str:
    """The benchmark segment of a scenario segment (see the module docstring)."""
    key = name.lower().replace("-", "_")
    if key in _NAME_CLASS:
        return _NAME_CLASS[key]
    seg = scenario.segments[name]
    if seg.motion in _MOTION_CLASS:
        return _MOTION_CLASS[seg.motion]
    acv = float(seg.acv_usd.mean())
    return "smb" if acv < SMB_ACV_BELOW else "mid_market" if acv < MID_ACV_BELOW else "enterprise"


def selling_fraction(scenario: Scenario, role: str) -> float:
    """The share of a seller's working week spent on the role's tasks (deal-facing time):
    ``hours_per_week`` over the calendar's working hours (the role's own calendar if it has
    one), or over a 40-hour week without a calendar (no ``hours_per_week``: all of it),
    times the deal share of the week under a ``work_model`` (``sim.model.selling_time``)."""
    from sim.model.selling_time import week as week_shares
    from sim.scenario.calendar_spec import week_hours

    r = scenario.roles[role]
    deal = week_shares(scenario, role)["deal"]
    if r.hours_per_week is None:
        return deal
    cal = scenario.calendar
    if cal is not None:
        cal = cal.merged(r.calendar)
        week = week_hours(cal.days, cal.hours, cal.lunch)
    else:
        week = DEFAULT_WEEKLY_HOURS
    return (min(1.0, r.hours_per_week / week) if week > 0 else 1.0) * deal


def selling_said(scenario: Scenario, role: str) -> str:
    """Why a role's selling time is what it is, in the scenario's words."""
    hours = scenario.roles[role].hours_per_week
    said = f"hours_per_week {hours:g}" if hours is not None else "no hours_per_week"
    wm = scenario.work_model
    if wm is None or role not in wm.time_use:
        said += ", no work_model.time_use (every working hour is deal work)"
    else:
        said += ", work_model.time_use leaves the rest of the week to admin, meetings, training, research, travel"
    return said


def seat_years(facts: Facts) -> dict[str, float]:
    from sim.metrics.economics import seat_days_by_week

    days = seat_days_by_week(facts).sum(axis=0)
    return {r: float(d) / DAYS_PER_YEAR for r, d in zip(facts.layout.roles, days, strict=True)}


def typical(table: Table, metric: str, segment: str) -> float | None:
    row = table.get(metric, segment)
    if row is None:
        return None
    return row.typical if row.typical is not None else (row.low + row.high) / 2


def dominant(by_segment: dict[str, float], scenario: Scenario) -> str | None:
    """The benchmark segment that holds most of ``by_segment`` (bookings or ARR)."""
    acc: dict[str, float] = {}
    for s, v in by_segment.items():
        if s in scenario.segments:
            c = segment_class(scenario, s)
            acc[c] = acc.get(c, 0.0) + float(v or 0.0)
    acc = {c: v for c, v in acc.items() if v > 0}
    return max(acc, key=lambda c: acc[c]) if acc else None


def both(text: str) -> tuple[Driver, Driver]:
    """A scenario value that is the figure itself: it explains it in both directions."""
    return (Driver(text, 1.0), Driver(text, -1.0))


def working_hours_per_month(scenario: Scenario, role: str) -> float:
    """A rep's working hours in a month: the calendar's week (or 40 hours) x weeks a month."""
    from sim.scenario.calendar_spec import week_hours
    from sim.units import WEEKS_PER_MONTH

    cal = scenario.calendar
    if cal is not None:
        cal = cal.merged(scenario.roles[role].calendar)
        return week_hours(cal.days, cal.hours, cal.lunch) * WEEKS_PER_MONTH
    return DEFAULT_WEEKLY_HOURS * WEEKS_PER_MONTH
