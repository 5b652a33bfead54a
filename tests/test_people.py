"""Organization structures and people: mechanism tests under common random numbers.

No test asserts which organization wins in general; each checks that a
mechanism moves results the way its definition says, or that the two
structures are indistinguishable where no mechanism separates them."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import sim
from sim.metrics.people_kpis import gini, top_share
from tests.conftest import SCENARIOS, build, chain

INVERTED = SCENARIOS / "inverted_triangle.yaml"
UPRIGHT = SCENARIOS / "upright_triangle.yaml"


def test_gini_and_top_share():
    assert gini(np.array([1.0, 1.0, 1.0, 1.0])) == pytest.approx(0.0)
    assert gini(np.array([0.0, 0.0, 0.0, 4.0])) == pytest.approx(0.75)  # n-1/n for one holder
    assert top_share(np.array([1.0] * 10)) == pytest.approx(0.2)
    assert top_share(np.array([10.0, 0.0, 0.0, 0.0, 0.0])) == pytest.approx(1.0)


def _structures(generalist: bool, headcount: int = 4, unlimited: bool = False, **people):
    """The same market worked by one generalist role or by two specialist roles."""
    data = chain([0.5, 0.4, 0.6], rate_per_week=40, headcount=None, work_hours=[0.5, 2.0, 3.0],
                 elapsed_days={"dist": "exponential", "mean": 3.0})
    data["post_sale"] = {"enabled": False}
    spec = {"unlimited_capacity": True} if unlimited else {
        "headcount": headcount, "hours_per_week": 40, "owns_leads": True, "max_open_per_rep": 40,
        "people": {"skill": 1.0, **people}}
    if generalist:
        data["roles"] = {"rep": spec}
        data["steps"] = {s: {"role": "rep"} for s in ("s1", "s2", "s3")}
    else:
        half = dict(spec, headcount=headcount // 2) if not unlimited else spec
        data["roles"] = {"sdr": half, "ae": copy.deepcopy(half)}
        data["steps"] = {"s1": {"role": "sdr"}, "s2": {"role": "ae"}, "s3": {"role": "ae"}}
    return build(data, horizon_weeks=40)


def test_without_capacity_limits_the_structures_are_identical():
    """Zero skill variance, zero hand-off cost, no attrition and no queues: nothing
    separates the structures, so with the same random numbers every lead ends
    the same way."""
    gen = sim.simulate(_structures(True, unlimited=True), seed=3).leads
    spec = sim.simulate(_structures(False, unlimited=True), seed=3).leads
    assert len(gen) > 1000
    assert gen.outcome.equals(spec.outcome)
    assert np.allclose(gen.booked_usd, spec.booked_usd)


def test_with_capacity_the_difference_is_the_allocation():
    """Same reps, same skills, no hand-off cost: the generalists pool all hours,
    the specialists split them 2+2, so only queueing differs - and the
    structure with the shorter waits converts no fewer leads (no decay here, so
    outcomes differ only by what is still in the queues at the end)."""
    gen = sim.simulate(_structures(True), seed=4, record="kpis").kpis
    spec = sim.simulate(_structures(False), seed=4, record="kpis").kpis
    def wait(k):  # mean queue wait per task, over all the structure's tasks
        roles = k["roles"].values()
        return sum(r["mean_wait_hours"] * r["tasks"] for r in roles) / sum(r["tasks"] for r in roles)

    assert gen["leads_created"] == spec["leads_created"]
    # every lead that finished converted on the same draws: resolved outcomes only differ by timing
    done = lambda k: k["leads_won"] + k["leads_lost"]  # noqa: E731
    assert abs(done(gen) - done(spec)) <= gen["leads_open"] + spec["leads_open"]
    assert gen["leads_won"] / done(gen) == pytest.approx(spec["leads_won"] / done(spec), abs=0.02)
    # pooling 4 reps beats splitting them 2 + 2 (Erlang C), and the shorter waits convert no fewer leads
    assert wait(gen) < 0.9 * wait(spec)
    assert gen["leads_won"] >= spec["leads_won"] and gen["leads_open"] <= spec["leads_open"]


def _top_leaves(path, seed):
    """(ARR lost vs the same run without the departure, what the leaver held)."""
    data = sim.load_scenario(path).model_dump(by_alias=True)
    for role in data["roles"].values():
        if role.get("people"):
            role["people"]["attrition_per_year"] = 0.0
    base = sim.validate_data(data)
    closer = "rep" if "rep" in data["roles"] else "ae"
    data["timeline"] = [{"week": 52, "action": "rep_leaves", "role": closer, "rep": "top"}]
    hit = sim.validate_data(data)
    a = sim.simulate(base, seed=seed, record="kpis").kpis
    b = sim.simulate(hit, seed=seed, record="kpis").kpis
    (left,) = b["departures"]
    return (a["arr_end_usd"] - b["arr_end_usd"]) / a["arr_end_usd"], left


def test_losing_the_top_performer_hurts_the_generalists_more():
    """A star generalist leaves with deals *and* the accounts they keep; a star AE
    in the upright organization holds deals only (accounts sit with the CSM)."""
    seeds = range(4)
    inverted = [_top_leaves(INVERTED, s) for s in seeds]
    upright = [_top_leaves(UPRIGHT, s) for s in seeds]
    assert all(held["arr_usd"] > 0 for _, held in inverted)
    assert all(held["arr_usd"] == 0 for _, held in upright)
    exposure = lambda runs: np.mean([h["arr_usd"] + h["pipeline_usd"] for _, h in runs])  # noqa: E731
    assert exposure(inverted) > exposure(upright)
    assert np.mean([loss for loss, _ in inverted]) > 0.02  # and the loss is real


def test_shorter_ramp_raises_early_bookings():
    def early_bookings(ramp_days):
        data = copy.deepcopy(_structures(True, headcount=2, ramp_days=ramp_days, ramp_start=0.2)
                             .model_dump(by_alias=True))
        data["timeline"] = [{"week": 4, "action": "hire", "role": "rep", "count": 4}]
        k = sim.simulate(sim.validate_data(data), seed=5, weeks=20)
        w = k.weekly
        return w.bookings_usd[(w.week >= 4) & (w.week < 20)].sum()
    assert early_bookings(30) > early_bookings(200)


def test_heavier_skill_tail_raises_the_top_share():
    def share(alpha):
        data = sim.load_scenario(INVERTED).model_dump(by_alias=True)
        data["roles"]["rep"]["headcount"] = 12
        data["roles"]["rep"]["people"]["skill"] = {"dist": "pareto", "alpha": alpha,
                                                    "minimum": (alpha - 1) / alpha}  # mean 1
        data["roles"]["rep"]["people"]["attrition_per_year"] = 0.0
        s = sim.validate_data(data)
        return np.mean([sim.simulate(s, seed=k, weeks=52, record="kpis").kpis["top20_bookings_share"]
                        for k in range(3)])
    assert share(1.3) > share(6.0)


def test_attrition_backfill_and_conservation():
    scenario = sim.load_scenario(INVERTED)
    result = sim.simulate(scenario, seed=6)
    k = result.kpis
    assert k["leads_created"] == k["leads_won"] + k["leads_lost"] + k["leads_open"]
    for row in k["stages"][:-1]:
        assert row["entered"] == row["moved_on"] + row["lost"] + row["open"], row["stage"]
    left = [r for r in k["reps"] if r["left_days"] is not None]
    assert k["departures"] and len(left) == len(k["departures"])
    heads = scenario.roles["rep"].headcount
    assert len(k["reps"]) == heads + len(left)  # every leaver was backfilled (60-day lag, 3 years)
    assert k["leads_lost_by_reason"]["owner_left"] > 0
    # the people table agrees with the event log: each rep's wins
    leads = result.leads
    assert sum(r["wins"] for r in k["reps"]) == (leads.outcome == "won").sum()


def test_timeline_market_shock_and_price_change():
    data = chain([1.0], rate_per_week=200, headcount=None)
    data["timeline"] = [
        {"week": 4, "action": "market_shock", "source": "web", "rate_multiplier": 0.25, "weeks": 4},
        {"week": 10, "action": "price_change", "price_multiplier": 2.0},
    ]
    result = sim.simulate(build(data, horizon_weeks=14), seed=7)
    w = result.weekly
    before, during, after = w.created[:4].mean(), w.created[4:8].mean(), w.created[8:10].mean()
    assert during < 0.4 * before and after > 0.8 * before
    acv = result.leads.set_index("created_days").acv_list_usd
    assert (acv[acv.index >= 70] == 20_000).all() and (acv[acv.index < 70] == 10_000).all()
    kinds = set(result.facts.timeline["kind"].tolist())
    assert {2, 3, 5} <= kinds  # shock, shock over, price change recorded


def test_playbooks_and_data_loop_are_mechanisms():
    """Playbooks shrink the skill spread; the data loop lifts the weakest stage."""
    def spread(playbooks):
        data = sim.load_scenario(INVERTED).model_dump(by_alias=True)
        data["roles"]["rep"]["people"]["attrition_per_year"] = 0.0
        data["process"] = {"playbooks": {"skill_spread_multiplier": 0.2}} if playbooks else {}
        k = sim.simulate(sim.validate_data(data), seed=8, weeks=52, record="kpis").kpis
        return k["rep_bookings_gini"]
    assert spread(True) < spread(False)

    data = chain([0.3, 0.6], rate_per_week=100, headcount=None)
    data["process"] = {"data_driven": {"period_days": 14, "lift_fraction": 0.05, "max_lift": 0.2,
                                       "benchmark": {"s1": 0.5, "s2": 0.6}}}
    result = sim.simulate(build(data, horizon_weeks=30), seed=9)
    lifts = result.facts.timeline
    lifted = lifts["stage"][lifts["kind"] == 6]
    # s1 is far below its benchmark: it is lifted first, until its cap; only then s2
    first_s2 = np.flatnonzero(lifted == 2)
    assert (lifted[:4] == 1).all()
    assert len(first_s2) == 0 or (lifted[first_s2[0]:] == 2).all()
    boosts = lifts["lift"][lifts["kind"] == 6]
    assert boosts[lifted == 1].max() == pytest.approx(1.2)  # capped at +20%


def test_utilization_and_headcount_follow_hires():
    """Capacity counts seats from a hire's first day: four SDRs hired at once make a team
    of the scenario's SDRs plus four whose utilization cannot exceed 100%."""
    data = sim.load_scenario(SCENARIOS / "small_team.yaml").model_dump(by_alias=True)
    team = data["roles"]["sdr"]["headcount"] + 4
    data["sources"]["website"]["rate_per_week"] = 40 * team
    data["timeline"] = [{"week": 0, "action": "hire", "role": "sdr", "count": 4}]
    data["roles"]["sdr"]["people"] = None  # no attrition: the team is exactly the hires
    # every hour a deal hour: a saturated role under the work model's split week reads a little above
    # 100% (an open gap, see test_cli), which is not what this test is about
    data["work_model"] = None
    k = sim.simulate(sim.validate_data(data), seed=1, weeks=26, record="kpis").kpis
    sdr = k["roles"]["sdr"]
    assert sdr["headcount"] == team
    # busy (the MDR upstream paces them), and at most 100%: measured against the two seats the run
    # started with, the same hours would read team / 2 times higher, far above 100%
    assert 0.3 < sdr["utilization"] <= 1.0 + 1e-9
    assert sdr["utilization"] * team / (team - 4) > 1.0
    assert k["arr_per_head_by_role_usd"]["sdr"] == pytest.approx(k["arr_end_usd"] / team, abs=0.01)
