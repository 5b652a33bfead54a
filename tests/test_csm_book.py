"""The CSM line of the run summary: what an overloaded book costs, not a queue wait it cannot have."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.metrics.csm_book import book_cost, curve_at
from sim.report.summary import RunView, bottlenecks
from sim.scenario import load_scenario

SCEN = Path(__file__).resolve().parents[1] / "scenarios"
CURVE = [(0.0, 1.0), (1.0, 1.0), (1.5, 0.9), (2.0, 0.75), (3.0, 0.55)]


def test_book_cost_by_hand():
    c = book_cost(1.6, customers=200, arr_usd=4e6, curve=CURVE, renewal_probability=0.85, term_years=1)
    assert c.accounts_untouched_per_month == pytest.approx(200 * (1 - 1 / 1.6))  # 75
    assert c.renewal_multiplier == pytest.approx(0.9 - 0.15 * 0.1 / 0.5)  # 0.87 between (1.5, .9) and (2, .75)
    assert c.arr_lost_per_year_usd == pytest.approx(4e6 * 0.85 * (1 - 0.87))
    assert book_cost(0.9, 200, 4e6, CURVE, 0.85) is None  # within its hours: no cost line
    assert curve_at(CURVE, 5.0) == 0.55 and curve_at(CURVE, -1) == 1.0  # flat beyond the ends
    two_year = book_cost(1.6, 200, 4e6, CURVE, 0.85, term_years=2)
    assert two_year.arr_lost_per_year_usd == pytest.approx(c.arr_lost_per_year_usd / 2)


def _kpis(util: float, tasks: int = 0) -> dict:
    return {"roles": {"csm": {"headcount": 1, "tasks": tasks, "utilization": util, "mean_wait_hours": 0.0,
                              "mean_queue_length": 0.0, "busy_hours_per_rep": [1.0]}},
            "customers_end": 282, "arr_end_usd": 8.2e6, "stages": []}


def test_overloaded_csm_line_reports_untouched_accounts_and_renewal_loss():
    sc = load_scenario(SCEN / "upright_triangle.yaml")
    text = "\n".join(bottlenecks(RunView(_kpis(1.44), None, sc)).lines)
    csm = next(line for line in text.splitlines() if line.startswith("! csm"))
    assert "each task waits" not in csm  # the old line: "Cost: each task waits 0.0 h"
    assert f"about {282 * (1 - 1 / 1.44):,.0f} accounts a month go without their check-in" in csm
    assert "of ARR a year not renewed" in csm


def test_the_book_line_also_reads_a_scenario_as_a_dict():
    sc = load_scenario(SCEN / "upright_triangle.yaml").model_dump(mode="json", by_alias=True)
    csm = "\n".join(bottlenecks(RunView(_kpis(2.0), None, sc)).lines)
    assert "renewal odds x 0.75" in csm


def test_a_csm_who_works_tasks_keeps_the_queue_line():
    sc = load_scenario(SCEN / "upright_triangle.yaml")
    csm = "\n".join(bottlenecks(RunView(_kpis(1.2, tasks=50), None, sc)).lines)
    assert "each task waits" in csm
