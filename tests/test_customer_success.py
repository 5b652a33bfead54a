"""Customer success that grows accounts (``customer_success``): account health
from time to value and CSM attention, acting on renewal, contraction and
CSM-sourced expansion both ways. Each expectation is checked by hand on a
small case and fails with the section removed (the load-only model)."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.model.health import AT_RISK, HEALTHY, NEUTRAL, HealthModel
from sim.model.rng import Streams
from sim.model.vocab import AccountKind
from sim.scenario.success_spec import CustomerSuccess
from tests.conftest import SCENARIOS, build, chain
from tests.test_revenue import _customers, _world

K = AccountKind


def _no_am(**kw) -> dict:
    """The small post-sale case of test_revenue, without an account manager."""
    data = _customers(onb_churn=0.0, **kw)
    del data["roles"]["am"]
    data["post_sale"]["am_role"] = None
    return data


def _count(f, kind) -> int:
    return int((f.accounts["kind"] == int(kind)).sum())


def test_health_model_by_hand():
    """Defaults: onboarding score at 60 days to value is halfway from (30, 1) to
    (90, 0.5) = 0.75; attention at a book load of 1.25 is halfway from (1, 1) to
    (1.5, 0.5) = 0.75; health = 0.4 x 0.75 + 0.6 x 0.75 = 0.75 (healthy, >= 0.7);
    renewal x (0.95 + 0.5 x 0.13) = 1.015; contraction x 0.75."""
    hm = HealthModel(CustomerSuccess(), ["only"], Streams(1))
    onb = hm.onboarding_score(60.0)
    att = hm.attention(True, True, 1.25)
    assert onb == pytest.approx(0.75) and att == pytest.approx(0.75)
    h = hm.health(onb, att)
    assert h == pytest.approx(0.75)
    assert hm.band(h) == HEALTHY and hm.band(0.5) == NEUTRAL and hm.band(0.39) == AT_RISK
    assert hm.renewal_multiplier(h) == pytest.approx(1.015)
    assert hm.contraction_multiplier(h) == pytest.approx(0.75)
    assert hm.attention(False, False) == 0.5  # tech touch
    assert hm.attention(True, False) == 0.0  # needs a CSM, none
    assert hm.attention(True, True, done_share=0.8) == 0.8  # an owner's check-ins


def test_a_healthy_book_renews_above_the_base_rate():
    """Tech-touch accounts with full attention and fast onboarding have health 1:
    renewal odds 0.85 x 1.08 = 0.918 instead of 0.85 without the section."""
    data = _no_am(renewal=0.85)
    data["customer_success"] = {"health": {"tech_touch_attention": 1.0},
                                "expansion": {"opportunities_per_year": 0.0}}
    _, f = _world(build(data), seed=2, weeks=160)
    renewed, churned = _count(f, K.RENEWED), _count(f, K.CHURNED)
    n = renewed + churned
    assert n > 1500
    rate, se = renewed / n, np.sqrt(0.918 * 0.082 / n)
    assert abs(rate - 0.918) < 4 * se, rate
    assert _count(f, K.HEALTHY) == n  # every renewal assessed healthy
    del data["customer_success"]
    _, off = _world(build(data), seed=2, weeks=160)
    n0 = _count(off, K.RENEWED) + _count(off, K.CHURNED)
    assert abs(_count(off, K.RENEWED) / n0 - 0.85) < 4 * np.sqrt(0.85 * 0.15 / n0)
    assert _count(off, K.HEALTHY) == 0


def test_csm_sourced_expansion_without_an_account_manager():
    """No AM: at full health 2 chances a year, each won with 0.5 and adding 10%
    of ACV, so account-years x 2 x 0.5 wins are expected (Poisson); without the
    section an organization without an AM never expands."""
    data = _no_am(renewal=1.0)
    data["customer_success"] = {"health": {"tech_touch_attention": 1.0},
                                "expansion": {"opportunities_per_year": 2.0, "conversion_probability": 0.5,
                                              "acv_increase_fraction": 0.1, "elapsed_days": 0}}
    world, f = _world(build(data), seed=4, weeks=104)
    a = f.accounts
    live = a["t"][a["kind"] == int(K.LIVE)]
    years = float(np.sum(104 * 7.0 - live)) / 365.25  # renewal 1.0: every account stays live
    expected = years * 2 * 0.5
    won = _count(f, K.EXPANDED_CSM)
    assert abs(won - expected) < 4 * np.sqrt(expected), (won, expected)
    assert won + _count(f, K.EXPANSION_LOST) == pytest.approx(years * 2, abs=4 * np.sqrt(years * 2))
    grown = a["arr_delta"][a["kind"] == int(K.EXPANDED_CSM)] / a["acv"][a["kind"] == int(K.EXPANDED_CSM)]
    assert np.allclose(grown, 0.1 / 1.1)  # +10% of ACV before the expansion
    del data["customer_success"]
    _, off = _world(build(data), seed=4, weeks=104)
    assert _count(off, K.EXPANDED_CSM) == 0 and _count(off, K.EXPANDED) == 0


def test_an_overloaded_csm_book_puts_accounts_at_risk():
    """One CSM of 40 h a week and accounts needing 20 h a month each: after a few
    weeks the book's load passes 3, attention is 0, and with onboarding weight 0.3
    health is 0.3 x 1 = 0.3 (at risk): renewal x (0.7 + 0.3/0.5 x 0.25) = 0.85,
    and CSM-sourced chances arise 0.3/0.5 x 0.3 = 18% of the time instead of all
    of it. With ample CSMs (unlimited) the same accounts are healthy."""
    def run(csm_heads):
        data = _no_am(renewal=1.0, csm_heads=csm_heads, csm_hours=20.0)
        data["customer_success"] = {"health": {"onboarding_weight": 0.3},
                                    "expansion": {"opportunities_per_year": 2.0, "conversion_probability": 1.0,
                                                  "elapsed_days": 0}}
        return _world(build(data), seed=5, weeks=110)[1]
    busy, ample = run(1), run(None)
    assert _count(busy, K.AT_RISK) > 0.95 * (_count(busy, K.AT_RISK) + _count(busy, K.HEALTHY)
                                             + _count(busy, K.NEUTRAL))
    assert _count(ample, K.HEALTHY) == _count(ample, K.RENEWED) + _count(ample, K.CHURNED) > 0
    renewed, churned = _count(busy, K.RENEWED), _count(busy, K.CHURNED)
    assert abs(renewed / (renewed + churned) - 0.85) < 4 * np.sqrt(0.85 * 0.15 / (renewed + churned)) + 0.01
    assert _count(ample, K.CHURNED) == 0  # 1.0 x 1.08 renews surely
    assert _count(busy, K.EXPANDED_CSM) < 0.4 * _count(ample, K.EXPANDED_CSM)


def test_slow_time_to_value_lowers_health():
    """Onboarding that takes 200 days scores 0.2 (the curve's last point); with
    the default weight 0.4 and full attention health is 0.4 x 0.2 + 0.6 = 0.68:
    neutral, where a 7-day onboarding is healthy (1.0)."""
    data = _no_am(renewal=1.0)
    data["segments"]["only"]["customer"]["onboarding"]["elapsed_days"] = 200
    data["customer_success"] = {"health": {"tech_touch_attention": 1.0}, "expansion": {"opportunities_per_year": 0}}
    _, f = _world(build(data), seed=6, weeks=120)
    assert _count(f, K.NEUTRAL) > 0 and _count(f, K.HEALTHY) == 0


def test_pods_without_an_am_reach_nrr_above_100_through_customer_success():
    """The shipped POD scenario has CSMs with room and no AM: NRR passes 100% on
    average over seeds; without the section NRR stays below (GRR plus the tiers' 3% price
    uplift at renewal, no expansion)."""
    base = sim.load_scenario(SCENARIOS / "pods_customer_success.yaml")
    assert base.post_sale.am_role is None
    on = [sim.simulate(base, seed=s, record="kpis").kpis for s in (1, 2, 3)]
    assert np.mean([k["nrr_trailing_12m"] for k in on]) > 1.0
    assert all(k["roles"]["csm"]["utilization"] < 1.0 for k in on)
    assert all(k["expansion_by_source_usd"]["customer_success"] > 0 for k in on)
    assert all(k["account_health"]["assessments"] > 0 for k in on)
    off = sim.simulate(base.model_copy(update={"customer_success": None}), seed=1, record="kpis").kpis
    assert off["grr_trailing_12m"] < off["nrr_trailing_12m"] < 1.0
    assert "account_health" not in off and off["expansion_by_source_usd"]["customer_success"] == 0


def test_handing_csm_expansion_to_an_am_needs_one():
    data = _no_am()
    data["customer_success"] = {"expansion": {"closed_by": "am"}}
    with pytest.raises(sim.ScenarioError, match="am_role"):
        build(data)


def _seller_who_onboards(policy):
    """One rep closes (4 h a deal, 12 leads a week, half won) and onboards the
    6 customers a week they win (8 h each): 96 h of work a week for a 40-hour rep."""
    data = chain([0.5], rate_per_week=12, headcount=[1], work_hours=[4.0], hours_per_week=40.0)
    data["roles"]["r1"]["owns_leads"] = True
    data["win_rate_from"] = "s0"  # the step into s1 is deal work ("closing" in the time policy)
    data["segments"]["only"]["customer"] = {"onboarding": {"work_hours": 8.0, "elapsed_days": 0}}
    data["post_sale"] = {"onboarding_role": "r1"}
    if policy is not None:
        data["onboarding_policy"] = policy
    return build(data)


def _waits(f) -> tuple[int, float]:
    """(customers onboarded, median days from signature to the onboarding start)."""
    a = f.accounts
    signed = {int(x): t for x, t, k in zip(a["account"], a["t"], a["kind"], strict=True) if k == int(K.SIGNED)}
    waits = [t - signed[int(x)] for x, t, k in zip(a["account"], a["t"], a["kind"], strict=True)
             if k == int(K.ONBOARDING_STARTED)]
    return len(waits), float(np.median(waits)) if waits else float("inf")


def test_onboarding_policy_for_a_seller_who_onboards():
    """Closing first (today's default), the rep's deal work fills the week and
    signed customers wait; onboarding first, a new customer waits at most for
    the task in hand (4 h of work = 0.7 days at 40 h a week); with a reserved
    share of 25%, the onboarding work the rep started is 25% of their time since
    the first customer (the backlog never empties), give or take one task."""
    weeks = 30
    _, close = _world(_seller_who_onboards(None), seed=1, weeks=weeks)
    _, close2 = _world(_seller_who_onboards({"priority": "close_first"}), seed=1, weeks=weeks)
    _, first = _world(_seller_who_onboards({"priority": "onboard_first"}), seed=1, weeks=weeks)
    w, share = _world(_seller_who_onboards({"priority": "reserved_share", "reserved_share": 0.25}), seed=1,
                      weeks=weeks)
    n_close, wait_close = _waits(close)
    assert _waits(close2) == (n_close, wait_close)  # close_first is what the default time policy does
    n_first, wait_first = _waits(first)
    assert wait_first <= 4 * 7 / 40 + 1e-6 and n_first > 2 * n_close
    pol = w.accounts.onb_policy
    days = weeks * 7.0 - pol.since[0]
    task = 8 * 7 / 40  # one onboarding in days of the rep's time
    assert abs(pol.used[0] / days - 0.25) <= task / days + 1e-9, pol.used[0] / days
    n_share, _ = _waits(share)
    assert n_close < n_share < n_first
