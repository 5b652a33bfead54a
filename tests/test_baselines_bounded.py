"""Shipped organization baselines keep their queues bounded over the horizon,
unless the scenario's own comment names the role and says its queue grows on
purpose (a role whose backlog grows without bound makes every KPI of the
baseline depend on the horizon: a median SQL of 101 days is not a baseline).

A queue "grows" by the rule of the run summary's bottleneck flags: the mean
queue over the last quarter of the horizon exceeds the second quarter's by
25% and at least one task (:mod:`sim.metrics.bottlenecks`)."""

from __future__ import annotations

import re

import pytest

import sim
from sim.metrics.bottlenecks import is_growing, queue_trend
from tests.conftest import SCENARIOS

FAST = ["pods_no_split", "pods_split"]  # the backlog reported on pods_split is checked in the default run
SLOW = ["inverted_triangle", "upright_triangle", "pods_industry", "pods_precision"]


def growing_roles(name: str) -> list[str]:
    scenario = sim.load_scenario(SCENARIOS / f"{name}.yaml")
    weekly = sim.simulate(scenario, record="kpis").weekly
    return [r for r in scenario.roles if (t := queue_trend(weekly, r)) is not None and is_growing(*t)]


def comment(name: str) -> str:
    return "\n".join(line for line in (SCENARIOS / f"{name}.yaml").read_text().splitlines()
                     if line.lstrip().startswith("#"))


@pytest.mark.parametrize("name", FAST + [pytest.param(n, marks=pytest.mark.slow) for n in SLOW])
def test_no_unbounded_queue_unless_the_comment_says_so(name):
    text = comment(name)
    for role in growing_roles(name):
        assert re.search(rf"\b{role}s?\b", text, re.I) and "queue" in text, (
            f"{name}: the {role} queue keeps growing and the scenario's comment does not say why")


def test_pods_split_ae_backlog_is_bounded():
    """The reported case: the AE queue of pods_split reached ~700 tasks and the
    median SQL waited 101 days; a meeting now goes cold after two weeks."""
    k = sim.simulate(sim.load_scenario(SCENARIOS / "pods_split.yaml"), record="kpis").kpis
    assert k["roles"]["ae"]["mean_queue_length"] < 100
    sql = next(s for s in k["stages"] if s["stage"] == "sql")
    assert sql["median_days"] < 30
