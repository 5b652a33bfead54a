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
