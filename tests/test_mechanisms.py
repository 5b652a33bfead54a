"""Engine mechanisms, each isolated in a small scenario and checked against what
its definition says must happen."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from scipy import stats

import sim
from sim.model.rng import Streams
from sim.model.setup import RunSetup
from sim.model.world import World
from sim.records import Tally
from tests.conftest import build, chain


def _two_step(rate_per_week=140, **step1):
    """s0 -> s1 (role r1, one rep) -> s2 (role r2, unlimited); default load 1.75 (overloaded)."""
    data = chain([0.5, 0.6], rate_per_week=rate_per_week, headcount=[1, None],
                 work_hours=[{"dist": "exponential", "mean": 0.5}, 0.0], hours_per_week=40)
    data["steps"]["s1"].update(step1)
    return data


def test_sla_loses_only_leads_that_waited_past_it():
    data = _two_step(sla_hours=4)
    result = sim.simulate(build(data, horizon_weeks=12), seed=1)
    ev, k = result.events, result.kpis
    assert k["lost_to_sla"] > 20  # one overloaded rep: the SLA must bite
    lost = ev[ev.event == "lost_sla"]
    assert (lost.dwell_days >= 4 / 24 - 1e-9).all()
    started = ev[(ev.event == "work") & (ev.stage == "s1")]
    assert (started.wait_days <= 4 / 24 + 1e-9).all()  # nobody starts work after the SLA
    # with capacity to spare nobody is lost
    data["roles"]["r1"] = {"unlimited_capacity": True}
    assert sim.simulate(build(data, horizon_weeks=12), seed=1).kpis["lost_to_sla"] == 0


def test_speed_to_lead_curve_applies_to_the_wait():
    """A step curve: leads picked up within 1 h convert at p, later ones never."""
    data = _two_step(rate_per_week=64, speed_to_lead=True)  # load 0.8
    data["speed_to_lead"] = {"curve_hours": [[0, 1.0], [1, 1.0], [1.01, 0.0]]}
    result = sim.simulate(build(data, horizon_weeks=12), seed=2)
    ev = result.events
    work = ev[(ev.event == "work") & (ev.stage == "s1")].set_index("lead")
    leads = result.leads.set_index("lead").loc[work.index]
    moved = leads.outcome_stage.cat.codes >= 1
    late = work.wait_days * 24 > 1.01
    early = work.wait_days * 24 < 1.0
    assert late.sum() > 50 and early.sum() > 50
    assert not (moved & late).any()
    k, n = int((moved & early).sum()), int(early.sum())
    assert stats.binomtest(k, n, 0.5).pvalue > 0.001


def test_handoff_leakage_rate_and_delay():
    data = _two_step()
    data["roles"]["r1"] = {"unlimited_capacity": True}
    data["handoff"] = {"leakage_probability": 0.2, "delay_days": 3}
    result = sim.simulate(build(data, horizon_weeks=20), seed=3)
    leads = result.leads
    handed = leads[(leads.outcome_stage.cat.codes >= 1) & (leads.outcome != "open")]
    k = int((handed.outcome == "lost_handoff").sum())
    assert stats.binomtest(k, len(handed), 0.2).pvalue > 0.001
    ev = result.events
    # the step after the hand-off cannot finish sooner than the delay after s1 was reached
    reached = ev[(ev.event == "advance") & (ev.stage == "s1")].set_index("lead").t_days
    after = ev[(ev.event == "advance") & (ev.stage == "s2")].set_index("lead").t_days
    assert ((after - reached.loc[after.index]) >= 3 - 1e-9).all()


def test_owner_limit_is_never_exceeded():
    data = copy.deepcopy(chain([0.9, 0.5], rate_per_week=60, headcount=[None, 3],
                               work_hours=[0, 2], elapsed_days={"dist": "exponential", "mean": 10}))
    data["roles"]["r2"].update(owns_leads=True, max_open_per_rep=4, routing="round_robin")
    scenario = build(data, horizon_weeks=20)
    setup = RunSetup.of(scenario, 140.0)
    rec = Tally(setup.layout)
    world = World(setup, Streams(0), rec)
    role = world.roles["r2"]
    seen = []

    def probe():
        while True:
            seen.append(list(role.open))
            yield world.env.timeout(0.25)

    world.env.process(probe())
    world.run()
    opens = np.array(seen)
    assert opens.max() == 4  # the cap is reached (demand exceeds it) ...
    assert (opens <= 4).all()  # ... and never passed
    assert len(role.waiting) > 0  # leads queue for a rep with room
    # every owned slot belongs to a lead in the role's stages (s1 waiting or working)
    assert opens[-1].sum() <= rec.samples.final_wip[1]


def test_outbound_market_is_finite_and_cools_off(small_team):
    data = small_team.model_dump(by_alias=True)
    del data["sources"]["website"]
    data["sources"]["cold_outreach"]["accounts"] = {"smb": 150, "mid_market": 50}
    data["sources"]["cold_outreach"]["cooling_off_days"] = 10_000
    once = sim.simulate(sim.validate_data(data), seed=1, weeks=52).kpis
    assert once["leads_created"] == 200  # every account worked once, none returns
    data["sources"]["cold_outreach"]["cooling_off_days"] = 30
    again = sim.simulate(sim.validate_data(data), seed=1, weeks=52).kpis
    assert again["leads_created"] > 300  # the "no"s come back after cooling off
    # won accounts never come back: leads <= accounts + losses that had time to cool off
    assert again["leads_created"] <= 200 + again["leads_lost"]


def test_value_exchange_trades_discount_for_win_rate(small_team):
    data = small_team.model_dump(by_alias=True)
    base = sim.simulate(sim.validate_data(data), seed=6, weeks=52).kpis
    for g in data["segments"]:
        data["segments"][g]["value_exchange"] = {"discount_multiplier": 0.6,
                                                 "win_probability_multiplier": 1.0}
    same_wins = sim.simulate(sim.validate_data(data), seed=6, weeks=52).kpis
    # common random numbers: same winners, each discount exactly 0.6 of before
    assert same_wins["leads_won"] == base["leads_won"]
    assert same_wins["average_discount_fraction"] == pytest.approx(
        0.6 * base["average_discount_fraction"], abs=2e-4)
    for g in data["segments"]:
        data["segments"][g]["value_exchange"]["win_probability_multiplier"] = 0.5
    fewer = sim.simulate(sim.validate_data(data), seed=6, weeks=52).kpis
    assert fewer["leads_won"] < base["leads_won"]


def test_seasonality_shapes_inbound_volume():
    """Thinning from the peak rate: a month's volume is proportional to its profile
    value (here 0, 0.5, 1 and 1.5 in four quarters), not just on or off."""
    data = chain([0.5], rate_per_week=300, headcount=None)
    profile = [0.0] * 3 + [0.5] * 3 + [1.0] * 3 + [1.5] * 3
    data["sources"]["web"]["seasonality_monthly"] = profile
    result = sim.simulate(build(data, horizon_weeks=52 * 2), seed=7)
    created = result.leads.created_days.to_numpy()
    month = ((created % 365.25) // (365.25 / 12)).astype(int)
    quarter = np.bincount(month // 3, minlength=4)
    assert quarter[0] == 0
    n = quarter.sum()
    for q, level in ((1, 0.5), (2, 1.0), (3, 1.5)):
        expected = level / 3.0  # share of the non-zero quarters' volume
        assert stats.binomtest(int(quarter[q]), int(n), expected).pvalue > 0.001, (q, quarter)
    # and the total matches the configured mean rate (profile mean 0.75)
    mean = 300 / 7 * 0.75 * 7 * 104
    assert stats.poisson.cdf(n, mean) > 0.0005 and stats.poisson.sf(n, mean) > 0.0005


def test_an_inbound_trend_compounds_the_rate_from_day_0():
    """``trend_per_year: 1`` doubles the rate a year: over two years the second year brings twice the
    first (hand check: 100 a week x 52.18 x (2 - 1) / ln 2 = 7,528 in year one, 15,056 in year two);
    without the key the two years are alike and the draws are the old ones."""
    data = chain([0.5], rate_per_week=100, headcount=None)
    flat = sim.simulate(build(copy.deepcopy(data), horizon_weeks=52.18 * 2), seed=4)
    data["sources"]["web"]["trend_per_year"] = 1.0
    grown = sim.simulate(build(data, horizon_weeks=52.18 * 2), seed=4)
    years = np.bincount((grown.leads.created_days.to_numpy() // 365.25).astype(int), minlength=2)[:2]
    for y, hand in ((0, 100 * 365.25 / 7 / np.log(2)), (1, 2 * 100 * 365.25 / 7 / np.log(2))):
        assert stats.poisson.cdf(years[y], hand) > 0.0005 and stats.poisson.sf(years[y], hand) > 0.0005, years
    f = np.bincount((flat.leads.created_days.to_numpy() // 365.25).astype(int), minlength=2)[:2]
    assert abs(f[1] - f[0]) < 4 * np.sqrt(f.sum()), f
    del data["sources"]["web"]["trend_per_year"]
    again = sim.simulate(build(data, horizon_weeks=52.18 * 2), seed=4)
    assert again.kpis == flat.kpis


@pytest.mark.parametrize("routing", ["round_robin", "least_loaded", "random"])
def test_routing_spreads_leads_over_reps(routing):
    data = chain([1.0], rate_per_week=70, headcount=[4], work_hours=1, hours_per_week=40,
                 elapsed_days=5)
    data["roles"]["r1"].update(owns_leads=True, routing=routing)
    result = sim.simulate(build(data, horizon_weeks=30), seed=8)
    work = result.events[result.events.event == "work"]
    counts = np.bincount(work.rep.to_numpy(), minlength=4)
    assert counts.min() > 0.15 * counts.sum()
    if routing == "round_robin":
        assert counts.max() - counts.min() <= 1


def test_unlimited_capacity_means_no_waiting():
    result = sim.simulate(build(chain([0.5, 0.5], rate_per_week=500, work_hours=3), horizon_weeks=4),
                          seed=1)
    ev = result.events
    assert (ev[ev.event == "work"].wait_days == 0).all()
    assert result.kpis["roles"]["r1"]["utilization"] is None
