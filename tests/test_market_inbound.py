"""Inbound leads drawn from the finite market (``market.inbound_from_market``),
checked by hand on a tiny market: one segment of N accounts on an outbound
list, worked by two AEs, and an inbound source of 20 leads a week in the same
segment. With the key on, every lead (inbound or outbound) is one of the N
accounts in conversation, so what happens to each account bounds the leads;
off, inbound arrives at its rate whatever the market holds."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from tests.conftest import build


def _scenario(p_win: float, n: int, market: dict | None, weeks: int = 30) -> sim.Scenario:
    data = {
        "name": "tiny_market", "horizon_weeks": weeks, "stages": ["target", "won"],
        "steps": {"won": {"role": "ae"}},
        "roles": {"ae": {"headcount": 2, "owns_leads": True, "max_open_per_rep": 3}},
        "segments": {"only": {"acv_usd": 10000,
                              "steps": {"won": {"conversion_probability": p_win, "elapsed_days": 2}},
                              "customer": {"onboarding": {"elapsed_days": 0}, "renewal": {"probability": 1.0}}}},
        "sources": {
            "list": {"kind": "outbound", "accounts": {"only": n}, "cooling_off_days": 10,
                     "attempts": {"max_attempts": 1, "connect_probability": 1.0, "days_between_attempts": 1}},
            "web": {"kind": "inbound", "rate_per_week": 20.0, "segment_mix": {"only": 1.0}},
        },
    }
    if market is not None:
        data["market"] = market
    return build(data)


def test_inbound_stops_when_every_account_is_a_customer():
    """Every lead wins and customers stay (renewal 1, 30 weeks): each of the 40
    accounts is exactly one lead, whichever source brought it, and then a
    customer. So 40 leads in all, 40 customers, the slice saturated, and the
    rest of the ~600 inbound arrivals do not arrive. Off: inbound arrives at its
    rate (about 600 leads)."""
    k = sim.simulate(_scenario(1.0, 40, {"inbound_from_market": True}), seed=1, record="kpis").kpis
    by = k["leads_created_by_source"]
    assert k["leads_created"] == 40 and by["web"] > 0 and by["list"] > 0
    m = k["market_penetration"]["only"]
    assert m["customers"] == 40 and m["saturated"] and m["inbound_leads"] == by["web"]
    assert 500 < k["inbound_not_arrived"]["only"] + by["web"] < 700  # the Poisson arrivals, 20 a week
    off = sim.simulate(_scenario(1.0, 40, {}), seed=1, record="kpis").kpis
    assert off["leads_created_by_source"]["web"] > 500 and "inbound_not_arrived" not in off
    assert "inbound_leads" not in off["market_penetration"]["only"]


def test_inbound_leads_wear_accounts_out_like_outbound_ones():
    """No lead wins; an account lost k times is worked again with 0.5^k (contact
    fatigue, as in test_market): each account is in 1 + 0.5 + 0.5 x 0.25 + ... =
    1.6416 conversations on average, whichever source starts them, and then it is
    exhausted: about 1.64 x 200 leads in all, then inbound stops. Off, inbound
    leads keep coming from accounts nobody tracks."""
    n = 200
    k = sim.simulate(_scenario(0.0, n, {"recontact_probability": 0.5, "inbound_from_market": True}, weeks=40),
                     seed=2, record="kpis").kpis
    expected = sum(np.prod([0.5 ** j for j in range(1, i + 1)]) for i in range(12))
    assert expected == pytest.approx(1.6416, abs=1e-4)
    assert abs(k["leads_created"] - n * expected) < 4 * np.sqrt(n * 0.6), k["leads_created"]
    m = k["market_penetration"]["only"]
    assert m["exhausted"] == n and m["saturated"] and m["inbound_leads"] > 50
    assert k["inbound_not_arrived"]["only"] > 100
    off = sim.simulate(_scenario(0.0, n, {"recontact_probability": 0.5}, weeks=40), seed=2, record="kpis").kpis
    assert off["leads_created_by_source"]["web"] > 700


def test_the_shipped_variant_counts_inbound_in_penetration_and_runs_out():
    """upright_triangle_inbound_market: inbound leads are the cold list's accounts,
    so the slice's penetration counts inbound wins (about four times the
    outbound-only figure) and the market runs out within the variant's four years:
    some inbound leads do not arrive, and the run summary says so."""
    from sim.report.summary import summary
    from tests.conftest import SCENARIOS

    on_s = sim.load_scenario(SCENARIOS / "variants" / "upright_triangle_inbound_market.yaml")
    on = sim.simulate(on_s, seed=1)
    off = sim.simulate(sim.load_scenario(SCENARIOS / "variants" / "upright_triangle_outbound_market.yaml"), seed=1,
                       record="kpis")
    m, m0 = on.kpis["market_penetration"]["mid_market"], off.kpis["market_penetration"]["mid_market"]
    assert m["inbound_leads"] == on.kpis["leads_created_by_source"]["website"]
    assert m["penetration"] > 2 * m0["penetration"] and m["available_share"] < 0.05 < m0["available_share"]
    assert on.kpis["inbound_not_arrived"]["mid_market"] > 0
    text = summary(on.kpis, on.weekly, on_s)
    assert "inbound leads came from it" in text and "did not arrive (no account left)" in text
