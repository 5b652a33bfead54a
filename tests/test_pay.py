"""Pay and who leaves (issue 22), checked by hand.

Commission: one closer with a quota of $100k and $10k of variable pay at
target (10 cents a dollar), an accelerator of 2 above quota and a cap at
150%: deals of exactly $10k pay $1,000 each up to the 10th win, $2,000 each
for the 11th to 15th and nothing after.

Leaving: reps who never win (0% attainment) are low attainers; with a base
attrition of 1 a year and a low multiplier of 3, the share still there after
12 monthly checks is exp(-3 x 360 / 365.25) = 5.2%, against exp(-1 x 364 /
365.25) = 37% with memoryless attrition.
"""

from __future__ import annotations

import math

import pytest

import sim
from sim.errors import ScenarioError
from sim.model.pay import Ledger
from sim.scenario.work_model import CompPlan
from tests.conftest import build, chain


def test_the_plan_pays_the_rate_then_the_accelerator_then_nothing():
    ledger = Ledger(CompPlan(variable_at_target_usd=10_000, accelerator=2.0, cap_attainment=1.5), 100_000)
    paid = [ledger.commission(0, 10_000, 10.0 + i) for i in range(20)]
    assert paid == [1000.0] * 10 + [2000.0] * 5 + [0.0] * 5
    # a deal across the quota line: 5k below at the rate, 5k above accelerated
    ledger = Ledger(CompPlan(variable_at_target_usd=10_000, accelerator=2.0), 100_000)
    assert ledger.commission(1, 95_000, 1.0) == pytest.approx(9_500)
    assert ledger.commission(1, 10_000, 2.0) == pytest.approx(500 + 1_000)
    assert ledger.commission(1, 10_000, 400.0) == pytest.approx(1_000)  # a new plan year starts at zero


def _closer(p=1.0, rate=0.5, headcount=1, **work_model):
    d = chain([p], work_hours=0.0, headcount=headcount, hours_per_week=40.0, rate_per_week=rate)
    d["roles"]["r1"]["quota_usd_per_year"] = 100_000
    d["roles"]["r1"]["people"] = {}
    if work_model:
        d["work_model"] = work_model
    return d


def test_commission_cost_follows_the_plan():
    plan = {"r1": {"variable_at_target_usd": 10_000, "accelerator": 2.0, "cap_attainment": 1.5}}
    res = sim.simulate(build(_closer(pay=plan), horizon_weeks=52), seed=1)
    wins = res.kpis["leads_won"]
    assert wins > 15  # past the cap
    expected = 1000 * 10 + 2000 * 5
    assert res.kpis["costs"]["commissions_usd"] == pytest.approx(expected)
    assert res.kpis["reps"][0]["commission_usd"] == pytest.approx(expected)
    assert res.kpis["reps"][0]["attainment"] == pytest.approx(wins * 10_000 / (100_000 * 364 / 365.25), rel=1e-3)
    # without the plan: no commission at all (the role's commission_rate is 0)
    assert sim.simulate(build(_closer(), horizon_weeks=52), seed=1).kpis["costs"]["commissions_usd"] == 0


@pytest.mark.parametrize("leaving, expected", [(True, math.exp(-3 * 360 / 365.25)), (False, math.exp(-364 / 365.25))])
def test_low_attainers_leave_more(leaving, expected):
    n = 400
    d = _closer(p=0.0, rate=1.0, headcount=n, pay={"r1": {"variable_at_target_usd": 10_000}})
    d["roles"]["r1"]["people"] = {"attrition_per_year": 1.0, "backfill": False}
    if leaving:
        d["work_model"]["leaving"] = {"low_multiplier": 3.0, "min_tenure_days": 0, "check_every_days": 30}
    res = sim.simulate(build(d, horizon_weeks=52), seed=7, record="kpis")
    left = len(res.kpis["departures"])
    stayed = (n - left) / n
    assert abs(stayed - expected) < 4 * math.sqrt(expected * (1 - expected) / n)
    if leaving:
        bands = [r["leaving_band"] for r in res.kpis["reps"] if r["left_days"] is not None]
        assert bands and set(bands) == {"low"}


def test_departures_by_attainment_in_the_summary():
    from sim.report.summary import summary

    d = _closer(p=0.0, rate=1.0, headcount=20, pay={"r1": {"variable_at_target_usd": 10_000}},
                leaving={"low_multiplier": 3.0, "min_tenure_days": 0})
    d["roles"]["r1"]["people"] = {"attrition_per_year": 1.0}
    res = sim.simulate(build(d, horizon_weeks=52), seed=7)
    text = summary(res.kpis)
    assert "leavers by attainment" in text and "low" in text.split("leavers by attainment")[1][:80]


def test_pay_checks():
    with pytest.raises(ScenarioError, match="quota"):
        d = _closer(pay={"r1": {"variable_at_target_usd": 1}})
        del d["roles"]["r1"]["quota_usd_per_year"]
        build(d)
    with pytest.raises(ScenarioError, match="commission_rate"):
        d = _closer(pay={"r1": {"variable_at_target_usd": 1}})
        d["roles"]["r1"]["commission_rate"] = 0.1
        build(d)
    with pytest.raises(ScenarioError, match="attrition"):
        build(_closer(pay={"r1": {"variable_at_target_usd": 1}}, leaving={}))


@pytest.mark.parametrize("top, expected", [(3.0, math.exp(-3 * 360 / 365.25)), (1.0, math.exp(-360 / 365.25))])
def test_top_performers_leave_more(top, expected):
    """Every rep wins every month (leads dealt round-robin, quota $1k a year): all are
    top performers; with a top multiplier of 3 the share left after 12 checks is
    exp(-3 x 360 / 365.25) = 5.2%, with 1 it is 37%."""
    n = 100
    d = _closer(p=1.0, rate=500.0, headcount=n, pay={"r1": {"variable_at_target_usd": 100}},
                leaving={"top_multiplier": top, "low_multiplier": 1.0, "min_tenure_days": 0})
    d["roles"]["r1"].update(quota_usd_per_year=1000, owns_leads=True, routing="round_robin", max_open_per_rep=1000)
    d["roles"]["r1"]["people"] = {"attrition_per_year": 1.0, "backfill": False}
    res = sim.simulate(build(d, horizon_weeks=52), seed=3, record="kpis")
    stayed = (n - len(res.kpis["departures"])) / n
    assert abs(stayed - expected) < 4 * math.sqrt(expected * (1 - expected) / n)
    bands = [r["leaving_band"] for r in res.kpis["reps"] if r["left_days"] is not None]
    assert set(bands) == {"top"}


@pytest.mark.parametrize("window, clawed", [(90.0, True), (7.0, False), (None, False)])
def test_commission_of_a_logo_that_cancels_inside_the_window_is_clawed_back(window, clawed):
    """Every deal of $10k pays $1,000 (10 cents a dollar, far below quota); half the
    customers cancel at go-live 14 days after the win. With a 90-day window each
    cancellation takes its $1,000 back; with 7 days (or none) nothing comes back."""
    plan = {"r1": {"variable_at_target_usd": 100_000, **({"clawback_days": window} if window else {})}}
    d = _closer(p=1.0, rate=2.0, pay=plan)
    d["roles"]["r1"]["quota_usd_per_year"] = 1_000_000
    d["segments"]["only"]["customer"] = {"onboarding": {"elapsed_days": 14, "churn_probability": 0.5}}
    k = sim.simulate(build(d, horizon_weeks=52), seed=2, record="kpis").kpis
    wins, cancelled = k["leads_won"], k["onboarding_churned"]
    assert wins > 50 and 0.3 * wins < cancelled < 0.7 * wins
    back = 1000.0 * cancelled if clawed else 0.0
    assert k["costs"]["commission_clawbacks_usd"] == pytest.approx(back)
    assert k["costs"]["commissions_usd"] == pytest.approx(1000.0 * wins - back)
    assert k["reps"][0]["commission_usd"] == pytest.approx(1000.0 * wins - back)
    if window:
        assert k["reps"][0]["clawback_usd"] == pytest.approx(back)


@pytest.mark.parametrize("credit", [True, False])
def test_a_clawback_takes_the_quota_credit_back_too(credit):
    """As above ($10k deals, half the customers cancel 14 days after the win, a
    90-day window): with ``clawback_takes_credit`` each cancellation also takes
    its $10k out of the rep's quota credit, so the rep's attainment counts only
    the customers who stayed: (wins - cancelled) x $10k / ($1M x 364 / 365.25);
    without it, every win counts."""
    plan = {"r1": {"variable_at_target_usd": 100_000, "clawback_days": 90.0, "clawback_takes_credit": credit}}
    d = _closer(p=1.0, rate=2.0, pay=plan)
    d["roles"]["r1"]["quota_usd_per_year"] = 1_000_000
    d["segments"]["only"]["customer"] = {"onboarding": {"elapsed_days": 14, "churn_probability": 0.5}}
    k = sim.simulate(build(d, horizon_weeks=52), seed=2, record="kpis").kpis
    wins, cancelled = k["leads_won"], k["onboarding_churned"]
    assert wins > 50 and 0.3 * wins < cancelled < 0.7 * wins
    kept = wins - cancelled if credit else wins
    assert k["reps"][0]["attainment"] == pytest.approx(kept * 10_000 / (1_000_000 * 364 / 365.25), rel=1e-3)
    assert k["reps"][0].get("clawback_credit_usd", 0.0) == pytest.approx(10_000.0 * cancelled if credit else 0.0)
    # and the quota attainment KPI of the year (52 weeks: 364 days of it) counts the same
    year = k["quota_attainment"]["r1"][0]
    assert year["attainment"][0] == pytest.approx(kept * 10_000 / (1_000_000 * 364 / 365.25), rel=1e-3)


def test_clawed_back_credit_moves_the_accelerator():
    """$10k deals, quota $100k, accelerator 2: the 11th win is accelerated. When
    the 3rd deal's $10k of credit is taken back, the 11th win is still below
    quota (paid at the rate) and the 12th is accelerated."""
    ledger = Ledger(CompPlan(variable_at_target_usd=10_000, accelerator=2.0, clawback_days=90,
                             clawback_takes_credit=True), 100_000)
    paid = [ledger.commission(0, 10_000, 1.0 + i) for i in range(10)]
    ledger.ytd[0] -= 10_000  # what Pay.account_ended does for one clawed-back deal in the plan year
    paid += [ledger.commission(0, 10_000, 20.0 + i) for i in range(2)]
    assert paid == [1000.0] * 11 + [2000.0]


def test_attainment_driven_departures_see_the_clawed_back_credit():
    """Reps who win three $10k deals a week (quota $400k: 3.9x) but whose customers
    all cancel 3 days later: with the credit taken back they attain only what is
    still inside those 3 days (under 0.5) and leave as low attainers (x3);
    without it they are top performers (multiplier 1). Judged from day 60."""
    n = 100
    out = {}
    for credit in (True, False):
        plan = {"r1": {"variable_at_target_usd": 100, "clawback_days": 90.0, "clawback_takes_credit": credit}}
        d = _closer(p=1.0, rate=300.0, headcount=n, pay=plan,
                    leaving={"low_multiplier": 3.0, "top_multiplier": 1.0, "min_tenure_days": 60})
        d["roles"]["r1"].update(quota_usd_per_year=400_000, owns_leads=True, routing="round_robin",
                                max_open_per_rep=1000)
        d["roles"]["r1"]["people"] = {"attrition_per_year": 1.0, "backfill": False}
        d["segments"]["only"]["customer"] = {"onboarding": {"elapsed_days": 3, "churn_probability": 1.0}}
        res = sim.simulate(build(d, horizon_weeks=52), seed=3, record="kpis")
        out[credit] = {r["leaving_band"] for r in res.kpis["reps"] if r["left_days"] is not None} - {""}
    assert out[True] == {"low"}
    assert out[False] == {"top"}


def test_base_pay_per_rep_is_the_base_for_the_days_in_the_seat():
    """``base_pay_usd``: the plan's base a year times the share of a year each rep sat in the
    run (hired before the start: from the start; left: to the departure). Without the plan's
    base the column is absent (nothing to report)."""
    d = _closer(pay={"r1": {"variable_at_target_usd": 10_000, "base_usd_per_year": 60_000}})
    d["roles"]["r1"]["loaded_cost_per_year_usd"] = 120_000
    d["roles"]["r1"]["people"] = {"attrition_per_year": 3.0, "hiring_lag_days": 10}
    reps = sim.simulate(build(d, horizon_weeks=52), seed=3).kpis["reps"]
    assert len(reps) > 2 and any(r["left_days"] is not None for r in reps)
    assert any(r["hired_days"] > 0 for r in reps)
    for r in reps:
        left = 364.0 if r["left_days"] is None else r["left_days"]
        days = max(0.0, left - max(r["hired_days"], 0.0))
        assert r["base_pay_usd"] == pytest.approx(60_000 * days / 365.25, abs=1.0), r
    # one seat, backfilled after each departure: never more than a seat-year's base, less the vacancies
    year = 60_000 * 364 / 365.25
    assert 0.8 * year < sum(r["base_pay_usd"] for r in reps) <= year + 1.0
    no_base = _closer(pay={"r1": {"variable_at_target_usd": 10_000}})
    assert "base_pay_usd" not in sim.simulate(build(no_base, horizon_weeks=52), seed=3).kpis["reps"][0]
