"""Coordination time and growing a POD in place (issue 22).

Hand-checkable: a pooled role of 40-hour reps with more seats than work (no
queue, so the same tasks with the mechanism on or off); 1 work hour takes
7 / 40 = 0.175 days. With half an hour a week per teammate, a team of 4
spends 0.5 x 3 = 1.5 hours a week coordinating, so a task takes
40 / (40 - 1.5) as long; a role of 12 works in teams of at most 8:
40 / (40 - 3.5).
"""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.errors import ScenarioError
from tests.conftest import SCENARIOS, build, chain

BASE = 7 / 40


def _data(headcount, **work_model):
    data = chain([0.5], work_hours=1.0, headcount=headcount, hours_per_week=40.0, rate_per_week=20.0)
    if work_model:
        data["work_model"] = work_model
    return data


def _run(data, weeks=6):
    return sim.simulate(build(data, horizon_weeks=weeks), seed=3)


def _days(res):
    ev = res.events
    return ev[ev.event == "work"]["work_days"].to_numpy()


@pytest.mark.parametrize("headcount, team", [(4, 4), (12, 8)])
def test_each_teammate_costs_time_out_of_the_deal_week(headcount, team):
    on = _run(_data(headcount, coordination={"hours_per_colleague_per_week": 0.5}))
    c = 0.5 * (team - 1)
    assert np.allclose(_days(on), BASE * 40 / (40 - c))
    assert np.allclose(_days(_run(_data(headcount))), BASE)  # switched off: no coordination
    tu = on.kpis["time_use"]["r1"]
    tasks = on.kpis["roles"]["r1"]["tasks"]
    # the hours spent coordinating: each task's stretch, over the seats' working hours
    assert tu["coordination_share"] == pytest.approx(tasks * (40 / (40 - c) - 1) / (headcount * 40 * 6), rel=1e-2)


def test_coordination_comes_out_of_the_deal_share():
    """With a time use leaving 30% of 40 hours (12 hours) for deals, a team of 4
    spends 1.5 of those 12 hours coordinating: 12 / 10.5 longer per task."""
    on = _run(_data(4, coordination={"hours_per_colleague_per_week": 0.5}, time_use={"r1": {}}))
    assert np.allclose(_days(on), BASE / 0.3 * 12 / 10.5)


def test_the_per_rep_table_has_the_coordination_hours():
    """Three reps, an hour a week per teammate: 2 hours of 40, each task 40 / 38 as long."""
    d = _data(3, coordination={"hours_per_colleague_per_week": 1.0})
    d["roles"]["r1"]["people"] = {}
    res = _run(d)
    hours = [r["coordination_hours"] for r in res.kpis["reps"]]  # r1 closes: the last step is its own
    assert len(hours) == 3
    assert sum(hours) == pytest.approx(res.kpis["roles"]["r1"]["tasks"] * 1.0 * (40 / 38 - 1), rel=1e-2)


def _pods(grow: bool):
    sc = sim.load_scenario(SCENARIOS / ("pods_grow_in_place.yaml" if grow else "pods_split_coordinated.yaml"),
                           ["horizon_weeks=40", "pods.fission.maturity.min_age_days=60",
                            "pods.fission.maturity.min_member_tenure_days=0", "pods.fission.max_pods=4"])
    return sim.simulate(sc, seed=2, record="kpis").kpis


def test_growing_in_place_hires_into_the_pod_instead_of_founding_one():
    grow, split = _pods(True), _pods(False)
    assert len(split["pods"]) > 2 and len(split["pod_genealogy"]) == len(split["pods"]) - 2
    assert [p["name"] for p in grow["pods"]] == ["smb_pod", "mid_pod"] and not grow["pod_genealogy"]
    seats = {p["name"]: sum(p["headcount_end"].values()) for p in grow["pods"]}
    assert seats["smb_pod"] > 3  # grown from 3 seats by hires of 2 SDRs and an AE


def test_grow_in_place_needs_the_demand_trigger():
    with pytest.raises(ScenarioError, match="mature_and_demand"):
        sim.load_scenario(SCENARIOS / "pods_grow_in_place.yaml", ["pods.fission.policy=by_slice"])
