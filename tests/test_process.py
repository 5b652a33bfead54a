"""The process layer acts on the model and carries a price.

``process.tools`` used to be validated and documented but read by no model
code; these tests pin that it scales the work time of exactly the roles and
steps it names, and that every lever's price reaches costs and CAC.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

import sim
from sim.errors import ScenarioError
from tests.conftest import SCENARIOS, build, chain

YEAR = 365.25


def _chain(process=None, **kw):
    data = chain([0.8, 0.8, 0.8], work_hours=[2.0, 3.0, 4.0], headcount=None, **kw)
    if process:
        data["process"] = process
    return data


def _work(result, role):
    ev = result.events
    return ev[(ev.event == "work") & (ev.role == role)].set_index("lead")["work_days"]


def test_tools_scale_the_work_time_of_the_roles_and_steps_they_name():
    base = sim.simulate(build(_chain(), horizon_weeks=4), seed=3)
    tools = sim.simulate(build(_chain({"tools": {"work_hours_multiplier": 0.5, "roles": ["r2", "r3"],
                                                 "steps": ["s2"]}}), horizon_weeks=4), seed=3)
    # unlimited capacity: the same leads reach s2 in the same order with the same draws;
    # only r2's step s2 is covered
    for role, factor in (("r1", 1.0), ("r2", 0.5)):
        a, b = _work(base, role), _work(tools, role)
        common = a.index.intersection(b.index)
        assert len(common) > 100 and np.allclose(b.loc[common], factor * a.loc[common])
    # r3 is named but its step s3 is not: its work time is unchanged (same distribution)
    assert _work(tools, "r3").mean() / _work(base, "r3").mean() == pytest.approx(1.0, abs=0.1)


def test_tools_move_a_capacity_bound_funnel():
    # without a work model the tools multiply task hours
    sc = sim.load_scenario(SCENARIOS / "upright_triangle.yaml", ["horizon_weeks=20", "work_model=null"])
    won = {m: sim.simulate(sc.model_copy(update={"process": sc.process.model_copy(update={
        "tools": sc.process.tools.model_copy(update={"work_hours_multiplier": m})})}), seed=5,
        record="kpis").kpis["leads_won"] for m in (0.1, 1.0)}
    assert won[0.1] > 1.3 * won[1.0]
    # with one (the shipped upright triangle) they cut admin hours, which become deal hours
    cut = {c: sim.simulate(sim.load_scenario(SCENARIOS / "upright_triangle.yaml", [
        "horizon_weeks=30", f"work_model.tools_admin_cut={c}"]), seed=5, record="kpis").kpis["leads_won"]
        for c in (0.0, 1.0)}
    assert cut[1.0] > 1.3 * cut[0.0]


def test_every_lever_has_a_price_that_reaches_costs_and_cac():
    """r1 has 2 seats, r2 1, r3 unlimited (no seats), 52 weeks = 364 days.
    tools: 365.25 a seat-year on r1 -> 2 x 364 = 728; enablement: flat 36,525 a
    year + one ops person at 73,050 -> (36,525 + 73,050) x 364 / 365.25 = 109,200."""
    data = _chain({"tools": {"roles": ["r1"], "cost_per_year_usd": 365.25},
                   "enablement": {"cost_basis": "flat", "cost_per_year_usd": 36_525, "ops_headcount": 1,
                                  "ops_loaded_cost_per_year_usd": 73_050},
                   "playbooks": {}})
    data["roles"]["r1"] = {"headcount": 2, "hours_per_week": 168}
    data["roles"]["r2"] = {"headcount": 1, "hours_per_week": 168}
    k = sim.simulate(build(data, horizon_weeks=52), seed=1, record="kpis").kpis
    c = k["costs"]
    assert c["process_by_lever_usd"] == {"tools": pytest.approx(728.0), "enablement": pytest.approx(109_200.0)}
    assert c["process_usd"] == pytest.approx(109_928.0)
    assert c["total_usd"] == pytest.approx(c["process_usd"] + c["marketing_usd"] + c["commissions_usd"])
    assert k["cac_usd"] == pytest.approx(c["acquisition_usd"] / k["new_logos"], abs=0.01)
    free = sim.simulate(build(_chain({"tools": {"roles": ["r1"]}}), horizon_weeks=52), seed=1, record="kpis").kpis
    assert free["costs"]["process_usd"] == 0.0 and k["cac_usd"] > free["cac_usd"]


def test_a_retention_role_carries_its_share_of_a_per_seat_price():
    data = copy.deepcopy(_chain({"tools": {"cost_per_year_usd": 365.25, "roles": ["am"]}}))
    data["roles"]["am"] = {"headcount": 3, "hours_per_week": 40}
    data["post_sale"] = {"am_role": "am"}
    k = sim.simulate(build(data, horizon_weeks=52), seed=1, record="kpis").kpis
    assert k["costs"]["process_usd"] == pytest.approx(3 * 364.0)
    assert k["costs"]["retention_usd"] == pytest.approx(3 * 364.0)
    assert k["costs"]["acquisition_usd"] == pytest.approx(0.0)


@pytest.mark.parametrize("key,value,message", [
    ("roles", ["nobody"], "nobody"), ("steps", ["nowhere"], "nowhere")])
def test_tools_must_name_existing_roles_and_steps(key, value, message):
    with pytest.raises(ScenarioError, match=message):
        build(_chain({"tools": {key: value}}))


def _lifts(result) -> list[int]:
    """The stage of each lift, in time order."""
    from sim.model.vocab import TimelineKind
    tl = result.facts.timeline
    m = tl["kind"] == int(TimelineKind.PROCESS_LIFT)
    return tl["stage"][m][np.argsort(tl["t"][m], kind="stable")].tolist()


def test_the_data_loop_diagnoses_the_stage_by_its_own_conversion():
    """s1 converts at 0.5 against a benchmark of 0.45 but loses many leads to an
    SLA (a slow SDR); s2 converts at 0.5 against a benchmark of 0.6. Only s2 is
    below its benchmark, so the lifts go to s2 until it is at its cap; counting
    SLA losses as failed conversions would put s1 at ~0.55 of its benchmark and
    spend the lifts there first."""
    data = chain([0.5, 0.5], rate_per_week=40, headcount=[1, None], work_hours=[2.0, 0.0], hours_per_week=40)
    data["steps"]["s1"]["sla_hours"] = 4
    data["process"] = {"data_driven": {"period_days": 7, "min_observations": 30, "lift_fraction": 0.02,
                                       "max_lift": 0.3, "benchmark": {"s1": 0.45, "s2": 0.6}}}
    r = sim.simulate(build(data, horizon_weeks=52), seed=2)
    assert r.kpis["leads_lost_by_reason"]["sla"] > 300
    lifts = _lifts(r)
    assert len(lifts) >= 10 and lifts[:10] == [2] * 10, lifts
