"""Quota attainment per selling role and year, checked by hand on the event log."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.errors import ScenarioError
from tests.conftest import SCENARIOS, build, chain

QUOTA = 400_000.0


@pytest.fixture(scope="module")
def run():
    scenario = sim.load_scenario(SCENARIOS / "small_team.yaml",
                                 [f"roles.ae.quota_usd_per_year={QUOTA}", "horizon_weeks=78",
                                  "roles.ae.headcount=2"])  # two AEs, as the hand count below
    return sim.simulate(scenario, seed=3, record="events")


def test_attainment_is_bookings_over_pro_rata_quota(run):
    ev = run.events
    ae = run.kpis["quota_attainment"]["ae"]
    assert [p["period"] for p in ae] == ["year_1", "year_2"]
    assert ae[1]["weeks"] == pytest.approx(78 - 365.25 / 7, abs=0.01)
    won = ev[(ev["event"] == "won") & (ev["role"] == "ae")]
    for y, period in enumerate(ae):
        a, b = y * 365.25, min((y + 1) * 365.25, 78 * 7)
        in_year = won[(won["t_days"] >= a) & (won["t_days"] < b)]
        by_rep = in_year.groupby("rep")["value_usd"].sum()
        hand = [by_rep.get(rep, 0.0) / (QUOTA * (b - a) / 365.25) for rep in (0, 1)]
        assert period["reps"] == 2
        assert period["attainment"] == pytest.approx(hand, abs=1e-4)
        assert period["share_at_quota"] == pytest.approx(np.mean(np.array(hand) >= 1))
        assert period["median"] == pytest.approx(np.median(hand), abs=1e-4)


def test_kpi_only_recording_gives_the_same_attainment(run):
    lean = sim.simulate(run.scenario, seed=3, record="kpis")
    assert lean.kpis["quota_attainment"] == run.kpis["quota_attainment"]
    assert lean.facts.rep_bookings_by_year == pytest.approx(run.facts.rep_bookings_by_year)


def test_a_higher_quota_lowers_attainment(run):
    doubled = sim.load_scenario(SCENARIOS / "small_team.yaml",
                                [f"roles.ae.quota_usd_per_year={2 * QUOTA}", "horizon_weeks=78",
                                 "roles.ae.headcount=2"])
    k = sim.simulate(doubled, seed=3, record="kpis").kpis["quota_attainment"]["ae"]
    for base, high in zip(run.kpis["quota_attainment"]["ae"], k, strict=True):
        assert high["attainment"] == pytest.approx([x / 2 for x in base["attainment"]], abs=1e-4)


def test_reps_present_part_of_a_year_get_a_pro_rata_quota():
    scenario = sim.load_scenario(SCENARIOS / "small_team.yaml",
                                 [f"roles.ae.quota_usd_per_year={QUOTA}", "roles.ae.headcount=2"])
    roles = dict(scenario.roles)
    roles["ae"] = roles["ae"].model_copy(update={"people": None})  # no attrition: rep 2 is the hire
    wm = scenario.work_model  # (managers act on reps with a people section: not on these AEs)
    wm = wm.model_copy(update={"managers": wm.managers.model_copy(update={"manages": ["mdr", "sdr"]})})
    scenario = scenario.model_copy(update={"roles": roles, "work_model": wm, "timeline": [
        sim.scenario.schema.Event(week=26, action="hire", role="ae")]})
    r = sim.simulate(scenario, seed=3, record="events")
    year = r.kpis["quota_attainment"]["ae"][0]
    assert year["reps"] == 3  # the hire was present 26 of 52 weeks: counted, at half a quota
    ev = r.events
    hired = ev[(ev["event"] == "won") & (ev["role"] == "ae") & (ev["rep"] == 2)]["value_usd"].sum()
    assert year["attainment"][2] == pytest.approx(hired / (QUOTA * (364 - 26 * 7) / 365.25), abs=1e-4)


def test_no_quota_no_attainment():
    scenario = build(chain([0.5], headcount=[1], work_hours=[1.0]))
    assert sim.simulate(scenario, seed=1, weeks=4, record="kpis").kpis["quota_attainment"] == {}


def test_a_quota_on_a_role_that_does_not_close_is_refused():
    with pytest.raises(ScenarioError, match=r"roles.mdr.quota_usd_per_year: a bookings quota needs a role that "
                                            r"closes deals"):
        sim.load_scenario(SCENARIOS / "small_team.yaml", ["roles.mdr.quota_usd_per_year=100000"])
