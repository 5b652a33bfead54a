"""Costs where they belong (issue 24): a role that both sells and serves is split between
acquisition, onboarding and retention by its task hours on each kind of work."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import sim
from tests.conftest import SCENARIOS
from tests.test_unit_economics import DAY_RATE, SIGNED, _book, _econ


def test_a_seller_who_serves_is_split_by_hours_by_hand():
    # 52 weeks, one seller seat and one AM seat at 1,000 a seat-day: 364,000 each.
    # The seller's task days: 60 on funnel steps, 10 onboarding, 30 on account care.
    f = _book(52, [(0.0, 0, 0, SIGNED, 0.0, 100.0)], retention=True)
    f = dataclasses.replace(f, busy_by_kind=np.array([[60.0, 10.0, 30.0], [0.0, 0.0, 5.0]]))
    k, _ = _econ(f)
    c = k["costs"]
    seller = 364 * DAY_RATE
    assert c["salaries_by_class_usd"]["acquisition"] == pytest.approx(0.6 * seller)
    assert c["salaries_by_class_usd"]["onboarding"] == pytest.approx(0.1 * seller)
    assert c["salaries_by_class_usd"]["retention"] == pytest.approx(0.3 * seller + seller)  # + the AM, in full
    assert c["acquisition_usd"] == pytest.approx(0.6 * seller)
    assert k["cac_usd"] == pytest.approx(0.6 * seller / 1)  # one new logo
    # the same records without hours by kind: the seller counts as acquisition in full (the old bookkeeping)
    old, _ = _econ(dataclasses.replace(f, busy_by_kind=np.zeros((0, 3))))
    assert old["costs"]["acquisition_usd"] == pytest.approx(seller)


def test_a_seller_with_only_funnel_hours_is_not_split():
    f = _book(52, [(0.0, 0, 0, SIGNED, 0.0, 100.0)], retention=True)
    f = dataclasses.replace(f, busy_by_kind=np.array([[60.0, 0.0, 0.0], [0.0, 0.0, 5.0]]))
    k, _ = _econ(f)
    assert k["costs"]["acquisition_usd"] == pytest.approx(364 * DAY_RATE)


def test_generalists_customer_work_leaves_cac():
    """inverted_triangle's generalists onboard and look after their customers: that share of their
    salaries is onboarding and retention, not CAC; every dollar is still counted once."""
    r = sim.simulate(sim.load_scenario(SCENARIOS / "inverted_triangle.yaml"), seed=1, weeks=60)
    hours = r.facts.busy_by_kind[r.facts.layout.roles.index("rep")]
    assert hours[0] > 0 and hours[1] > 0 and hours[2] > 0  # the recorder tells the kinds of work apart
    c = r.kpis["costs"]
    by = c["salaries_by_class_usd"]
    assert sum(by.values()) == pytest.approx(sum(c["salaries_by_role_usd"].values()), abs=0.05)
    share = hours / hours.sum()
    salary = c["salaries_by_role_usd"]["rep"]
    assert by["onboarding"] == pytest.approx(share[1] * salary, abs=0.05)
    assert by["retention"] == pytest.approx(share[2] * salary, abs=0.05)
    assert c["onboarding_usd"] > 0 and c["retention_usd"] > 0
    assert c["acquisition_usd"] + c["onboarding_usd"] + c["retention_usd"] == pytest.approx(c["total_usd"], abs=0.1)


def test_recruiting_and_marketing_programmes_by_hand():
    # 52 weeks (364 days); programmes of 365,250 a year accrue 1,000 a day; the seller role hires
    # twice (days 100 and 200) at 30,000 a hire; the AM role (retention) is not charged.
    f = _book(52, [(0.0, 0, 0, SIGNED, 0.0, 100.0)], hires=[100.0, 200.0], retention=True)
    f = dataclasses.replace(f, layout=dataclasses.replace(f.layout, marketing_programmes_usd_per_year=365_250.0,
                                                          recruiting_cost_usd=[30_000.0, 5_000.0]))
    k, weekly_cost = _econ(f)
    c = k["costs"]
    assert c["marketing_programmes_usd"] == pytest.approx(364_000.0)
    assert c["recruiting_usd"] == pytest.approx(60_000.0)
    base, _ = _econ(_book(52, [(0.0, 0, 0, SIGNED, 0.0, 100.0)], hires=[100.0, 200.0], retention=True))
    assert c["acquisition_usd"] - base["costs"]["acquisition_usd"] == pytest.approx(364_000.0 + 60_000.0)
    assert c["total_usd"] - base["costs"]["total_usd"] == pytest.approx(424_000.0)
    assert weekly_cost.sum() == pytest.approx(c["total_usd"], abs=0.05)
    assert k["cac_usd"] - base["cac_usd"] == pytest.approx(424_000.0)  # one new logo


def test_recruiting_and_programme_keys_are_wired():
    """Set in a scenario, each key moves the run's costs; switched off (0), they do not."""
    none = ["economics.marketing_programmes_usd_per_year=0", "roles.mdr.recruiting_cost_usd=0",
            "roles.sdr.recruiting_cost_usd=0", "roles.ae.recruiting_cost_usd=0"]  # (small_team sets them)
    sc = sim.load_scenario(SCENARIOS / "small_team.yaml", ["horizon_weeks=30", *none])
    off = sim.simulate(sc, seed=2).kpis["costs"]
    on_sc = sim.load_scenario(SCENARIOS / "small_team.yaml", [
        "horizon_weeks=30", *none, "economics.marketing_programmes_usd_per_year=365250",
        "roles.sdr.recruiting_cost_usd=20000", "roles.sdr.people.attrition_per_year=4",
        "roles.sdr.people.hiring_lag_days=5"])
    r = sim.simulate(on_sc, seed=2)
    on = r.kpis["costs"]
    hires = int((r.timeline["event"] == "rep_hired").sum() if len(r.timeline) else 0)
    assert off["marketing_programmes_usd"] == 0 and off["recruiting_usd"] == 0
    assert on["marketing_programmes_usd"] == pytest.approx(30 * 7 * 1000.0, rel=1e-6)
    assert hires > 0 and on["recruiting_usd"] == pytest.approx(20_000.0 * hires)
