"""Time units, in one place.

Why: the clock is in days, KPIs come per week, per month and per year, and a
model that turns months into weeks one way (52/12) while revenue turns years
into days another (365.25) disagrees with itself by 0.2% a month. Every
conversion reads these constants; nothing else in the package spells a year.

* A year is 365.25 days (the Julian year: leap years averaged in), a month a
  twelfth of that, a week 7 days; so a month is 365.25/12/7 ~ 4.35 weeks.
* Week ``w`` of a run covers days ``[7w, 7w + 7)``; an event at or after the
  last week's start (the horizon itself included) belongs to the last week.
* A horizon is at most :data:`MAX_HORIZON_WEEKS` weeks (20 years).
"""

from __future__ import annotations

import math

import numpy as np

DAYS_PER_WEEK = 7.0
DAYS_PER_YEAR = 365.25
DAYS_PER_MONTH = DAYS_PER_YEAR / 12
WEEKS_PER_MONTH = DAYS_PER_MONTH / DAYS_PER_WEEK
WEEKS_PER_YEAR = DAYS_PER_YEAR / DAYS_PER_WEEK
HOURS_PER_DAY = 24.0
WORK_DAYS_PER_YEAR = 52 * 5  # for time off: days off out of the working days of a year
MAX_HORIZON_WEEKS = 1040


def n_weeks(horizon_days: float) -> int:
    """Weeks in a horizon (a partial last week counts as one)."""
    return max(1, int(math.ceil(horizon_days / DAYS_PER_WEEK - 1e-9)))


def week_of(t: float, nw: int) -> int:
    """The week index of time ``t`` (days) in a run of ``nw`` weeks."""
    return min(int(t // DAYS_PER_WEEK), nw - 1)


def week_index(t: np.ndarray, nw: int) -> np.ndarray:
    """:func:`week_of` for an array of times."""
    return np.minimum((np.asarray(t) // DAYS_PER_WEEK).astype(np.int64), nw - 1)

# A reporting year is 52 weeks (364 days: the 52-week fiscal year), so a
# 104-week run has two years to compare and a 156-week run three. Revenue is
# still recognized per 365.25-day year; only the year-on-year KPIs (growth,
# its volatility, the magic number) cut the horizon in these blocks.
WEEKS_PER_REPORTING_YEAR = 52


def reporting_years(horizon_days: float) -> int:
    """Whole reporting years in a horizon."""
    return int(horizon_days / (WEEKS_PER_REPORTING_YEAR * DAYS_PER_WEEK) + 1e-9)
