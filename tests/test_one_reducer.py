"""One reducer for ``Facts`` and a timeline typed per event kind.

The event log and the KPI-only tally reduce a run's events through the same
code (the tally's running aggregates), so they give the same ``Facts`` bit for
bit; the timeline keeps each event kind's values in columns named for what
they are (no multiplier or POD index in a column named ``pipeline_usd``)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest

import sim
from sim.cli.output import write_run
from sim.model.vocab import TIMELINE_COLUMNS, TIMELINE_FIELDS, TimelineKind
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


def test_every_timeline_kind_names_its_fields():
    assert set(TIMELINE_FIELDS) == set(TimelineKind)
    for kind, names in TIMELINE_FIELDS.items():
        used = [n for n in names if n is not None]
        assert set(used) <= set(TIMELINE_COLUMNS) - {"t", "kind", "role"}, kind
        assert len(set(used)) == len(used), kind


def _with_interventions() -> sim.Scenario:
    """The small team with one of each scenario timeline event and the data loop."""
    data = sim.load_scenario(SCENARIOS / "small_team.yaml").model_dump(by_alias=True)
    data["timeline"] = [
        {"week": 1, "action": "market_shock", "source": "website", "rate_multiplier": 0.25, "weeks": 2},
        {"week": 2, "action": "price_change", "segment": "mid_market", "price_multiplier": 1.5},
        {"week": 2, "action": "rep_leaves", "role": "ae", "rep": "top"},
        {"week": 3, "action": "hire", "role": "sdr", "count": 1},
        {"week": 4, "action": "playbooks"},
    ]
    data["process"] = {"data_driven": {"period_days": 7, "min_observations": 1, "lift_fraction": 0.05,
                                       "max_lift": 0.3, "benchmark": {"mql": 0.99, "sql": 0.99}}}
    return sim.validate_data(data)


EMPTY = {"rep", "source", "segment", "stage", "pod", "new_pod", "pipeline_usd", "arr_usd", "multiplier", "lift",
         "conversion_vs_benchmark"}


def _filled(row: pd.Series) -> set[str]:
    return {c for c in EMPTY if not pd.isna(row[c])}


def test_timeline_columns_are_typed_per_event():
    result = sim.simulate(_with_interventions(), seed=4, weeks=8, record="kpis")
    tl = result.timeline
    assert list(tl.columns) == ["t_days", "event", "role", "rep", "source", "segment", "stage", "pod", "new_pod",
                                "pipeline_usd", "arr_usd", "multiplier", "lift", "conversion_vs_benchmark"]
    assert str(tl["rep"].dtype) == "Int64"
    by = {e: tl[tl.event == e] for e in set(tl.event)}
    assert {"market_shock", "shock_over", "price_change", "playbooks", "rep_left", "rep_hired",
            "process_lift"} <= set(by)

    shock, over = by["market_shock"].iloc[0], by["shock_over"].iloc[0]
    assert (shock.t_days, over.t_days) == (7.0, 21.0)
    for row in (shock, over):
        assert _filled(row) == {"source", "multiplier"}
        assert (row.source, row.multiplier) == ("website", 0.25) and pd.isna(row.role)
    price = by["price_change"].iloc[0]
    assert _filled(price) == {"segment", "multiplier"}
    assert (price.segment, price.multiplier) == ("mid_market", 1.5)
    assert _filled(by["playbooks"].iloc[0]) == set()
    for _, left in by["rep_left"].iterrows():
        assert _filled(left) == {"rep", "pipeline_usd", "arr_usd"} and not pd.isna(left.role)
    top = by["rep_left"][by["rep_left"].t_days == 14.0].iloc[0]
    assert top.role == "ae" and top.pipeline_usd > 0  # the top AE left holding pipeline
    assert {tuple(sorted(_filled(r))) for _, r in by["rep_hired"].iterrows()} == {("rep",)}
    lifts = by["process_lift"]
    assert len(lifts) >= 2
    for _, lift in lifts.iterrows():
        assert _filled(lift) == {"stage", "lift", "conversion_vs_benchmark"}
        assert lift.stage in result.scenario.stages[1:] and 1.0 < lift.lift <= 1.3 + 1e-12
        assert 0 <= lift.conversion_vs_benchmark < 1  # lifted because it was below its benchmark
    # the departure KPIs read the typed columns
    assert any(d["pipeline_usd"] == pytest.approx(top.pipeline_usd, abs=0.01) for d in result.kpis["departures"])


def test_a_pod_split_names_the_pods():
    result = sim.simulate(sim.load_scenario(SCENARIOS / "pods_split.yaml"), seed=1, weeks=40, record="kpis")
    splits = result.timeline[result.timeline.event == "pod_split"]
    genealogy = result.kpis["pod_genealogy"]
    assert len(splits) == len(genealogy) >= 1
    for (_, row), split in zip(splits.iterrows(), genealogy, strict=True):
        assert _filled(row) == {"rep", "pod", "new_pod"}
        assert (row.pod, row.new_pod, row.role, row.rep) == (split["parent"], split["child"],
                                                           split["promoted_role"], split["promoted_rep"])


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_the_run_folder_timeline_has_the_typed_columns(tmp_path, fmt):
    pytest.importorskip("pyarrow") if fmt == "parquet" else None
    result = sim.simulate(_with_interventions(), seed=4, weeks=5, record="kpis")
    write_run(result, tmp_path / "run", fmt)
    path = tmp_path / "run" / f"timeline.{fmt}"
    back = pd.read_csv(path) if fmt == "csv" else pd.read_parquet(path)
    assert list(back.columns) == list(result.timeline.columns)
    shock = back[back.event == "market_shock"].iloc[0]
    assert shock.source == "website" and shock.multiplier == 0.25
    assert pd.isna(shock.rep) and pd.isna(shock.pipeline_usd)
