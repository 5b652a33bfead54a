"""Working time in the engine: reps work only in their calendar, leads wait for
the next working period, SLAs and the customer's clock count as configured,
and a scenario without a calendar runs exactly as before."""

from __future__ import annotations

import copy
import datetime as dt

import numpy as np
import pytest

import sim
from sim.errors import ScenarioError
from sim.model import calendar as wc
from sim.model.vocab import TimelineKind
from sim.model.week_profile import WeekProfile
from tests.conftest import SCENARIOS, build, chain
from tests.test_theory import erlang_c_wait

OFFICE = {"days": ["mon", "tue", "wed", "thu", "fri"], "hours": "09:00-17:00"}
MON = dt.date(2024, 1, 1)


def office_cal(horizon_days, holidays=()):
    return wc.build(OFFICE["days"], [(9.0, 17.0)], MON, horizon_days, holidays)


def only(weekday: int, hours: range) -> dict:
    """An arrival profile with arrivals on one weekday, in some hours only."""
    return {"weekday": [1.0 if d == weekday else 0.0 for d in range(7)],
            "hour": [1.0 if h in hours else 0.0 for h in range(24)]}


def small_team_with(calendar: dict, **role_changes) -> sim.Scenario:
    d = sim.load_scenario(SCENARIOS / "small_team.yaml").model_dump(exclude_unset=True)
    d.pop("calendar", None)
    for r in d["roles"].values():
        r.pop("hours_per_week", None)
        r.pop("calendar", None)
        r.update(role_changes)
    d["calendar"] = calendar
    return sim.validate_data(d)


def golden_chain() -> dict:
    d = chain([0.6, 0.5], headcount=[2, 1], work_hours=[{"dist": "exponential", "mean": 1.0}, 2.0],
              hours_per_week=40, rate_per_week=50)
    d["roles"]["r2"].update(owns_leads=True, max_open_per_rep=5)
    d["steps"]["s1"].update(sla_hours=5, speed_to_lead=True)
    d["speed_to_lead"] = {"causal_share": 1.0}  # the curve these golden numbers were drawn under
    return d


def test_without_a_calendar_results_are_exactly_as_before():
    # numbers of this run before working time existed (same seed): the 24/7 model is unchanged
    k = sim.simulate(build(golden_chain()), seed=5, weeks=26, record="kpis").kpis
    assert k["leads_won"] == 241
    assert k["leads_lost_by_reason"]["sla"] == 85
    assert k["roles"]["r1"]["mean_wait_hours"] == 0.676
    assert k["roles"]["r2"]["mean_wait_hours"] == 64.863
    assert k["first_touch"]["business_hours"] is None


def test_an_always_open_calendar_is_the_24_7_model():
    d = golden_chain()
    for r in d["roles"].values():
        r["hours_per_week"] = 168
    plain = sim.simulate(build(d), seed=5, weeks=26, record="kpis").kpis
    d["calendar"] = {"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "hours": "00:00-24:00"}
    for r in d["roles"].values():
        r.pop("hours_per_week")
    timed = sim.simulate(build(d), seed=5, weeks=26, record="kpis").kpis
    for key in ("leads_won", "leads_lost_by_reason", "bookings_usd", "stages"):
        assert timed[key] == plain[key], key
    assert timed["roles"]["r1"]["mean_wait_hours"] == pytest.approx(plain["roles"]["r1"]["mean_wait_hours"])
    ft = timed["first_touch"]
    assert ft["business_hours"] == ft["calendar_hours"]


@pytest.fixture(scope="module")
def office_run():
    scenario = small_team_with(OFFICE)
    return scenario, sim.simulate(scenario, seed=2, weeks=26, record="events")


def _tasks(run):
    ev = run.events
    return ev[ev["event"] == "work"][["t_days", "role", "rep", "work_days", "wait_days"]]


def test_no_work_starts_or_continues_outside_working_time(office_run):
    _, run = office_run
    cal = office_cal(26 * 7)
    tasks = _tasks(run)
    assert len(tasks) > 1000
    starts = tasks["t_days"].to_numpy()
    assert all(cal.is_working(t) for t in starts)
    # one rep, one task at a time: the next task starts after the last one's work is done in working time
    for (_, _), g in tasks.groupby(["role", "rep"], observed=True):
        if g["role"].iloc[0] == "csm":
            continue
        t = g["t_days"].to_numpy()
        ends = np.array([cal.end(s, w) for s, w in zip(t, g["work_days"].to_numpy(), strict=True)])
        assert np.all(t[1:] >= ends[:-1] - 1e-9)


def test_weekly_work_per_rep_never_exceeds_the_calendar(office_run):
    _, run = office_run
    cal = office_cal(26 * 7)
    tasks = _tasks(run)
    for (_, _), g in tasks.groupby(["role", "rep"], observed=True):
        weekly = np.zeros(27)
        for s, w in zip(g["t_days"].to_numpy(), g["work_days"].to_numpy(), strict=True):
            e = cal.end(s, w)
            for k in range(int(s // 7), min(int(e // 7), 26) + 1):
                weekly[k] += cal.business(max(s, 7.0 * k), min(e, 7.0 * (k + 1)))
        assert weekly.max() * 24 <= 40.0 + 1e-6


def test_friday_evening_leads_wait_for_monday():
    d = chain([0.5], headcount=[1], work_hours=[0.25], rate_per_week=20)
    d["roles"]["r1"].pop("hours_per_week")
    d["calendar"] = OFFICE
    d["sources"]["web"]["arrival_profile"] = only(4, range(18, 23))  # Friday 18:00-23:00
    r = sim.simulate(build(d), seed=1, weeks=8, record="events")
    t = r.facts.touches
    assert len(t["t"]) > 50
    weekday = (t["t"].astype(int)) % 7
    assert set(weekday.tolist()) == {0}  # every first touch on a Monday
    assert (t["wait_days"] * 24 >= 58.0).all()  # at least Friday 23:00 -> Monday 09:00
    assert (t["business_days"] * 24 < 8.0).all()  # in business hours, Monday morning only


def test_a_holiday_shifts_work_to_the_next_working_day():
    d = chain([0.5], headcount=[1], work_hours=[0.25], rate_per_week=20)
    d["roles"]["r1"].pop("hours_per_week")
    mondays = [str(MON + dt.timedelta(days=7 * k)) for k in range(9)]
    d["calendar"] = {**OFFICE, "holidays": mondays}
    d["sources"]["web"]["arrival_profile"] = only(4, range(18, 23))
    t = sim.simulate(build(d), seed=1, weeks=8, record="events").facts.touches
    assert set(((t["t"].astype(int)) % 7).tolist()) == {1}  # Tuesday
    assert (t["wait_days"] * 24 >= 58.0 + 24.0).all()


def test_sla_clock_business_hours_keeps_friday_evening_leads_calendar_hours_loses_them():
    d = chain([0.5], headcount=[1], work_hours=[0.25], rate_per_week=6)  # Monday's call-backs fit in 4 hours
    d["roles"]["r1"].pop("hours_per_week")
    d["calendar"] = OFFICE
    d["sources"]["web"]["arrival_profile"] = only(4, range(18, 23))
    d["steps"]["s1"]["sla_hours"] = 4
    business = sim.simulate(build(d), seed=1, weeks=8, record="kpis").kpis
    d["steps"]["s1"]["sla_clock"] = "calendar_hours"
    calendar = sim.simulate(build(d), seed=1, weeks=8, record="kpis").kpis
    assert business["lost_to_sla"] == 0
    assert calendar["lost_to_sla"] == calendar["leads_created"] - calendar["leads_open"]


def test_customer_elapsed_in_business_days_skips_weekends():
    d = chain([1.0], elapsed_days=1.0, rate_per_week=100)
    d["calendar"] = {**OFFICE, "customer_elapsed": "business_days"}
    d["roles"]["r1"]["calendar"] = {"days": list(wc.WEEKDAYS), "hours": "00:00-24:00"}  # no wait for the rep
    r = sim.simulate(build(d), seed=4, weeks=10, record="events")
    ev = r.events
    dwell = ev[ev["event"] == "won"]["t_days"].to_numpy() - r.leads.set_index("lead").loc[
        ev[ev["event"] == "won"]["lead"], "created_days"].to_numpy()
    created = r.leads.set_index("lead").loc[ev[ev["event"] == "won"]["lead"], "created_days"].to_numpy()
    weekday = created.astype(int) % 7
    assert np.allclose(dwell[weekday <= 3], 1.0)  # Mon-Thu: the next day
    assert np.all(dwell[weekday == 4] >= 3.0 - 1e-9)  # Friday: Monday
    d["calendar"]["customer_elapsed"] = "calendar_days"
    plain = sim.simulate(build(d), seed=4, weeks=10, record="kpis").kpis
    assert plain["stages"][0]["median_days"] == 1.0


def test_hour_of_week_profile_shapes_arrivals():
    d = chain([0.5], rate_per_week=400)
    profile = {"weekday": [1.2, 1.2, 1.2, 1.2, 1.0, 0.3, 0.2], "hour": [0.2] * 8 + [1.5] * 10 + [0.5] * 6}
    d["sources"]["web"]["arrival_profile"] = profile
    r = sim.simulate(build(d), seed=4, weeks=20, record="events")
    t = r.leads["created_days"].to_numpy()
    assert len(t) / 20 == pytest.approx(400, rel=0.03)  # the weekly volume is kept
    week = WeekProfile(profile["weekday"], profile["hour"])
    cal = office_cal(20 * 7)
    inside = np.mean([cal.is_working(x) for x in t])
    assert inside == pytest.approx(week.share_in(cal), abs=0.02)
    weekend = np.mean((t.astype(int) % 7) >= 5)
    assert weekend == pytest.approx((0.3 + 0.2) / 6.3, abs=0.015)


def test_hours_per_week_with_a_calendar_is_the_share_spent_on_tasks():
    full = small_team_with(OFFICE)
    d = full.model_dump(exclude_unset=True)
    d["roles"]["mdr"]["hours_per_week"] = 20  # half of the 40 working hours
    half = sim.validate_data(d)
    a = sim.simulate(full, seed=2, weeks=4, record="events").events
    b = sim.simulate(half, seed=2, weeks=4, record="events").events
    wa = a[(a["event"] == "work") & (a["role"] == "mdr")]["work_days"].iloc[:20].to_numpy()
    wb = b[(b["event"] == "work") & (b["role"] == "mdr")]["work_days"].iloc[:20].to_numpy()
    assert wb == pytest.approx(2 * wa)


def test_vacations_are_dated_and_nobody_works_while_away():
    scenario = small_team_with({**OFFICE, "vacation_days_per_year": 20, "vacation_block_days": 5})
    r = sim.simulate(scenario, seed=6, weeks=52, record="events")
    tl = r.facts.timeline
    roles = list(scenario.roles)
    away = tl["kind"] == int(TimelineKind.REP_AWAY)
    back = tl["kind"] == int(TimelineKind.REP_BACK)
    assert away.sum() >= 4 * 4 and back.sum() <= away.sum()  # 4 blocks a year for each rep
    horizon = 52 * 7.0
    tasks = _tasks(r)
    for t0, role, rep in zip(tl["t"][away], tl["role"][away], tl["rep"][away], strict=True):
        m = back & (tl["role"] == role) & (tl["rep"] == rep) & (tl["t"] > t0)
        left = (tl["kind"] == int(TimelineKind.REP_LEFT)) & (tl["role"] == role) & (tl["rep"] == rep) & \
            (tl["t"] >= t0)
        if not m.any() or (left.any() and tl["t"][left].min() < tl["t"][m].min()):
            # no return: the rep left the company while away, or the block ends after the run
            t1 = tl["t"][left].min() if left.any() else horizon
            assert left.any() or horizon - t0 <= 9
        else:
            t1 = tl["t"][m].min()
            assert 1 - 1e-9 <= t1 - t0 <= 9  # a block of up to 5 working days (pro rata for late hires)
        g = tasks[(tasks["role"] == roles[role]) & (tasks["rep"] == rep)]
        assert not ((g["t_days"] >= t0) & (g["t_days"] < t1)).any()
    # the AEs' capacity is reduced by the weeks away: utilization is measured against time at work
    k = r.kpis["roles"]["ae"]
    assert 0 < k["utilization"] <= 1


def _onoff(seed: int, weeks: float, profile: dict | None, calendar: bool) -> dict:
    d = chain([0.5], headcount=[2], work_hours=[{"dist": "exponential", "mean": 0.5}], rate_per_week=2.8 * 40,
              hours_per_week=40)
    if calendar:
        d["roles"]["r1"].pop("hours_per_week")
        d["calendar"] = OFFICE
    if profile is not None:
        d["sources"]["web"]["arrival_profile"] = profile
    return sim.simulate(build(d), seed=seed, weeks=weeks, record="kpis").kpis


# M/M/2 at rho = 0.7 in the business clock: lam = 2.8 per working hour, mu = 2 per hour
WORKING = {"weekday": [1, 1, 1, 1, 1, 0, 0], "hour": [1.0 if 9 <= h < 17 else 0.0 for h in range(24)]}


def _check_onoff(seeds, weeks, rel):
    waits = [_onoff(s, weeks, WORKING, True)["first_touch"]["business_hours"]["mean"] for s in seeds]
    # arrivals only in working time: in the business clock the role is exactly M/M/2
    assert np.mean(waits) == pytest.approx(erlang_c_wait(2, 2.8, 2.0), rel=rel)
    # arrivals at all hours: the same work, so the same utilization as the 24/7 model scaled by availability
    on_off = [_onoff(s, weeks, None, True) for s in seeds]
    scaled = [_onoff(s, weeks, None, False) for s in seeds]
    u1 = np.mean([k["roles"]["r1"]["utilization"] for k in on_off])
    u0 = np.mean([k["roles"]["r1"]["utilization"] for k in scaled])
    assert u1 == pytest.approx(u0, rel=0.02)
    assert u1 == pytest.approx(0.7, rel=0.03)
    # ... but leads arriving at night wait for the morning: longer calendar waits
    assert np.mean([k["first_touch"]["calendar_hours"]["mean"] for k in on_off]) > 3 * np.mean(
        [k["first_touch"]["calendar_hours"]["mean"] for k in scaled])


def test_on_off_schedule_matches_mmc_in_business_time():
    _check_onoff(range(3), 26, rel=0.12)


@pytest.mark.slow
def test_on_off_schedule_matches_mmc_in_business_time_long():
    _check_onoff(range(10), 104, rel=0.04)


@pytest.mark.parametrize("change, message", [
    (lambda d: d["roles"]["ae"].update(calendar={"hours": "08:00-16:00"}),
     "roles.ae.calendar: a role's or POD's working time overrides the scenario's"),
    (lambda d: d.update(calendar={**OFFICE}) or d["roles"]["ae"].update(hours_per_week=50),
     "roles.ae.hours_per_week: with a calendar, hours_per_week is the time on the role's tasks and cannot "
     "pass the calendar's 40 working hours a week"),
    (lambda d: d.update(calendar={**OFFICE, "hours": "09:00-25:00"}), "calendar.hours"),
    (lambda d: d.update(calendar={**OFFICE, "holidays": ["12/25"]}), "calendar.holidays"),
    (lambda d: d.update(calendar={**OFFICE}) or d["roles"]["ae"].update(
        people={"time_off_days_per_year": 25}), "roles.ae.people.time_off_days_per_year: with a calendar"),
])
def test_bad_calendar_settings_are_refused(change, message):
    d = copy.deepcopy(sim.load_scenario(SCENARIOS / "small_team.yaml").model_dump(exclude_unset=True))
    d.pop("calendar", None)
    for r in d["roles"].values():
        r.pop("calendar", None)
    change(d)
    with pytest.raises(ScenarioError, match=message.replace(".", r"\.").replace("(", r"\(").replace(")", r"\)")):
        sim.validate_data(d)


def test_salesim_run_prints_first_touch_in_both_clocks_and_quota_attainment(capsys):
    from sim.cli.main import main
    # (AEs who never leave: each is present the 13 weeks that count a rep, whatever the seed draws)
    assert main(["run", str(SCENARIOS / "small_team.yaml"), "--weeks", "20", "--seed", "3",
                 "--set", "roles.ae.people.attrition_per_year=0"]) == 0
    out = capsys.readouterr().out
    assert "First touch: wait before a lead's first task (hours)" in out
    assert "calendar median" in out and "business median" in out
    assert "website" in out and "times in America/New_York" in out
    assert "Quota attainment (bookings / quota, per rep)" in out
    line = next(x for x in out.splitlines() if x.startswith("ae ") and "year_1" in x)
    aes = sim.load_scenario(SCENARIOS / "small_team.yaml").roles["ae"].headcount
    assert line.split()[3] == str(aes)  # every AE counted


def _start_hours(run, role):
    ev = run.events
    w = ev[(ev["event"] == "work") & (ev["role"] == role)]
    return w, ((w["t_days"].to_numpy() % 1.0) * 24 + 1e-6)  # (14:00 can read 13:59:59.99...)


def test_role_and_pod_calendars_override_the_scenarios():
    d = sim.load_scenario(SCENARIOS / "pods_no_split.yaml").model_dump(exclude_unset=True)
    for r in d["roles"].values():
        r.pop("hours_per_week", None)
        if r.get("people"):
            r["people"] = {k: v for k, v in r["people"].items() if k != "time_off_days_per_year"}
    d["calendar"] = OFFICE  # 09:00-17:00
    d["roles"]["onb"]["calendar"] = {"hours": "06:00-12:00"}
    d["pods"]["initial"][1]["calendar"] = {"hours": "14:00-22:00"}  # the second POD works late
    r = sim.simulate(sim.validate_data(d), seed=1, weeks=20, record="events")
    _, onb = _start_hours(r, "onb")
    assert len(onb) > 5 and ((onb >= 6) & (onb < 12)).all()
    w, ae = _start_hours(r, "ae")
    seg = r.leads.set_index("lead").loc[w["lead"], "segment"].astype(str).to_numpy()
    late = seg == d["pods"]["initial"][1]["owns"][0]
    assert late.sum() > 5 and (~late).sum() > 5
    assert ((ae[late] >= 14) & (ae[late] < 22)).all()
    assert ((ae[~late] >= 9) & (ae[~late] < 17)).all()
