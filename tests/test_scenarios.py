"""Shipped scenarios: all valid, all run, and the flagship sits inside the
reference ranges of docs/background.md#reference-figures that its comments claim."""

from __future__ import annotations

import pytest

import sim
from tests.conftest import SCENARIOS

FILES = sorted(p for p in SCENARIOS.rglob("*.yaml")
               if "studies" not in p.relative_to(SCENARIOS).parts)  # study files: tests/test_factorial.py


def test_there_are_shipped_scenarios():
    names = {p.name for p in FILES}
    assert {"small_team.yaml", "mid_size.yaml"} <= names


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(SCENARIOS)))
def test_shipped_scenario_validates_and_runs(path):
    scenario = sim.load_scenario(path)
    result = sim.simulate(scenario, weeks=6, record="kpis")
    assert result.kpis["leads_created"] > 0


def _segment_win_rate(result, segment):
    leads = result.leads
    seg = leads[(leads.segment == segment) & (leads.outcome != "open")]
    sql_or_later = seg[seg.outcome_stage.cat.codes >= 2]
    return (sql_or_later.outcome == "won").mean()


def test_flagship_sits_in_reference_ranges(mid_size):
    """docs/background.md#funnel-people-and-money-figures: win rate SQL->won SMB
    30-40%, mid-market 20-30%, enterprise 15-20%; discounts ~20-30% on $25k-$500k
    deals; inside AE ~$600k."""
    result = sim.simulate(mid_size, seed=1)
    assert 0.25 <= _segment_win_rate(result, "smb") <= 0.42
    assert 0.17 <= _segment_win_rate(result, "mid_market") <= 0.32
    assert 0.10 <= _segment_win_rate(result, "enterprise") <= 0.25
    k = result.kpis
    assert 0.08 <= k["average_discount_fraction"] <= 0.3
    inside = (k["bookings_by_segment_usd"]["smb"] + k["bookings_by_segment_usd"]["mid_market"])
    per_ae_year = inside / mid_size.roles["ae"].headcount / (mid_size.horizon_weeks / 52)
    assert 300_000 <= per_ae_year <= 1_200_000
    # retention: median GRR ~88%, tier bands 70-80% / 80-90% / >90% (SaaS Capital, Bessemer)
    assert 0.78 <= k["grr_trailing_12m"] <= 0.95
    assert k["grr_trailing_12m"] <= k["nrr_trailing_12m"] <= 1.2
    assert 3 <= k["cac_payback_months"] <= 24  # median ~15 months; SMB 8-12 (survey, L-M)
    # the extends variant really differs from its parent where it says
    fast = sim.load_scenario(SCENARIOS / "variants" / "small_team_fast_response.yaml")
    assert fast.steps["sql"].sla_hours == 1 and fast.roles["mdr"].headcount == 2
    assert fast.roles["ae"] == sim.load_scenario(SCENARIOS / "small_team.yaml").roles["ae"]
