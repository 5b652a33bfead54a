"""A finite outbound market (``market``): accounts with a state, contact fatigue
and win-back. Each expectation is worked out by hand on a small list of
accounts; without the section lost accounts come back for ever and churned
customers never do, which fails them."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from tests.conftest import SCENARIOS, build


def _outbound(p_win: float, n: int = 400, market=None, renewal: float = 1.0, weeks: int = 104) -> sim.Scenario:
    """n accounts called by one unlimited role that owns its leads; one attempt
    that always connects, then one step won with ``p_win``; a 10-day cooling-off."""
    data = {
        "name": "finite", "horizon_weeks": weeks, "stages": ["target", "won"],
        "steps": {"won": {"role": "sdr"}},
        "roles": {"sdr": {"headcount": 50, "owns_leads": True, "max_open_per_rep": 100}},
        "segments": {"only": {"acv_usd": 10000, "steps": {"won": {"conversion_probability": p_win}},
                              "customer": {"onboarding": {"elapsed_days": 0}, "renewal": {"probability": renewal}}}},
        "sources": {"list": {"kind": "outbound", "accounts": {"only": n}, "cooling_off_days": 10,
                             "attempts": {"max_attempts": 1, "connect_probability": 1.0,
                                          "days_between_attempts": 1}}},
    }
    if market is not None:
        data["market"] = market
    return build(data)


def test_contact_fatigue_exhausts_a_slice():
    """Every lead is lost. With recontact 0.5 an account comes back after its
    k-th loss with 0.5^k, so it is worked 1 + 0.5 + 0.5 x 0.25 + 0.5 x 0.25 x
    0.125 + ... = 1.6416 times on average, then never again: the slice
    saturates. Without the section the 400 accounts come back every 10 days."""
    k = sim.simulate(_outbound(0.0, market={"recontact_probability": 0.5}), seed=1, record="kpis").kpis
    expected = sum(np.prod([0.5 ** j for j in range(1, i + 1)]) for i in range(12))
    assert expected == pytest.approx(1.6416, abs=1e-4)
    n = k["leads_created"]
    se = np.sqrt(400 * 0.6)  # the per-account count's variance is below its mean here
    assert abs(n - 400 * expected) < 4 * se, n
    m = k["market_penetration"]["only"]
    assert m["exhausted"] == 400 and m["saturated"] and m["available_share"] == 0 and m["touched_share"] == 1
    plain = sim.simulate(_outbound(0.0), seed=1, record="kpis").kpis
    assert plain["leads_created"] > 20 * 400 and "market_penetration" not in plain


def test_penetration_counts_the_accounts_won_and_its_weekly_series_ends_there():
    """Half the calls win; a lost account comes back with 0.8 then 0.64...: after
    the list is worked through, about 0.5 + 0.5 x 0.8 x 0.5 + ... of the accounts
    are customers. The weekly series is the running share and ends at the KPI."""
    r = sim.simulate(_outbound(0.5, market={"recontact_probability": 0.8}, weeks=30), seed=2)
    m = r.kpis["market_penetration"]["only"]
    p_lost_k = [np.prod([0.8 ** j for j in range(1, i + 1)]) * 0.5 ** i for i in range(15)]
    expected = 0.5 * sum(p_lost_k)
    assert abs(m["penetration"] - expected) < 4 * np.sqrt(expected * (1 - expected) / 400)
    assert m["ever_customers"] == m["customers"] == r.kpis["new_logos"]
    w = r.weekly["market_penetration_only"].to_numpy()
    assert np.all(np.diff(w) >= 0) and w[-1] == pytest.approx(m["penetration"])


@pytest.mark.parametrize("winback", [0.0, 1.0])
def test_churned_customers_are_won_back_with_the_winback_odds(winback):
    """Every call wins and nobody renews: each account churns a year after it is
    won. With win-back 1 it lines up again after the cooling-off and is won a
    second time (in a 100-week run, every account twice); with 0 it is exhausted."""
    k = sim.simulate(_outbound(1.0, n=100, renewal=0.0, weeks=100,
                               market={"winback_probability": winback}), seed=3, record="kpis").kpis
    m = k["market_penetration"]["only"]
    assert m["ever_customers"] == 100
    if winback:
        assert k["new_logos"] == 200 and m["exhausted"] == 0 and m["customers"] == 100
    else:
        assert k["new_logos"] == 100 and m["exhausted"] == 100 and m["saturated"]
    plain = sim.simulate(_outbound(1.0, n=100, renewal=0.0, weeks=100), seed=3, record="kpis").kpis
    assert plain["new_logos"] == 100  # without the section a churned customer is never approached again


def test_the_shipped_precision_pod_saturates_its_named_accounts():
    """pods_precision's precision POD owns 20 named accounts; with the market
    section the slice runs out within three years and the POD section says so."""
    s = sim.load_scenario(SCENARIOS / "variants" / "pods_precision_finite_market.yaml")
    r = sim.simulate(s, seed=1)
    m = r.kpis["market_penetration"]["mid_market"]
    assert m["accounts"] == 20 and m["saturated"]
    from sim.report.summary import summary
    text = summary(r.kpis, r.weekly, s)
    assert "market slice mid_market: 20 accounts" in text and "(saturated)" in text


def test_contact_fatigue_lowers_the_odds_of_an_account_lost_before():
    """Every lost account comes back (recontact 1), but its k-th call after k losses wins with 0.5 x 0.5^k:
    an account is ever won with 1 - prod_k (1 - 0.5^(k+1)) = 1 - 0.2888 = 0.711 (the product converges
    within the ~25 rounds of 40 weeks). With the multiplier at 1 (the odds as before) every account is
    won in the end."""
    fresh = 1 - np.prod([1 - 0.5 ** (k + 1) for k in range(60)])
    assert fresh == pytest.approx(0.7112, abs=1e-4)
    market = {"recontact_probability": 1.0, "recontact_conversion_multiplier": 0.5}
    m = sim.simulate(_outbound(0.5, market=market, weeks=40), seed=4, record="kpis").kpis["market_penetration"]["only"]
    assert abs(m["penetration"] - fresh) < 4 * np.sqrt(fresh * (1 - fresh) / 400), m["penetration"]
    same = sim.simulate(_outbound(0.5, market={"recontact_probability": 1.0}, weeks=40), seed=4,
                        record="kpis").kpis["market_penetration"]["only"]
    assert same["penetration"] > 0.99


def test_a_churned_customer_is_won_back_at_lower_odds():
    """Every first call wins and nobody renews: each of the 400 accounts churns a year after it is won and
    is prospected again (win-back 1); its first call then wins with 1.0 x 0.5, and a lost one is not called
    again (recontact 0). In 100 weeks: 400 first wins and about 200 win-backs (binomial, n = 400, 0.5);
    without the multiplier all 400 come back."""
    market = {"winback_probability": 1.0, "winback_conversion_multiplier": 0.5, "recontact_probability": 0.0}
    k = sim.simulate(_outbound(1.0, renewal=0.0, weeks=100, market=market), seed=5, record="kpis").kpis
    back = k["new_logos"] - 400
    assert abs(back - 200) < 4 * np.sqrt(400 * 0.25), back
    market["winback_conversion_multiplier"] = 1.0
    assert sim.simulate(_outbound(1.0, renewal=0.0, weeks=100, market=market), seed=5,
                        record="kpis").kpis["new_logos"] == 800
