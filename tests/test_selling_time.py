"""Selling time (issue 22): only the deal share of a rep's week works deals.

Hand-checkable on a straight funnel with more seats than work (no queue, so
the same leads meet the same draws with the mechanism on or off): one task
of 1 work hour on a 40-hour week takes 7 / 40 = 0.175 days; with the default
time use (admin 25%, meetings 15%, training 10%, research 20%: deal share
30%) it takes 0.175 / 0.3 = 0.5833 days.
"""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.errors import ScenarioError
from sim.report.summary import summary
from tests.conftest import build, chain


def _data(**extra):
    data = chain([0.5], work_hours=1.0, headcount=50, hours_per_week=40.0, rate_per_week=30.0)
    data.update(extra)
    return data


def _work_days(result):
    ev = result.events
    return ev[ev.event == "work"]["work_days"].to_numpy()


def _run(data, weeks=8):
    return sim.simulate(build(data, horizon_weeks=weeks), seed=4)


def test_deal_share_stretches_each_task_over_the_week():
    off = _run(_data())
    on = _run(_data(work_model={"time_use": {"r1": {}}}))
    assert np.allclose(_work_days(off), 7 / 40)
    assert np.allclose(_work_days(on), 7 / 40 / 0.3)
    # the same tasks (no queue): the task hours reported stay the same, the seats are busier
    assert on.kpis["roles"]["r1"]["tasks"] == off.kpis["roles"]["r1"]["tasks"]
    assert sum(on.kpis["roles"]["r1"]["busy_hours_per_rep"]) == pytest.approx(
        sum(off.kpis["roles"]["r1"]["busy_hours_per_rep"]), abs=0.5)
    assert on.kpis["roles"]["r1"]["utilization"] == pytest.approx(off.kpis["roles"]["r1"]["utilization"] / 0.3,
                                                                  rel=1e-2)
    assert "time_use" not in off.kpis


def test_where_the_hours_went_adds_up():
    on = _run(_data(work_model={"time_use": {"r1": {"travel": 0.1, "research": 0.1}}}))
    tu = on.kpis["time_use"]["r1"]
    assert tu["working_hours_per_rep_week"] == pytest.approx(40.0)
    assert tu["admin_share"] == 0.25 and tu["travel_share"] == 0.1 and tu["research_share"] == 0.1
    assert tu["deal_work_share"] + tu["deal_idle_share"] == pytest.approx(0.3, abs=1e-3)
    # deal work: the busy hours over the working hours of the seats
    busy = sum(on.kpis["roles"]["r1"]["busy_hours_per_rep"])
    assert tu["deal_work_share"] == pytest.approx(busy / (50 * 40 * 8), rel=1e-2)
    assert sum(v for k, v in tu.items() if k.endswith("_share")) == pytest.approx(1.0, abs=1e-3)
    text = summary(on.kpis)
    assert "Where the hours went" in text


def test_where_the_hours_went_agrees_with_utilization_under_a_calendar():
    """With office hours and per-rep vacations (mid_size), the deal parts of the week (work,
    learning, switching, coordination) are each role's utilization times its deal share: both
    read the reps' time at work as the model measured it (sim.model.attendance), not the
    calendar's estimate, which ignores whose vacation fell when."""
    res = sim.simulate(sim.load_scenario("scenarios/mid_size.yaml"), seed=2, weeks=26, record="kpis")
    nondeal = ("admin", "meetings", "training", "research", "travel")
    checked = 0
    for role, tu in res.kpis["time_use"].items():
        util = res.kpis["roles"][role]["utilization"]
        if util is None or util >= 1.0:
            continue
        deal = 1.0 - sum(tu[f"{k}_share"] for k in nondeal)
        worked = sum(tu[f"{k}_share"] for k in ("deal_work", "learning", "switching", "coordination"))
        assert worked == pytest.approx(util * deal, abs=6e-4), role  # (shares rounded to 4 places)
        checked += 1
    assert checked >= 4


def test_tools_act_by_cutting_admin_hours_not_by_a_multiplier_on_task_time():
    tools = {"tools": {"work_hours_multiplier": 0.5}}
    legacy = _run(_data(process=tools))
    assert np.allclose(_work_days(legacy), 0.5 * 7 / 40)  # without a work model: today's multiplier
    timed = _run(_data(process=tools, work_model={"time_use": {"r1": {}}, "tools_admin_cut": 0.4}))
    # admin 25% -> 15%: deal share 0.3 + 0.1 = 0.4; task hours themselves unchanged
    assert np.allclose(_work_days(timed), 7 / 40 / 0.4)
    assert timed.kpis["time_use"]["r1"]["admin_share"] == pytest.approx(0.15)
    plays = _run(_data(process={"playbooks": {}}, work_model={"time_use": {"r1": {}},
                                                              "playbooks_research_cut": 0.5}))
    assert np.allclose(_work_days(plays), 7 / 40 / 0.4)  # research 20% -> 10%


def test_work_model_checks():
    with pytest.raises(ScenarioError, match="work_model.time_use"):
        build(_data(work_model={"time_use": {"nobody": {}}}))
    with pytest.raises(ScenarioError, match="deal work"):
        build(_data(work_model={"time_use": {"r1": {"admin": 0.5, "meetings": 0.5}}}))
    with pytest.raises(ScenarioError, match="no admin"):
        d = chain([0.5, 0.5], work_hours=1.0, headcount=5, hours_per_week=40.0, rate_per_week=30.0)
        build(d, process={"tools": {}}, work_model={"time_use": {"r1": {}}})
    # a work model without a time use (managers, leavers, pay only) leaves the tools as they were
    tools = _data(process={"tools": {"work_hours_multiplier": 0.5}})
    plain = sim.simulate(build(tools, horizon_weeks=4), seed=1)
    other = sim.simulate(build(tools, horizon_weeks=4, work_model={"leavers": {}}), seed=1)
    assert np.allclose(_work_days(plain), 7 / 40 * 0.5) and np.allclose(_work_days(other), 7 / 40 * 0.5)
    with pytest.raises(ScenarioError, match="steps"):
        build(_data(process={"tools": {"steps": ["s1"]}}, work_model={"time_use": {"r1": {}}}))
