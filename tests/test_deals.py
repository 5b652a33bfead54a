"""Deals that respond (``deals``): a discount that buys wins along an
elasticity, a deal-desk cap, and reps behind quota pulling decisions into the
quarter's last weeks with an extra discount. Each expectation is worked out by
hand on a one-step funnel; without the section the discount is drawn at the
win, independent of it and of the date, which fails them."""

from __future__ import annotations

import math

import numpy as np
import pytest

import sim
from sim.model.people import odds_scale
from tests.conftest import SCENARIOS, build, chain


def _one_step(discount, deals=None, p=0.5, elapsed=0.0, weeks=52, rate=400):
    data = chain([p], rate_per_week=rate, elapsed_days=elapsed)
    data["segments"]["only"]["discount_fraction"] = discount
    data["post_sale"] = {"enabled": False}
    if deals is not None:
        data["deals"] = deals
    return build(data, horizon_weeks=weeks)


def test_a_deeper_discount_buys_wins_along_the_elasticity():
    """Discount uniform on [0, 0.4] (mean 0.2), elasticity 5: a deal with
    discount d closes with odds x exp(5 (d - 0.2)); the win rate is the mean of
    odds_scale(0.5, .) over d, and the wins lean to deeper discounts (their mean
    discount is the d-weighted mean). Without the section: 0.5 and 0.2."""
    d = (np.arange(4000) + 0.5) / 4000 * 0.4
    p = np.array([odds_scale(0.5, math.exp(5 * (x - 0.2))) for x in d])
    win, disc = p.mean(), (p * d).sum() / p.sum()
    k = sim.simulate(_one_step({"dist": "uniform", "low": 0, "high": 0.4}, {"discount_elasticity": 5}), seed=1,
                     record="kpis").kpis
    n = k["leads_won"] + k["leads_lost"]
    assert abs(k["stages"][0]["conversion"] - win) < 4 * math.sqrt(win * (1 - win) / n)
    assert k["average_discount_fraction"] == pytest.approx(disc, abs=0.006)
    assert disc > 0.21
    off = sim.simulate(_one_step({"dist": "uniform", "low": 0, "high": 0.4}), seed=1, record="kpis").kpis
    assert abs(off["stages"][0]["conversion"] - 0.5) < 4 * math.sqrt(0.25 / n)
    assert off["average_discount_fraction"] == pytest.approx(0.2, abs=0.006)


def test_the_deal_desk_caps_the_discount():
    """A 40% ask against a 25% cap books at 25%; with no elasticity the odds stay."""
    k = sim.simulate(_one_step(0.4, {"discount_elasticity": 0, "deal_desk_cap": {"only": 0.25}}), seed=2,
                     record="kpis").kpis
    assert k["average_discount_fraction"] == pytest.approx(0.25)


def test_reps_behind_quota_pull_decisions_into_the_quarter():
    """Every decision takes 20 days; the role has no quota, so every rep pushes,
    always (13 weeks of pressure, pull probability 1, a 30-day window). A deal
    whose decision would cross a quarter's end (day 91, 182...) is decided on
    day end - 0.5 instead, with 5 points more discount: so after each quarter's
    first end nothing is won in the quarter's first 20 days (weeks 13-14 of
    the run: days 91-105), and week 12 holds 20 days of wins."""
    deals = {"discount_elasticity": 0,
             "quarter_end": {"last_weeks": 13, "window_days": 30, "pull_probability": 1.0, "extra_discount": 0.05}}
    r = sim.simulate(_one_step(0.1, deals, p=1.0, elapsed=20.0), seed=3)
    wins = r.weekly["won"].to_numpy()
    assert wins[13] == 0 and wins[14] == 0 and wins[26] == 0 and wins[27] == 0
    assert wins[12] > 2 * np.median(wins[2:12])
    disc = r.kpis["discount_by_week_of_quarter"]
    # week 12 (days 84-91): 7 days of deals decided in time at 10% and 20 days pulled in at 15%
    assert disc[12] == pytest.approx((7 * 0.1 + 20 * 0.15) / 27, abs=0.004) and disc[5] == pytest.approx(0.1)
    assert r.kpis["deals_pulled_into_quarter"] > 0
    assert r.kpis["quarter_end_share_of_bookings"] > 4 / 13 + 0.05
    off = sim.simulate(_one_step(0.1, None, p=1.0, elapsed=20.0), seed=3)
    assert off.weekly["won"].to_numpy()[13] > 0 and "deals_pulled_into_quarter" not in off.kpis


def test_a_rep_at_quota_does_not_push():
    """One rep with a quota of $1 a year has booked its quarter's $0.25 long before
    any decision could cross the quarter's end (its first win comes 20 days into
    each quarter, the crossing decisions start 20 days before its end): it never
    pushes. (A rep without a booking in the quarter would.)"""
    deals = {"quarter_end": {"last_weeks": 13, "window_days": 30, "pull_probability": 1.0}}
    data = chain([1.0], rate_per_week=100, elapsed_days=20.0, headcount=[1], work_hours=[0.1])
    data["post_sale"] = {"enabled": False}
    data["roles"]["r1"]["quota_usd_per_year"] = 1.0
    data["deals"] = deals
    k = sim.simulate(build(data, horizon_weeks=30), seed=4, record="kpis").kpis
    assert k["leads_won"] > 2000 and k["deals_pulled_into_quarter"] == 0


def test_the_shipped_quarter_end_scenario_bunches_bookings():
    """The last 4 of 13 weeks hold 4/13 = 0.31 of flat bookings; with the AEs'
    stretch quota and quarter-end pressure, clearly more."""
    base = sim.load_scenario(SCENARIOS / "variants" / "mid_size_quarter_end.yaml")
    on = sim.simulate(base, seed=1, record="kpis").kpis
    off = sim.simulate(base.model_copy(update={"deals": None}), seed=1, record="kpis").kpis
    assert on["quarter_end_share_of_bookings"] > off["quarter_end_share_of_bookings"] + 0.03
    assert on["deals_pulled_into_quarter"] > 20
