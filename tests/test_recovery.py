"""The star-departure KPIs (``top_departure``), checked by hand computation."""

from __future__ import annotations

import pytest

import sim
from sim.metrics.recovery import recovery
from tests.conftest import SCENARIOS


def test_dip_and_recovery_by_hand():
    b = [10.0] * 13 + [0.0] * 5 + [10.0] * 30  # five silent weeks after the departure in week 13
    r = recovery(b, 13)
    assert r["before_usd"] == 130
    assert r["dip"] == pytest.approx(1 - 80 / 130, abs=1e-4)  # weeks 13-25: 5 x 0 + 8 x 10
    assert r["recovery_weeks"] == 5 and r["recovered"] == 1  # weeks 18-30 sell 130 again


def test_no_recovery_is_censored_at_the_horizon():
    r = recovery([10.0] * 13 + [1.0] * 20, 13)
    assert r["recovered"] == 0 and r["recovery_weeks"] == 20


def test_too_short_a_horizon_gives_none():
    assert recovery([10.0] * 20, 13)["dip"] is None  # no whole quarter after week 13
    assert recovery([10.0] * 20, 5)["dip"] is None  # no whole quarter before week 5


def test_a_run_reports_its_top_departure_and_only_then():
    base = sim.load_scenario(SCENARIOS / "inverted_triangle.yaml")
    star = sim.load_scenario(SCENARIOS / "variants" / "inverted_triangle_star_leaves.yaml")
    k = sim.simulate(star, seed=3, weeks=80, record="kpis").kpis
    t = k["top_departure"]
    assert t["week"] == 52 and t["before_usd"] > 0 and t["recovery_weeks"] >= 0
    weekly = sim.simulate(star, seed=3, weeks=80).weekly["bookings_usd"].to_numpy()
    assert t["before_usd"] == pytest.approx(weekly[39:52].sum(), abs=0.01)
    assert "top_departure" not in sim.simulate(base, seed=3, weeks=20, record="kpis").kpis
