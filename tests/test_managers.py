"""First-line managers and their span of control (issue 22), checked by hand.

One step converting half the leads, worked by 16 reps under one manager whose
span is 8: the manager's load is 16, coverage 8 / 16 = 0.5, dilution d = 0.5.
With ``win_odds_loss`` 0.4 the reps' odds are multiplied by 1 - 0.4 x 0.5 =
0.8, so the step converts 0.4 / (0.5 + 0.4) = 44.4% instead of 50%. A VP over
that one manager with a span of 4 is busy 1/4 of the time.
"""

from __future__ import annotations

import math

import pytest

import sim
from sim.errors import ScenarioError
from sim.model.rng import Streams
from sim.model.setup import RunSetup
from sim.model.world import World
from sim.records import Tally
from tests.conftest import SCENARIOS, build, chain


def _team(n=16, rate=200.0, **managers):
    d = chain([0.5], work_hours=0.0, headcount=n, hours_per_week=40.0, rate_per_week=rate)
    d["roles"]["r1"]["people"] = {}
    d["roles"]["mgr"] = {"headcount": 1, "hours_per_week": 40.0, "loaded_cost_per_year_usd": 100_000}
    d["roles"]["vp"] = {"headcount": 1, "hours_per_week": 40.0}
    if managers:
        d["work_model"] = {"managers": {"role": "mgr", "manages": ["r1"], **managers}}
    return d


def _conversion(res):
    return res.kpis["stages"][0]["conversion"]


def test_a_manager_over_their_span_dilutes_win_odds():
    on = sim.simulate(build(_team(span_of_control=8, win_odds_loss=0.4,
                                  second_line={"role": "vp", "span_of_control": 4}), horizon_weeks=52),
                      seed=1, record="kpis")
    off = sim.simulate(build(_team(), horizon_weeks=52), seed=1, record="kpis")
    n = on.kpis["leads_created"]
    sd = math.sqrt(0.25 / n)
    assert _conversion(on) == pytest.approx(0.4 / 0.9, abs=4 * sd)
    assert _conversion(off) == pytest.approx(0.5, abs=4 * sd)  # switched off: the step's own odds
    mg = on.kpis["management"]
    assert mg["reps_per_manager"] == pytest.approx(16) and mg["coverage"] == pytest.approx(0.5)
    assert mg["team_share"] == pytest.approx(1.0) and mg["hiring_share"] == 0.0
    assert on.kpis["roles"]["mgr"]["utilization"] == pytest.approx(1.0)
    assert on.kpis["roles"]["vp"]["utilization"] == pytest.approx(0.25)
    assert off.kpis["roles"]["mgr"]["utilization"] == 0.0 and "management" not in off.kpis
    assert {r["manager_coverage"] for r in on.kpis["reps"]} == {0.5}


def test_at_or_under_the_span_nothing_changes_and_the_manager_works():
    """8 reps, span 8: coverage 1, the same conversions as without managers; the manager is fully busy."""
    on = sim.simulate(build(_team(n=8, span_of_control=8, win_odds_loss=0.4), horizon_weeks=26), seed=2)
    off = sim.simulate(build(_team(n=8), horizon_weeks=26), seed=2)
    assert on.kpis["stages"] == off.kpis["stages"] and on.kpis["bookings_usd"] == off.kpis["bookings_usd"]
    assert on.kpis["roles"]["mgr"]["utilization"] == pytest.approx(1.0)
    half = sim.simulate(build(_team(n=4, span_of_control=8), horizon_weeks=26), seed=2)
    assert half.kpis["roles"]["mgr"]["utilization"] == pytest.approx(0.5)  # 4 reps of a span of 8


def test_the_second_line_multiplies_coverage():
    """One VP with a span of 0.5 over one manager: the VP's coverage is 0.5; the manager's
    own is 1 (8 reps, span 8) and 4 reps more make it 8 / 12: every rep's is 0.5 x 1 = 0.5,
    then 0.5 x 8 / 12 = 1/3."""
    res = sim.simulate(build(_team(n=8, rate=20, span_of_control=8,
                                   second_line={"role": "vp", "span_of_control": 0.5}), horizon_weeks=4),
                       seed=2, record="kpis")
    assert res.kpis["management"]["coverage"] == pytest.approx(0.5)
    assert res.kpis["roles"]["vp"]["utilization"] == pytest.approx(1.0)
    res = sim.simulate(build(_team(n=12, rate=20, span_of_control=8,
                                   second_line={"role": "vp", "span_of_control": 0.5}), horizon_weeks=4),
                       seed=2, record="kpis")
    assert res.kpis["management"]["coverage"] == pytest.approx(1 / 3, abs=1e-4)
    # without a second line, the manager's own coverage
    res = sim.simulate(build(_team(n=12, rate=20, span_of_control=8), horizon_weeks=4), seed=2, record="kpis")
    assert res.kpis["management"]["coverage"] == pytest.approx(2 / 3, abs=1e-4)


def test_reps_are_shared_out_in_blocks_with_their_manager_in_the_rep_table():
    d = _team(n=10, rate=20, span_of_control=8)
    d["roles"]["mgr"]["headcount"] = 2
    res = sim.simulate(build(d, horizon_weeks=4), seed=2, record="kpis")
    assert [r["manager"] for r in res.kpis["reps"]] == [0] * 5 + [1] * 5
    assert res.kpis["management"]["coverage"] == pytest.approx(1.0)


def _world(data, weeks=4):
    scenario = build(data, horizon_weeks=weeks)
    setup = RunSetup.of(scenario, weeks * 7.0)
    return World(setup, Streams(5), Tally(setup.layout))


def test_a_hire_under_a_diluted_manager_ramps_slower():
    """16 reps, span 8: d = 0.5; ramp_slowdown 1 makes a new hire's ramp 1 + 0.5 = 1.5 times as long.
    One seat empty (vacancy_load 0): the load is 15, d = 1 - 8 / 15."""
    d = _team(span_of_control=8, ramp_slowdown=1.0, vacancy_load=0.0)
    d["roles"]["r1"]["people"] = {"ramp_days": 100, "ramp_start": 0.5}
    w = _world(d)
    role = w.roles["r1"]
    staff = role.staff
    role.leave(3)
    w.managers.refresh()
    role.fill(3)
    rep = role.occupant[3]
    assert staff.ramp_scale[rep] == pytest.approx(1 + (1 - 8 / 15))
    assert staff.ramp(rep, 0.0 + staff.hired[rep] + 50) == pytest.approx(0.5 + 0.5 * 50 / (100 * (2 - 8 / 15)))
    # the starting team is ramped whatever their manager's load
    assert staff.ramp(0, 0.0) == 1.0
    # and without managers a hire ramps in ramp_days
    d2 = _team()
    d2["roles"]["r1"]["people"] = {"ramp_days": 100}
    w2 = _world(d2)
    w2.roles["r1"].leave(3)
    w2.roles["r1"].fill(3)
    assert w2.roles["r1"].staff.ramp_scale[w2.roles["r1"].occupant[3]] == 1.0


@pytest.mark.parametrize("increase, expected", [(2.0, math.exp(-2 * 364 / 365.25)), (0.0, math.exp(-364 / 365.25))])
def test_a_diluted_manager_loses_more_reps(increase, expected):
    """200 reps under one manager of span 100 (vacancies not counted): d = 0.5, attrition of 1 a
    year times 1 + 2 x 0.5 = 2, drawn into each tenure at the start; after 52 weeks exp(-2 x 364 /
    365.25) = 13.7% are left, against 36.9% at the role's own rate."""
    n = 200
    d = _team(n=n, rate=1.0, span_of_control=100, attrition_increase=increase, vacancy_load=0.0)
    d["roles"]["r1"]["people"] = {"attrition_per_year": 1.0, "backfill": False}
    res = sim.simulate(build(d, horizon_weeks=52), seed=4, record="kpis")
    stayed = (n - len(res.kpis["departures"])) / n
    assert abs(stayed - expected) < 4 * math.sqrt(expected * (1 - expected) / n)


def test_managers_checks():
    with pytest.raises(ScenarioError, match="unknown role 'boss'"):
        build(_team(role="boss"))
    with pytest.raises(ScenarioError, match="people section"):
        d = _team(span_of_control=8)
        del d["roles"]["r1"]["people"]
        build(d)
    with pytest.raises(ScenarioError, match="works funnel steps"):
        build(_team(role="r1"))
    with pytest.raises(ScenarioError, match="manager role"):
        build(_team(manages=["mgr"]))
    with pytest.raises(ScenarioError, match="another role"):
        build(_team(second_line={"role": "mgr"}))
    with pytest.raises(ScenarioError, match="headcount"):
        d = _team(span_of_control=8)
        d["roles"]["mgr"]["headcount"] = 0
        build(d)


def test_the_shipped_variant_shows_the_managers():
    from sim.report.summary import summary

    scenario = sim.load_scenario(SCENARIOS / "variants" / "mid_size_managers.yaml")
    res = sim.simulate(scenario, seed=1, weeks=13, record="kpis")
    assert res.kpis["roles"]["sales_manager"]["utilization"] > 0.9  # 24 reps for two managers of span 8
    assert 0 < res.kpis["roles"]["vp_sales"]["utilization"] < 1
    assert res.kpis["management"]["coverage"] < 1
    text = summary(res.kpis)
    assert "Managers" in text and "sales_manager" in text.split("Managers")[1]
    assert all("manager" in r for r in res.kpis["reps"])


def test_the_small_teams_head_of_sales_does_real_work():
    """small_team's head of sales looks after its nine reps with a span of 8: busy all the time,
    coverage about 8/9 while every seat is filled; without work_model.managers they show no work."""
    from sim.report.summary import summary

    scenario = sim.load_scenario(SCENARIOS / "small_team.yaml")
    res = sim.simulate(scenario, seed=1, weeks=13, record="kpis")
    assert res.kpis["roles"]["sales_manager"]["utilization"] > 0.9
    mg = res.kpis["management"]
    assert mg["reps_per_manager"] == pytest.approx(9, abs=1) and 8 / 9.5 <= mg["coverage"] < 1
    assert "Managers" in summary(res.kpis)
    assert {r["manager"] for r in res.kpis["reps"]} == {0}
    off = sim.simulate(scenario.model_copy(update={"work_model": scenario.work_model.model_copy(
        update={"managers": None})}), seed=1, weeks=13, record="kpis")
    assert off.kpis["roles"]["sales_manager"]["utilization"] == 0.0 and "management" not in off.kpis


def test_the_same_cost_pair_has_one_manager_under_the_same_rule():
    """Both triangles carry one first-line manager at the same cost and span (issue 24 item 3):
    the manager works (no 0% utilization), and the specialists' twelve heads are over the span
    of 10 (coverage about 10 / 12) while the nine generalists are not. Without
    ``work_model.managers`` the manager shows no work."""
    runs = {}
    for name in ("upright_triangle", "inverted_triangle"):
        scenario = sim.load_scenario(SCENARIOS / f"{name}.yaml")
        mg = scenario.work_model.managers
        runs[name] = (scenario.roles[mg.role].headcount, scenario.roles[mg.role].loaded_cost_per_year_usd,
                      mg.span_of_control, scenario.economics.marketing_programmes_usd_per_year)
        res = sim.simulate(scenario, seed=1, weeks=13, record="kpis")
        assert res.kpis["roles"][mg.role]["utilization"] > 0.5
        if name == "upright_triangle":
            assert res.kpis["management"]["coverage"] < 0.9  # 12 reps for a span of 10
        else:
            assert res.kpis["management"]["coverage"] == pytest.approx(1.0)  # 9 reps for a span of 10
        off = sim.simulate(sim.load_scenario(SCENARIOS / f"{name}.yaml", ["work_model.managers=null"]),
                           seed=1, weeks=13, record="kpis")
        assert not off.kpis["roles"].get(mg.role, {}).get("utilization")
    assert runs["upright_triangle"] == runs["inverted_triangle"]  # same cost, same rule


def test_a_manager_hired_later_takes_over_half_the_team():
    """16 reps under one manager of span 8 (coverage 0.5); a second manager hired in week 10
    takes over half the seats the next day (a team split when a manager is hired): coverage
    is 1 from then on, so the year's time-average coverage is about (10 x 0.5 + 42 x 1) / 52
    and the second half of the year converts at the step's own odds. Without the split the
    hire would manage nobody and coverage would stay 0.5."""
    d = _team(span_of_control=8, win_odds_loss=0.4)
    d["roles"]["mgr"]["people"] = {}
    d["timeline"] = [{"week": 10, "action": "hire", "role": "mgr"}]
    res = sim.simulate(build(d, horizon_weeks=52), seed=1, record="kpis")
    managers = [r["manager"] for r in res.kpis["reps"]]
    assert sorted(managers) == [0] * 8 + [1] * 8
    # the management KPI's coverage is per manager present: 70 days of one at 0.5, 294 of two at 1
    assert res.kpis["management"]["coverage"] == pytest.approx((70 * 0.5 + 2 * 294) / (70 + 2 * 294), abs=0.01)
    for r in res.kpis["reps"]:  # every rep's time average: half covered for 10 weeks, then fully
        assert r["manager_coverage"] == pytest.approx((10 * 0.5 + 42 * 1.0) / 52, abs=0.02)
