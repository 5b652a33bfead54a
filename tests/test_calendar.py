"""Working-time arithmetic (sim.model.calendar) against brute-force references.

The references walk the clock minute by minute, so they share no code with the
bisection tables they check."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from sim.model import calendar as cal
from sim.model.absences import draw_absences
from sim.model.week_profile import WeekProfile

MON = dt.date(2024, 1, 1)  # a Monday
FIVE = ("mon", "tue", "wed", "thu", "fri")
MIN = 1 / 1440


def office(horizon=60.0, holidays=(), lunch=True, start=MON, yearly=()):
    breaks = [(12.5, 13.5)] if lunch else []
    return cal.build(FIVE, cal.day_periods((9.0, 17.5), breaks), start, horizon, holidays, yearly)


def minute_working(c: cal.WorkCalendar, n_minutes: int) -> np.ndarray:
    """Whether each minute of the run is working time, from is_working only."""
    return np.array([c.is_working((m + 0.5) * MIN) for m in range(n_minutes)])


def test_office_week_has_37_5_hours_and_no_weekend_work():
    c = office()
    assert c.worked(7.0) * 24 == pytest.approx(5 * 7.5)
    assert c.hours_per_week(weeks=4) == pytest.approx(37.5)
    assert not c.is_working(5.5)  # Saturday noon
    assert not c.is_working(0 + 12.75 / 24)  # Monday lunch
    assert c.is_working(0 + 9.01 / 24) and not c.is_working(0 + 8.99 / 24)
    assert not c.is_working(0 + 17.5 / 24)  # the end of the day is not working time


def test_friday_evening_task_finishes_on_monday():
    c = office(lunch=False)
    fri_18 = 4 + 18 / 24
    assert c.next_working(fri_18) == pytest.approx(7 + 9 / 24)
    # 2 hours queued Friday 18:00 are done Monday 11:00
    assert c.end(fri_18, 2 / 24) == pytest.approx(7 + 11 / 24)
    # 3 hours started Friday 16:00: 1.5 h on Friday, 1.5 h on Monday -> 10:30
    assert c.end(4 + 16 / 24, 3 / 24) == pytest.approx(7 + 10.5 / 24)
    assert c.business(fri_18, 7 + 11 / 24) * 24 == pytest.approx(2.0)


def test_holiday_shifts_work_to_the_next_working_day():
    tue = MON + dt.timedelta(days=1)
    plain, closed = office(lunch=False), office(lunch=False, holidays=[tue])
    mon_17 = 17 / 24
    assert plain.end(mon_17, 1 / 24) == pytest.approx(1 + 9.5 / 24)  # Tuesday 09:30
    assert closed.end(mon_17, 1 / 24) == pytest.approx(2 + 9.5 / 24)  # Wednesday 09:30
    assert closed.worked(7.0) * 24 == pytest.approx(4 * 8.5)


def test_yearly_holiday_repeats_each_year_and_skips_missing_dates():
    c = office(horizon=800, yearly=[(12, 25), (2, 29)])
    for year in (2024, 2025):
        d = (dt.date(year, 12, 25) - MON).days
        assert not c.is_working(d + 10 / 24)
    d = (dt.date(2024, 2, 29) - MON).days  # a Thursday, and 2024 is a leap year
    assert not c.is_working(d + 10 / 24)


@pytest.mark.parametrize("seed", range(6))
def test_end_and_business_match_a_minute_by_minute_walk(seed):
    rng = np.random.default_rng(seed)
    horizon = 21.0
    holidays = [MON + dt.timedelta(days=int(d)) for d in rng.integers(0, 21, 2)]
    c = office(horizon=horizon, holidays=holidays, lunch=bool(seed % 2))
    working = minute_working(c, int(horizon * 1440))
    cum = np.concatenate([[0], np.cumsum(working)])
    for _ in range(40):
        t_min = int(rng.integers(0, 10 * 1440))
        work_min = int(rng.integers(1, 20 * 60))
        # reference: the minute at which the work-th working minute after t ends
        after = cum[t_min] + work_min
        ref_end = int(np.searchsorted(cum, after))  # first minute boundary with cum >= after
        assert c.end(t_min * MIN, work_min * MIN) == pytest.approx(ref_end * MIN, abs=1e-9)
        t2 = t_min + int(rng.integers(0, 5 * 1440))
        assert c.business(t_min * MIN, t2 * MIN) == pytest.approx((cum[t2] - cum[t_min]) * MIN, abs=1e-9)
        nxt = c.next_working(t_min * MIN)
        ref_next = t_min + int(np.argmax(working[t_min:]))
        assert nxt == pytest.approx(ref_next * MIN, abs=1e-9)


@pytest.mark.parametrize("seed", range(4))
def test_end_is_the_inverse_of_worked(seed):
    rng = np.random.default_rng(100 + seed)
    c = office(horizon=200, holidays=[MON + dt.timedelta(days=30)])
    for t, w in zip(rng.uniform(0, 150, 300), rng.exponential(0.5, 300), strict=True):
        e = c.end(t, w)
        assert c.business(t, e) == pytest.approx(w, abs=1e-9)
        # it ends inside or at the end of a working period, never in the middle of the night
        assert c.is_working(e - 1e-9)
        # splitting a task in two changes nothing (work time is accounted exactly)
        assert c.end(c.end(t, w / 3), 2 * w / 3) == pytest.approx(e, abs=1e-9)
        # the engine's one-bisection call agrees with the calls it replaces, for a
        # task ready just now, earlier the same day, over a night or a weekend, or never asked
        start = c.next_working(t)
        for since in (t, t - 0.01, t - 0.3, t - 2.5, t - 9.0, None):
            waited = 0.0 if since is None else c.business(since, start)
            assert c.place(t, w, since) == (start, pytest.approx(e, abs=1e-12), pytest.approx(waited, abs=1e-12))


def test_past_the_table_work_never_finishes():
    c = office(horizon=7)
    assert c.end(0.0, 10_000.0) == math.inf
    assert c.next_working(c.limit + 30) == math.inf


def test_night_shift_crosses_midnight_and_joins_into_one_period():
    c = cal.build(("mon",), cal.day_periods((22.0, 6.0)), MON, 14)
    assert c.is_working(22.5 / 24) and c.is_working(1 + 5 / 24)  # Monday night into Tuesday
    assert not c.is_working(1 + 23 / 24)  # Tuesday night: no shift
    assert c.end(22 / 24, 6 / 24) == pytest.approx(1 + 4 / 24)  # one period, no gap at midnight
    assert len([s for s in c.starts if s < 7]) == 1


def test_always_open_calendar_is_the_identity():
    c = cal.build(cal.WEEKDAYS, [(0.0, 24.0)], MON, 30)
    assert len(c.starts) == 1
    for t, w in [(0.3, 1.7), (5.0, 0.01), (12.25, 3.0)]:
        assert c.end(t, w) == t + w
        assert c.business(t, t + w) == pytest.approx(w)


def test_start_date_sets_the_weekday():
    wed = dt.date(2025, 1, 1)
    c = office(start=wed, lunch=False)
    assert c.is_working(10 / 24)  # Wednesday 1 Jan 2025 at 10:00
    assert not c.is_working(3 + 10 / 24)  # Saturday


def test_absences_are_cut_out_of_a_reps_calendar():
    c = office(horizon=30, lunch=False)
    rep = c.without([(7.0, 12.0)])  # the second week off
    assert rep.business(7.0, 12.0) == 0.0
    assert rep.worked(14.0) * 24 == pytest.approx(5 * 8.5)
    # a task started on the Friday before the absence resumes after it
    assert rep.end(4 + 17 / 24, 1 / 24) == pytest.approx(14 + 9.5 / 24)
    # cutting a block in the middle of a working period
    half = c.without([(0 + 12 / 24, 0 + 13 / 24)])
    assert half.business(0.0, 1.0) * 24 == pytest.approx(7.5)


@pytest.mark.parametrize("seed", range(3))
def test_drawn_absences_take_the_days_asked_in_blocks(seed):
    c = office(horizon=3 * 365.25, lunch=False)
    blocks = draw_absences(c, np.random.default_rng(seed), 20, 5, 0.0, 3 * 365.25)
    rep = c.without(blocks)
    lost_days = (c.worked(3 * 365.25) - rep.worked(3 * 365.25)) * 24 / 8.5
    assert lost_days == pytest.approx(60, abs=1e-6)
    assert all(b2[0] >= b1[1] for b1, b2 in zip(blocks, blocks[1:], strict=False))
    assert len(blocks) == 12  # 4 blocks of 5 working days a year


def test_week_profile_keeps_the_weekly_volume_and_shapes_arrivals():
    weekday = [1.2, 1.2, 1.2, 1.2, 1.0, 0.3, 0.2]
    hour = [0.2] * 8 + [1.5] * 10 + [0.5] * 6
    p = WeekProfile(weekday, hour)
    assert sum(p.table) / 168 == pytest.approx(1.0)
    assert p.factor(0 + 10.5 / 24) == pytest.approx(p.peak)  # Monday 10:30
    assert p.factor(6 + 3 / 24) == min(p.table)  # Sunday 03:00
    c = office(lunch=False)
    share = p.share_in(c)
    assert 0.5 < share < 0.8  # business-day bump, but evenings and weekends still bring leads
    # thinning at the peak rate keeps the right share per hour (a Poisson check)
    rng = np.random.default_rng(5)
    t = np.cumsum(rng.exponential(1 / (200 * p.peak), 200_000))
    keep = rng.random(len(t)) * p.peak < np.array([p.factor(x) for x in t])
    kept = t[keep]
    weeks = t[-1] / 7
    assert len(kept) / weeks == pytest.approx(200 * 7, rel=0.02)
    in_office = np.mean([c.is_working(x % 7) for x in kept[:20_000]])
    assert in_office == pytest.approx(share, abs=0.01)


def test_bad_clock_text_is_refused():
    assert cal.parse_clock("24:00") == 24.0
    for bad in ("25:00", "9:75", "24:30"):
        with pytest.raises(ValueError):
            cal.parse_clock(bad)


@pytest.mark.parametrize("seed", range(3))
def test_placement_with_time_moving_on_as_in_a_run(seed):
    """The engine asks with time mostly moving forward (the placement remembers
    the last working period); answers must not depend on the order of questions."""
    rng = np.random.default_rng(300 + seed)
    c = office(horizon=120, holidays=[MON + dt.timedelta(days=10)])
    fresh = office(horizon=120, holidays=[MON + dt.timedelta(days=10)])
    t = 0.0
    for step, w in zip(rng.exponential(0.05, 2000), rng.exponential(0.1, 2000), strict=True):
        t = t + step if rng.uniform() < 0.9 else max(t - 3 * step, 0.0)  # now and then back in time
        start, end, waited = c.place(t, w, t - 0.4)
        assert start == fresh.next_working(t)
        assert end == pytest.approx(fresh.end(t, w), abs=1e-12)
        assert waited == pytest.approx(fresh.business(t - 0.4, start), abs=1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_cutting_absences_matches_a_grid_of_five_minute_slots(seed):
    """Blocks anywhere (inside a period, over several, overlapping, nested,
    touching, before the start or past the table): a slot of the rep's calendar
    is working time when it is in the team's calendar and in no block."""
    rng = np.random.default_rng(500 + seed)
    slot = 5 / (24 * 60)
    days = 30
    c = office(horizon=days, holidays=[MON + dt.timedelta(days=9)])
    n = int(days / slot)
    blocks = []
    for _ in range(int(rng.integers(1, 12))):
        a = int(rng.integers(-300, n + 300))
        blocks.append((a * slot, (a + int(rng.integers(1, 3000))) * slot))
    rep = c.without(blocks)
    mid = (np.arange(n) + 0.5) * slot
    working = np.array([c.is_working(t) and not any(a <= t < b for a, b in blocks) for t in mid])
    assert [rep.is_working(t) for t in mid] == working.tolist()
    # and the cumulative working time agrees at every slot boundary
    done = np.concatenate([[0.0], np.cumsum(working) * slot])
    for k in range(0, n + 1, 97):
        assert rep.worked(k * slot) == pytest.approx(done[k], abs=1e-9)
    # table invariants: sorted, disjoint, no empty period
    assert all(a < b for a, b in zip(rep.starts, rep.ends, strict=True))
    assert all(b < a2 for b, a2 in zip(rep.ends, rep.starts[1:], strict=False))
