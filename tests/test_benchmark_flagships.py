"""`salesim check` on every flagship scenario.

Issue 24's target is that `salesim check --strict` passes on each flagship. The shipped
scenarios are not re-baselined yet (that waits for the people and market mechanisms of
issues 22 and 23), so the fast test asserts that check's report is right -- every position
follows from the mean and the range, every figure outside names a mechanism, every metric
of the table is compared or said why not -- and then marks the strict pass as the open
target (an expected failure listing the figures outside), which turns into a pass once a
scenario sits inside its ranges. The slow test runs enough replications that the interval
of each figure is inside its range (not expected to pass yet either)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.benchmarks import default_table
from sim.experiments.montecarlo.benchmark_check import run_check
from sim.scenario import load_scenario

SCEN = Path(__file__).resolve().parents[1] / "scenarios"
FLAGSHIPS = ["small_team", "mid_size", "three_tier", "upright_triangle", "inverted_triangle", "pods_no_split",
             "pods_split", "pods_industry", "pods_precision"]


def _outside(result) -> str:
    return ", ".join(f"{c.metric} {c.segment} ({c.subject}) {c.position}" for c in result.outside)


def _report_is_right(result) -> None:
    table = default_table()
    for c in result.comparisons:
        assert c.benchmark is table.get(c.metric, c.segment)
        assert c.position == c.benchmark.position(c.mean), c
        assert bool(c.mechanism) == c.outside, c
        if c.ci is not None:
            assert c.ci[0] <= c.mean <= c.ci[1] and 1 < c.n <= result.reps and c.kind == "measured"
    keys = [(c.metric, c.segment, c.subject) for c in result.comparisons]
    assert len(keys) == len(set(keys))  # one line per figure (a company figure on one row across runs)
    compared = {c.metric for c in result.comparisons}
    assert compared | {m for m, _ in result.unchecked} == set(table.metrics())
    assert not compared & {m for m, _ in result.unchecked}
    assert {"win_rate", "selling_time_fraction"} <= compared


@pytest.mark.parametrize("name", FLAGSHIPS)
def test_check_reports_each_flagship(name):
    result = run_check(load_scenario(SCEN / f"{name}.yaml"), reps=2)
    _report_is_right(result)
    if result.outside:  # the target of issue 24 item 3, not reached yet
        pytest.xfail(f"{name}: {len(result.outside)} of {len(result.comparisons)} figures outside: "
                     f"{_outside(result)}")


@pytest.mark.slow
@pytest.mark.parametrize("name", FLAGSHIPS)
def test_each_flagship_inside_its_ranges_with_the_interval_inside(name):
    result = run_check(load_scenario(SCEN / f"{name}.yaml"), reps=30)
    _report_is_right(result)
    loose = [c for c in result.comparisons if c.outside or c.straddles]
    if loose:
        pytest.xfail(f"{name}: not yet re-baselined (issue 24 item 3): "
                     + "; ".join(f"{c.metric} {c.segment} ({c.subject})" for c in loose))
