"""After the signature: customers who wait for onboarding, and accounts that end.

* Closing outranks onboarding for a busy team, so wins can pile up unserved:
  the KPIs, the summary and the weekly series report them, and a customer
  kept waiting may cancel while it waits (the onboarding-wait churn curve and
  an optional patience).
* A churned account has no ACV and no open opportunities: nothing is logged
  for it after the churn.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

import sim
from sim.metrics.onboarding_kpis import onboarding_kpis
from sim.model.vocab import AccountKind
from sim.report.summary import summary
from tests.conftest import SCENARIOS, build, chain
from tests.test_revenue import _facts_with_accounts

K = AccountKind
TINY = SCENARIOS / "variants" / "upright_triangle_tiny.yaml"


def test_signed_not_live_by_hand():
    """A: signed day 0, picked up day 10, live day 20 (100). B: signed day 5,
    never picked up (200). C: signed day 7, cancelled waiting on day 30 (50).
    D: signed day 8, picked up day 9, in implementation at the end (40).
    Horizon 70 days: not live B + D = 240; waiting B; waits 10, 65, 23, 1."""
    ev = [(0.0, 0, 0, int(K.SIGNED), 0.0, 100.0), (10.0, 0, 0, int(K.ONBOARDING_STARTED), 0.0, 100.0),
          (20.0, 0, 0, int(K.LIVE), 100.0, 100.0),
          (5.0, 1, 0, int(K.SIGNED), 0.0, 200.0),
          (7.0, 2, 0, int(K.SIGNED), 0.0, 50.0), (30.0, 2, 0, int(K.ONBOARDING_CHURN), 0.0, 0.0),
          (8.0, 3, 0, int(K.SIGNED), 0.0, 40.0), (9.0, 3, 0, int(K.ONBOARDING_STARTED), 0.0, 40.0)]
    k, weekly = onboarding_kpis(_facts_with_accounts(ev, horizon_days=70.0))
    assert k["arr_signed_not_live_usd"] == 240.0 and k["customers_signed_not_live"] == 2
    assert k["customers_waiting_onboarding"] == 1 and k["onboarding_cancelled_waiting"] == 1
    assert k["onboarding_wait_days"] == {"customers": 4, "mean": 24.75, "median": 16.5,
                                         "p90": pytest.approx(52.4), "max": 65.0}
    # week ends (days 7, 14, ...): A and B by day 7; C, D join; A goes live in week 2; C cancels in week 4
    assert weekly["arr_signed_not_live_usd"][:6].tolist() == [300.0, 390.0, 290.0, 290.0, 240.0, 240.0]
    assert weekly["customers_waiting_onboarding"][:6].tolist() == [2, 2, 2, 2, 1, 1]


def test_a_backlog_of_signed_customers_is_reported_and_printed():
    r = sim.simulate(sim.load_scenario(TINY), seed=2)
    k = r.kpis
    # one AE who closes first: most of the customers it signs are still waiting at the end
    assert k["customers_signed_not_live"] > 0.5 * k["new_logos"] and k["arr_signed_not_live_usd"] > 1e6
    went_live = int((r.facts.accounts["kind"] == int(K.LIVE)).sum())
    assert k["new_logos"] == went_live + k["onboarding_churned"] + k["customers_signed_not_live"]
    assert r.weekly["arr_signed_not_live_usd"].iloc[-1] == pytest.approx(k["arr_signed_not_live_usd"])
    assert r.weekly["customers_waiting_onboarding"].iloc[-1] == k["customers_waiting_onboarding"]
    text = summary(k)
    assert "Signed, not live yet" in text and f"{k['customers_signed_not_live']:,} customers" in text
    no_customers = build(chain([0.5]), post_sale={"enabled": False}, horizon_weeks=4)
    assert "Signed, not live" not in summary(sim.simulate(no_customers, seed=1, record="kpis").kpis)


def _slow_onboarding(**post):
    """Wins at once, one onboarding specialist who needs a week per customer."""
    data = chain([1.0], rate_per_week=5)
    data["segments"]["only"]["customer"] = {"onboarding": {"work_hours": 40, "elapsed_days": 5,
                                                           "churn_probability": 0.0}}
    data["roles"]["onb"] = {"headcount": 1, "hours_per_week": 40}
    data["post_sale"] = {"onboarding_role": "onb", **post}
    return build(data, horizon_weeks=40)


def test_the_wait_curve_acts_while_the_customer_waits():
    """A curve certain to lose a customer by 10 days of waiting: nobody waits
    longer, and every cancellation happens while waiting (not at go-live)."""
    k = sim.simulate(_slow_onboarding(onboarding_wait_churn_curve=[(0, 0.0), (10, 1.0)]), seed=1,
                     record="kpis").kpis
    assert k["onboarding_churned"] > 50
    assert k["onboarding_cancelled_waiting"] == k["onboarding_churned"]
    assert k["onboarding_wait_days"]["max"] <= 10.0 + 1e-9


@pytest.mark.parametrize("p", [1.0, 0.0])
def test_patience(p):
    flat = [(0, 0.0)]
    k = sim.simulate(_slow_onboarding(onboarding_wait_churn_curve=flat, onboarding_patience_days=30,
                                      onboarding_patience_cancel_probability=p), seed=1, record="kpis").kpis
    if p == 1.0:
        assert k["onboarding_cancelled_waiting"] > 50 and k["onboarding_wait_days"]["max"] <= 30.0 + 1e-9
    else:
        assert k["onboarding_cancelled_waiting"] == 0 and k["onboarding_wait_days"]["max"] > 100


def test_a_churned_account_has_no_events_after_its_churn():
    """The issue's reproducer: expansions wait for one AM long enough to outlive
    the account (renewal 0, signature start); none may be logged after the churn."""
    data = copy.deepcopy(chain([1.0], rate_per_week=3))
    data["segments"]["only"]["customer"] = {
        "renewal": {"probability": 0.0},
        "expansion": {"opportunities_per_year": 3, "conversion_probability": 0.5, "acv_increase_fraction": 0.1,
                      "work_hours": 40, "elapsed_days": 0, "expires_days": 200}}
    data["roles"]["am"] = {"headcount": 1, "hours_per_week": 40}
    data["post_sale"] = {"am_role": "am", "contract_start": "signature"}
    r = sim.simulate(build(data, horizon_weeks=104), seed=1)
    a = r.facts.accounts
    churn_at = {int(acc): t for acc, t, kind in zip(a["account"], a["t"], a["kind"], strict=True)
                if kind == int(K.CHURNED)}
    assert len(churn_at) > 100
    after = [(int(acc), int(kind)) for acc, t, kind in zip(a["account"], a["t"], a["kind"], strict=True)
             if int(acc) in churn_at and (t > churn_at[int(acc)] or (t == churn_at[int(acc)] and kind != int(K.CHURNED)
                                                                      and kind >= int(K.EXPANDED)))]
    assert not after, f"events after churn: {after[:5]}"
    expirations = a["kind"] == int(K.EXPANSION_EXPIRED)
    row = next(s for s in r.kpis["customer_stages"] if s["stage"] == "expansion")
    exp_kinds = np.isin(a["kind"], [int(K.EXPANDED), int(K.EXPANSION_LOST), int(K.EXPANSION_EXPIRED)])
    assert row["entered"] == int(exp_kinds.sum()) and expirations.sum() <= row["entered"]
