"""What a leaver takes follows what they worked on (issue 22), checked by hand.

One rep owns every lead and works each of its steps; the last step waits 50
days after its task, and the rep leaves (no backfill) on day 28, so every lead
created before then is waiting when its owner goes. With ``loss_per_task``
0.2 a lead whose owner did 1 task goes with them with chance 0.2, one they
did 3 tasks on with 1 - 0.8^3 = 48.8%; the old constant
(``lose_open_deals_probability``) loses the same share whatever they did.
"""

from __future__ import annotations

import math

import pytest

import sim
from tests.conftest import build


def _owned(n_steps, *, leavers=None, constant=0.0):
    stages = [f"s{i}" for i in range(n_steps + 1)]
    steps = {s: {"role": "r1"} for s in stages[1:]}
    seg_steps = {s: {"conversion_probability": 1.0, "work_hours": 0.0, "elapsed_days": 0.0} for s in stages[1:]}
    seg_steps[stages[-1]]["elapsed_days"] = 50.0
    d = {
        "name": "owned", "horizon_weeks": 20, "stages": stages, "steps": steps, "win_rate_from": "s0",
        "roles": {"r1": {"headcount": 1, "owns_leads": True, "hours_per_week": 40.0,
                         "people": {"backfill": False, "lose_open_deals_probability": constant}}},
        "segments": {"only": {"acv_usd": 10000, "steps": seg_steps}},
        "sources": {"web": {"kind": "inbound", "entry_stage": "s0", "rate_per_week": 100.0,
                            "segment_mix": {"only": 1.0}}},
        "timeline": [{"week": 4, "action": "rep_leaves", "role": "r1", "rep": 0}],
    }
    if leavers is not None:
        d["work_model"] = {"leavers": leavers}
    return d


def _share_lost(data):
    k = sim.simulate(build(data), seed=5, record="kpis").kpis
    lost, won = k["leads_lost_by_reason"].get("owner_left", 0), k["leads_won"]
    return lost / (lost + won), lost + won


@pytest.mark.parametrize("n_steps, expected", [(1, 0.2), (3, 1 - 0.8 ** 3)])
def test_a_leaver_takes_the_leads_they_worked_on(n_steps, expected):
    share, n = _share_lost(_owned(n_steps, leavers={"loss_per_task": 0.2}, constant=0.9))
    assert n > 300
    assert abs(share - expected) < 4 * math.sqrt(expected * (1 - expected) / n)


@pytest.mark.parametrize("n_steps", [1, 3])
def test_without_it_the_role_constant_applies(n_steps):
    share, n = _share_lost(_owned(n_steps, constant=0.3))
    assert abs(share - 0.3) < 4 * math.sqrt(0.3 * 0.7 / n)


def test_the_chance_by_hand():
    from sim.model.people import Staff
    from sim.model.rng import Streams
    from sim.scenario.people_spec import People, Process

    staff = Staff("r1", People(lose_open_deals_probability=0.25), 2, Streams(1), Process())
    assert staff.lose_p(0) == staff.lose_p(5) == 0.25
    staff.loss_per_task = 0.1
    assert staff.lose_p(0) == 0.0
    assert staff.lose_p(1) == pytest.approx(0.1)
    assert staff.lose_p(4) == pytest.approx(1 - 0.9 ** 4)
