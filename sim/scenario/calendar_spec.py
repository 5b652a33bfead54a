"""Scenario section for working time: the ``calendar`` (scenario default,
overridable per role and per POD) and the inbound hour-of-week profile.

Without a ``calendar`` section reps work around the clock at a reduced speed
(one work hour of a 40 h/week rep takes 4.2 calendar hours), which keeps the
queueing oracles exact. With one, reps work only in their working time: a
task that does not fit in what is left of the day continues the next working
period, leads that arrive at night wait for the morning, and SLAs can count
business hours.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Annotated, Literal

from pydantic import Field, field_validator

from sim.scenario.base import StrictModel

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
SPAN = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")
MONTH_DAY = re.compile(r"^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$")


class _Model(StrictModel):
    """The calendar section's models: strict, bounded numbers like every scenario model."""


def _span(v: str | None) -> str | None:
    if v is None:
        return v
    m = SPAN.match(v)
    if not m or any(int(h) == 24 and int(mm) for h, mm in (m.group(1, 2), m.group(3, 4))):
        raise ValueError(f"expected a span of times of day like '09:00-17:30', got {v!r}")
    if m.group(1, 2) == m.group(3, 4):
        raise ValueError(f"a span needs an end different from its start, got {v!r}")
    return v


def _holiday(v):
    if isinstance(v, dt.date):
        return v
    s = str(v)
    if MONTH_DAY.match(s):
        return s
    try:
        return dt.date.fromisoformat(s)
    except ValueError:
        raise ValueError(f"expected a date (2025-12-25) or a yearly date (12-25), got {v!r}") from None


Holiday = dt.date | Annotated[str, Field(pattern=MONTH_DAY.pattern)]


class WorkWeek(_Model):
    """A role's or a POD's working time; every field left out comes from the
    scenario's ``calendar``."""

    days: list[Weekday] | None = Field(default=None, min_length=1, description="working weekdays")
    hours: str | None = Field(default=None, description="working hours of a working day, e.g. '09:00-17:30' "
                              "(a span past midnight such as '22:00-06:00' is a night shift)")
    lunch: str | None = Field(default=None, description="an unpaid break inside the hours, e.g. '12:30-13:30'")
    holidays: list[Holiday] | None = Field(default=None, description="closed dates: '2025-12-25' once, "
                                           "'12-25' every year")
    vacation_days_per_year: Annotated[float, Field(ge=0, le=200)] | None = Field(
        default=None, description="working days each rep is away a year, drawn per rep as dated blocks")
    vacation_block_days: Annotated[int, Field(ge=1, le=60)] | None = Field(
        default=None, description="consecutive working days per block of vacation")

    @field_validator("hours", "lunch")
    @classmethod
    def _spans(cls, v):
        return _span(v)

    @field_validator("holidays", mode="before")
    @classmethod
    def _dates(cls, v):
        return [_holiday(x) for x in v] if isinstance(v, list) else v


class Calendar(WorkWeek):
    """The scenario's working time (every role and POD unless they override it)."""

    days: list[Weekday] = Field(default=["mon", "tue", "wed", "thu", "fri"], min_length=1,
                                description="working days of the week")
    hours: str = Field(default="09:00-17:30", description="working hours of a working day")
    holidays: list[Holiday] = Field(default_factory=list, description="closed dates: '2025-12-25' once, "
                                    "'12-25' every year")
    vacation_days_per_year: Annotated[float, Field(ge=0, le=200)] = Field(
        default=0.0, description="working days each rep is away a year, drawn per rep as dated blocks "
        "(the seat does no work then; see README for who covers)")
    vacation_block_days: Annotated[int, Field(ge=1, le=60)] = Field(
        default=5, description="consecutive working days per block of vacation")
    start_date: dt.date = Field(default=dt.date(2024, 1, 1), description="the run's first day (sets weekdays, "
                                "holidays and the month of the seasonality profile)")
    time_zone: str = Field(default="UTC", max_length=60, description="label of the calendar's local time, "
                           "for reports (all times are local to it)")
    customer_elapsed: Literal["calendar_days", "business_days"] = Field(
        default="calendar_days", description="how a step's elapsed_days (the customer's time) count: every "
        "day, or working days of this calendar only")

    def merged(self, override: WorkWeek | None) -> Calendar:
        """This calendar with the fields an override sets."""
        if override is None:
            return self
        return self.model_copy(update={k: getattr(override, k) for k in override.model_fields_set
                                       if getattr(override, k) is not None})


class ArrivalProfile(_Model):
    """Hour-of-week shape of an inbound source's arrivals: a weekday factor times
    an hour-of-day factor, normalised so the weekly volume stays ``rate_per_week``."""

    weekday: list[Annotated[float, Field(ge=0)]] = Field(
        default=[1.0] * 7, min_length=7, max_length=7, description="relative rate Mon..Sun")
    hour: list[Annotated[float, Field(ge=0)]] = Field(
        default=[1.0] * 24, min_length=24, max_length=24, description="relative rate by hour of day 0..23 "
        "(local time of the scenario calendar)")

    @field_validator("hour")
    @classmethod
    def _some(cls, v):
        if sum(v) <= 0:
            raise ValueError("at least one hour needs a positive rate")
        return v


def span_hours(span: str) -> tuple[float, float]:
    """The hours of day a validated "HH:MM-HH:MM" span starts and ends at (an end past midnight is +24)."""
    a, b = ((int(x[:2]) + int(x[3:]) / 60.0) for x in span.split("-"))
    return a, b if b > a else b + 24.0


def week_hours(days: Sequence[str], hours: str, lunch: str | None) -> float:
    """Working hours in a week without holidays (for checks; the model builds the real table)."""
    a, b = span_hours(hours)
    day = b - a
    if lunch:
        la, lb = span_hours(lunch)
        for shift in (0.0, 24.0):
            day -= max(0.0, min(b, lb + shift) - max(a, la + shift))
    return len(set(days)) * day
