"""One reducer for ``Facts``.

The event log and the KPI-only tally reduce a run's events through the same
code (the tally's running aggregates), so they give the same ``Facts`` bit for
bit."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

import sim
from sim.records import EventLog, Tally
from tests.conftest import SCENARIOS

SHIPPED = sorted(SCENARIOS.glob("*.yaml")) + sorted((SCENARIOS / "variants").glob("*.yaml"))


def _same(a, b, where: str = "") -> list[str]:
    """Where ``a`` and ``b`` differ, exactly: arrays by dtype, shape and bytes
    (NaN equals NaN, 0.0 differs from -0.0), containers in order."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        same = a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
        return [] if same else [where]
    if isinstance(a, dict) and isinstance(b, dict):
        if list(a) != list(b):
            return [f"{where} keys"]
        return [p for k in a for p in _same(a[k], b[k], f"{where}[{k!r}]")]
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        if type(a) is not type(b) or len(a) != len(b):
            return [where]
        return [p for i, (x, y) in enumerate(zip(a, b, strict=True)) for p in _same(x, y, f"{where}[{i}]")]
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return []
    return [] if type(a) is type(b) and a == b else [where]


def facts_differences(a, b) -> list[str]:
    return [p for f in dataclasses.fields(a) for p in _same(getattr(a, f.name), getattr(b, f.name), f.name)]


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_both_recorders_give_identical_facts_on_every_shipped_scenario(path):
    scenario = sim.load_scenario(path)
    weeks = 6 if path.stem in ("mid_size", "three_tier", "three_tier_plus_strategic") else 10
    full = sim.simulate(scenario, seed=3, weeks=weeks, record="events")
    lean = sim.simulate(scenario, seed=3, weeks=weeks, record="kpis")
    assert full.log is not None and len(full.log) > 0
    assert facts_differences(full.facts, lean.facts) == []
    assert full.kpis == lean.kpis


def test_the_event_log_reduces_through_the_tally():
    """Every fact is written once: the event log's facts are the tally's, fed by
    the same calls (a fact added to the tally cannot be missing from the log)."""
    assert issubclass(EventLog, Tally)
    assert EventLog.facts is Tally.facts
    for call in ("lead", "work", "advance", "end", "sample", "finish", "facts"):
        owners = [c for c in EventLog.__mro__ if call in vars(c)]
        assert Tally in owners, call
