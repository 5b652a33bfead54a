"""The KPI registry is the one place a KPI's name, unit and definition live."""

from __future__ import annotations

import pytest

import sim
from sim import markers
from sim.metrics.registry import BLOCK, BY_KEY, KPIS, markdown_table, ordered
from tests.conftest import ROOT, SCENARIOS


def test_the_guide_table_is_the_registry():
    text = (ROOT / "docs" / "guide" / "kpis.md").read_text()
    assert markers.differing(text, {BLOCK: markdown_table}, required=[BLOCK]) == [], (
        "docs/guide/kpis.md KPI table differs: run `python -m sim.metrics.registry render`")


@pytest.mark.parametrize("name", ["pods_split.yaml", "three_tier.yaml"])
def test_every_json_key_is_registered_in_registry_order(name):
    k = sim.simulate(sim.load_scenario(SCENARIOS / name), seed=1, weeks=6, record="kpis").kpis
    assert list(k) == [x.key for x in KPIS if x.key in k]
    assert {x.key for x in KPIS if not x.optional} <= set(k)


def test_an_undeclared_kpi_is_refused():
    with pytest.raises(KeyError, match="registry"):
        ordered({"leads_won": 1, "made_up_usd": 2.0})
    assert all(x.unit and x.definition for x in BY_KEY.values())
