"""The user guide's generated benchmark blocks (docs/guide/shipped-scenarios.md) (scripts/benchmark_rows.py): the rows
each shipped scenario meets, and the same-cost pair's cost lines. The README must be what the
script renders from the stored outputs (a hand edit fails), and each stored output must
come from the current scenario files and benchmark table (a stale table fails)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from sim import markers

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def rows():
    spec = importlib.util.spec_from_file_location("benchmark_rows", ROOT / "scripts" / "benchmark_rows.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_readme_blocks_are_what_the_script_renders(rows):
    text = rows.README.read_text()
    assert rows.rendered(text) == text, (
        "docs/guide/shipped-scenarios.md's generated blocks differ: run python scripts/benchmark_rows.py render")


def test_a_hand_edit_of_a_block_is_caught(rows):
    text = rows.README.read_text()
    block = next(b for b in markers.blocks(text) if b.name == "benchmark-rows")
    edited = text[:block.start] + block.with_body(block.body.replace(" of ", " out of ", 1)) + text[block.end:]
    assert edited != text and rows.rendered(edited) != edited


def test_every_shipped_scenario_has_a_check_of_its_current_file(rows):
    table = rows.table_hash()
    for name in rows.shipped():
        path = rows.STORE / f"{name}.json"
        assert path.exists(), f"no stored check of {name}: python scripts/benchmark_rows.py run {name}"
        d = json.loads(path.read_text())
        assert d["scenario_sha256"] == rows.scenario_hash(name), (
            f"{name} changed since its check: python scripts/benchmark_rows.py run {name}, then render")
        assert d["table_sha256"] == table, f"the benchmark table changed since {name}'s check"
        assert d["deliberately_outside"] == rows.deliberately_outside(rows.SCENARIOS / f"{name}.yaml")


def test_a_stored_check_goes_stale_when_a_file_its_scenario_extends_changes(rows, tmp_path, monkeypatch):
    scen = tmp_path / "scenarios"
    scen.mkdir()
    for name in ("pods_no_split", "pods_split"):
        (scen / f"{name}.yaml").write_bytes((rows.SCENARIOS / f"{name}.yaml").read_bytes())
    monkeypatch.setattr(rows, "SCENARIOS", scen)
    before = rows.scenario_hash("pods_split")
    parent = scen / "pods_no_split.yaml"
    parent.write_text(parent.read_text() + "# a parent's edit\n")
    assert rows.scenario_hash("pods_split") != before


def test_the_same_cost_pair_is_stored_from_the_current_files(rows):
    d = json.loads((rows.STORE / "same_cost.json").read_text())
    for name in rows.PAIR:
        assert d["scenarios"][name]["scenario_sha256"] == rows.scenario_hash(name), (
            f"{name} changed since its costs were stored: python scripts/benchmark_rows.py costs, then render")
    a, b = (d["scenarios"][n]["means_per_year"] for n in rows.PAIR)
    # what the comments say holds: the team salaries are the same (within the vacancies the
    # replications' departures leave), the rest is what the table shows
    assert a["salaries"] == pytest.approx(b["salaries"], rel=0.1)
