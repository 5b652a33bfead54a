"""Unit economics against hand computations on small, hand-built records.

Every figure below is worked out by hand from the events written in the test
(no formula is re-derived from the code under test).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import sim
from sim.metrics.economics import economics_kpis
from sim.metrics.revenue import revenue_kpis
from sim.model.vocab import AccountKind, CostKind, TimelineKind
from tests.conftest import SCENARIOS
from tests.test_revenue import _facts_with_accounts

LIVE, EXP, CON, CHURN = (int(AccountKind.LIVE), int(AccountKind.EXPANDED), int(AccountKind.CONTRACTED),
                         int(AccountKind.CHURNED))
SIGNED = int(AccountKind.SIGNED)
DAY_RATE = 1000.0  # USD per seat-day: a loaded cost of 365,250 a year


def _book(weeks: int, account_events, *, costs=(), hires=(), retention=False):
    """Two roles, one seat each (``seller`` acquires, ``am`` retains), costing
    1,000 a seat-day; ``hires``: days on which the seller role adds a seat."""
    f = _facts_with_accounts(account_events, horizon_days=weeks * 7.0)
    layout = dataclasses.replace(f.layout, roles=["seller", "am"], headcount=[1, 1], unlimited=[False, False],
                                 role_cost_per_year=[DAY_RATE * 365.25] * 2, retention_roles=[1] if retention else [],
                                 gross_margin=0.5)
    c = list(zip(*costs, strict=True)) if costs else [[]] * 5
    cost_log = {k: np.array(v, dtype=float if k in ("t", "usd") else np.int64)
                for k, v in zip(("t", "kind", "role", "segment", "usd"), c, strict=True)}
    n = len(hires)
    timeline = {"t": np.array(hires, dtype=float), "kind": np.full(n, int(TimelineKind.REP_HIRED)),
                "role": np.zeros(n, dtype=np.int64), "rep": np.arange(n), "pipeline_usd": np.zeros(n),
                "arr_usd": np.zeros(n)}
    return dataclasses.replace(f, layout=layout, costs=cost_log, timeline=timeline,
                               busy_by_segment=np.zeros((2, 1)))


def _econ(f):
    _, weekly = revenue_kpis(f)
    return economics_kpis(f, weekly["arr_usd"])


def test_magic_number_uses_the_previous_years_dated_cost():
    """Three 52-week years (364 days each). ARR at year ends: 100, 150, 350.
    Costs: year 1 = 2 seats x 364 d x 1000 + a 8,000 commission = 736,000;
    year 2 = 728,000 + a second seller from day 500 (364*2 - 500 = 228 d) = 956,000.
    Magic number year 2 = 50 / 736,000; year 3 = 200 / 956,000."""
    acc = [(0.0, 0, 0, SIGNED, 0.0, 100.0), (10.0, 0, 0, LIVE, 100.0, 100.0), (400.0, 0, 0, EXP, 50.0, 150.0),
           (800.0, 1, 0, SIGNED, 0.0, 200.0), (800.0, 1, 0, LIVE, 200.0, 200.0)]
    f = _book(156, acc, costs=[(300.0, int(CostKind.COMMISSION), 0, 0, 8000.0)], hires=[500.0])
    k, weekly_cost = _econ(f)
    assert k["magic_number_by_year"] == [pytest.approx(50 / 736_000, abs=1e-4),
                                         pytest.approx(200 / 956_000, abs=1e-4)]
    assert k["magic_number"] == k["magic_number_by_year"][-1]
    # weekly cost follows the hire: 14,000 a week before it, 21,000 after
    assert weekly_cost[0] == pytest.approx(14_000) and weekly_cost[100] == pytest.approx(21_000)
    assert weekly_cost[500 // 7] == pytest.approx(14_000 + 1000 * (7 - 500 % 7))
    assert weekly_cost.sum() == pytest.approx(k["costs"]["total_usd"], abs=0.01)


def test_a_short_horizon_has_no_magic_number():
    f = _book(60, [(10.0, 0, 0, LIVE, 100.0, 100.0)])
    k, _ = _econ(f)
    assert k["magic_number"] is None and k["magic_number_by_year"] == []


def test_cac_counts_acquisition_only_and_payback_uses_new_logo_arr_and_margin():
    """52 weeks = 364 seat-days a role: seller 364,000 + marketing 6,000 = 370,000
    acquisition; the account manager's 364,000 and its 1,000 commission are
    retention. Two new logos of 100 and 300: CAC 185,000; payback = 185,000 /
    (200 x 0.5 / 12) = 22,200 months."""
    acc = [(1.0, 0, 0, SIGNED, 100.0, 100.0), (2.0, 1, 0, SIGNED, 300.0, 300.0)]
    costs = [(5.0, int(CostKind.MARKETING), -1, 0, 6000.0), (6.0, int(CostKind.COMMISSION), 1, 0, 1000.0)]
    k, _ = _econ(_book(52, acc, costs=costs, retention=True))
    c = k["costs"]
    assert c["acquisition_usd"] == pytest.approx(370_000) and c["retention_usd"] == pytest.approx(365_000)
    assert c["sales_marketing_usd"] == pytest.approx(735_000) and c["total_usd"] == pytest.approx(735_000)
    assert k["cac_usd"] == pytest.approx(185_000)
    assert k["cac_payback_months"] == pytest.approx(22_200)


def test_growth_and_volatility_by_52_week_year():
    """ARR 100 from day 1, +100 on day 370 (year 2), +100 on day 740 (year 3):
    year ends 100, 200, 300 -> growth 100%, 50%; volatility std(1, 0.5) = 0.25."""
    acc = [(1.0, 0, 0, LIVE, 100.0, 100.0), (370.0, 0, 0, EXP, 100.0, 200.0), (740.0, 0, 0, EXP, 100.0, 300.0)]
    k, _ = revenue_kpis(_facts_with_accounts(acc, horizon_days=156 * 7))
    assert k["arr_by_year_end_usd"] == [100.0, 200.0, 300.0]
    assert k["arr_growth_by_year"] == [1.0, 0.5] and k["arr_growth_volatility"] == pytest.approx(0.25)
    k, _ = revenue_kpis(_facts_with_accounts(acc[:2], horizon_days=104 * 7))
    assert k["arr_growth_by_year"] == [1.0]  # a 104-week run has two years


def test_grr_sees_a_contraction_after_an_expansion():
    """One account of 100 a year before the end expands to 150, then contracts
    by 30 to 120: NRR 120%, GRR 70% (the 30 lost; the expansion ignored)."""
    T = 800.0
    acc = [(1.0, 0, 0, LIVE, 100.0, 100.0), (T - 300, 0, 0, EXP, 50.0, 150.0), (T - 100, 0, 0, CON, -30.0, 120.0)]
    k, _ = revenue_kpis(_facts_with_accounts(acc, horizon_days=T))
    assert k["nrr_trailing_12m"] == pytest.approx(1.2) and k["grr_trailing_12m"] == pytest.approx(0.7)
    # a churn after an expansion loses the starting ARR, no more
    acc[2] = (T - 100, 0, 0, CHURN, -150.0, 0.0)
    k, _ = revenue_kpis(_facts_with_accounts(acc, horizon_days=T))
    assert k["grr_trailing_12m"] == pytest.approx(0.0)


def test_weekly_cost_grows_with_the_team():
    """pods_split grows its team by fission: the weekly cost must follow."""
    r = sim.simulate(sim.load_scenario(SCENARIOS / "pods_split.yaml"), seed=1, record="kpis")
    k, cost = r.kpis, r.weekly["cost_usd"]
    heads = sum(v["headcount"] or 0 for v in k["roles"].values())
    start = sum(h for h, u in zip(r.facts.layout.headcount, r.facts.layout.unlimited, strict=True) if not u)
    assert heads > start
    assert cost.iloc[-4:].mean() > cost.iloc[:4].mean() * 1.2
    c = k["costs"]
    assert c["total_usd"] == pytest.approx(c["acquisition_usd"] + c["retention_usd"] + c["onboarding_usd"], abs=1)


def test_busy_hours_are_hours_of_work_not_calendar_hours():
    """small_team's SDR (35 h a week) is saturated: a year holds at most 52 x 35 =
    1,820 hours of work, not 52 x 7 x 24 = 8,736 calendar hours."""
    sc = sim.load_scenario(SCENARIOS / "small_team.yaml", ["roles.sdr.hours_per_week=35",
                                                            "roles.sdr.max_open_per_rep=400"])
    with_calendar = sim.simulate(sc, seed=1, weeks=52, record="kpis").kpis["roles"]["sdr"]
    assert with_calendar["utilization"] > 0.95  # saturated, in office hours: at most 35 h of each week
    assert all(h <= 35 * 52 * 1.0001 for h in with_calendar["busy_hours_per_rep"])
    roles = dict(sc.roles)
    roles["sdr"] = roles["sdr"].model_copy(update={"people": None})  # one rep all year: capacity is 52 x 35 h
    # around the clock at 35 h a week, all of it deal work (no work model splitting the week)
    sc = sc.model_copy(update={"calendar": None, "roles": roles, "work_model": None})
    k = sim.simulate(sc, seed=1, weeks=52, record="kpis").kpis
    role = k["roles"]["sdr"]
    cap = sc.roles["sdr"].hours_per_week * 52
    assert all(h <= cap * 1.0001 for h in role["busy_hours_per_rep"])
    assert sum(role["busy_hours_per_rep"]) == pytest.approx(role["utilization"] * cap * role["headcount"], rel=1e-3)


def test_win_rate_per_motion_by_hand():
    """Self-serve: 10 wins of 100 decided; inside: 5 of 10. Blended 15/110."""
    from sim.metrics.kpis import win_rate_by_motion
    f = _facts_with_accounts([], horizon_days=70.0)
    f = dataclasses.replace(f, layout=dataclasses.replace(f.layout, segments=["a", "b", "c"],
                                                          motions=["plg", "inside", None]),
                            won_by_segment=np.array([10, 5, 0]), lost_decided_by_segment=np.array([90, 5, 0]))
    assert win_rate_by_motion(f) == {"plg": 0.1, "inside": 0.5, "c": None}


def test_win_rate_per_motion_in_a_run_adds_up():
    k = sim.simulate(sim.load_scenario(SCENARIOS / "three_tier.yaml"), seed=3, weeks=20, record="kpis").kpis
    by = k["win_rate_by_motion"]
    assert set(by) == {"plg", "inside", "field"}
    assert min(v for v in by.values() if v is not None) <= k["win_rate"] <= max(by.values())
