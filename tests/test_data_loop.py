"""The data-driven loop against an outside benchmark (``process.data_driven.outside``):
each lift closes part of the gap between today's rate and a cited benchmark,
less with every lift of the same KPI, after a lag, never past the benchmark,
and only as many KPIs a period as its analysts can work on. Each expectation
is worked out by hand on a small funnel; the legacy loop (no ``outside``)
fails them (it lifts 2% a period up to its cap, past any benchmark)."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.model.vocab import TimelineKind
from tests.conftest import build, chain
from tests.test_revenue import _world


def _loop(bench, *, ops=1.0, lag=0.0, share=0.5, diminishing=0.5, weeks=52, segments=None):
    data = chain([0.5, 0.5], rate_per_week=200)
    if segments:
        data["segments"] = {g: {"acv_usd": 10000, "steps": data["segments"]["only"]["steps"]} for g in segments}
        data["sources"]["web"]["segment_mix"] = {g: 1 / len(segments) for g in segments}
    data["process"] = {"data_driven": {
        "period_days": 7, "min_observations": 30, "max_lift": 0.5, "ops_headcount": ops,
        "ops_loaded_cost_per_year_usd": 100000,
        "outside": {"source": "a test benchmark", "conversion": bench, "gap_closed_per_lift": share,
                    "diminishing": diminishing, "lag_days": lag}}}
    return build(data, horizon_weeks=weeks)


def _lifts(f):
    tl = f.timeline
    m = tl["kind"] == int(TimelineKind.PROCESS_LIFT)
    return tl["t"][m], tl["stage"][m], tl["lift"][m]


def test_each_lift_closes_a_diminishing_share_of_the_gap_and_never_passes_the_benchmark():
    """s2 converts at 0.5 against a benchmark of 0.6: the first lift closes half
    the 0.1 gap (0.55, x1.1), the second a quarter of what is left (0.5625,
    x1.125), then an eighth (x1.134375)...; the rate tends to
    0.6 - 0.1 x prod(1 - 0.5^(i+1)) = 0.5711 and never reaches 0.6 (x1.2)."""
    w, f = _world(_loop({"only": {"s2": 0.6}}), seed=1)
    t, stage, lift = _lifts(f)
    assert set(stage.tolist()) == {2}
    rate, expected = 0.5, []
    for i in range(len(lift)):
        rate += 0.5 * 0.5 ** i * (0.6 - rate)
        expected.append(rate / 0.5)
    assert len(lift) >= 40 and np.allclose(lift, expected)
    assert lift.max() < 1.2 and 0.5 * lift[-1] == pytest.approx(0.6 - 0.1 * np.prod([1 - 0.5 ** (i + 1)
                                                                                   for i in range(60)]), abs=1e-3)
    assert w.leads.boost[0][1] == 1.0  # s1 has no benchmark: untouched


@pytest.mark.parametrize("bench", [0.5, 0.4])
def test_a_benchmark_at_or_below_todays_rate_does_nothing(bench):
    """s2 already converts at 0.5: no lift, and the funnel runs exactly as without the loop."""
    _, f = _world(_loop({"only": {"s2": bench}}), seed=3)
    assert len(_lifts(f)[0]) == 0
    data = chain([0.5, 0.5], rate_per_week=200)
    _, plain = _world(build(data, horizon_weeks=52), seed=3)
    assert f.won_by_segment.tolist() == plain.won_by_segment.tolist()


def test_a_lift_takes_effect_after_the_lag_and_the_next_waits_for_it():
    """Decisions come at the 7-day checks; with a 30-day lag the first lift is in
    effect at 7 + 30 = 37 days, and the KPI is not worked again until then, so
    lifts land at least 30 days apart (the next check after 37 is day 42: 72)."""
    _, f = _world(_loop({"only": {"s2": 0.6}}, lag=30.0), seed=1)
    t, _, _ = _lifts(f)
    assert t[0] == pytest.approx(37.0) and t[1] == pytest.approx(72.0)
    assert np.all(np.diff(t) >= 30.0 - 1e-9)


def test_analysts_limit_how_many_kpis_move_and_segments_are_apart():
    """Two segments below their benchmarks at s2 (a: 0.6, b: 0.7) and s1 of a
    (0.55): one analyst works one KPI a period, three work all three. Segment b's
    s1 has no benchmark and stays at x1."""
    bench = {"a": {"s1": 0.55, "s2": 0.6}, "b": {"s2": 0.7}}
    w1, f1 = _world(_loop(bench, ops=1.0, weeks=8, segments=["a", "b"]), seed=2)
    w3, f3 = _world(_loop(bench, ops=3.0, weeks=8, segments=["a", "b"]), seed=2)
    checks = 8  # 7-day checks in 8 weeks (the one at day 56 is past the horizon's last event)
    assert len(_lifts(f1)[0]) <= checks and len(_lifts(f3)[0]) == 3 * len(_lifts(f1)[0])
    assert w3.leads.boost[1][1] == 1.0 and w3.leads.boost[0][1] > 1 and w3.leads.boost[1][2] > 1


def test_the_outside_loop_needs_analysts_and_known_names():
    with pytest.raises(sim.ScenarioError, match="ops_headcount"):
        _loop({"only": {"s2": 0.6}}, ops=0.0)
    with pytest.raises(sim.ScenarioError, match="unknown stage"):
        _loop({"only": {"s9": 0.6}})
    with pytest.raises(sim.ScenarioError, match="unknown segment"):
        _loop({"other": {"s2": 0.6}})
