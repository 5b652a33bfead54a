"""Figures that cannot go stale (scripts/figures.py): every marker block is what the stored
study outputs render, no stored output is stale, and a small stored study rerun at its
seeds gives its stored numbers exactly."""

from __future__ import annotations

import importlib
import importlib.util
import json
import re
import shutil
from pathlib import Path

import pytest

from sim import markers

ROOT = Path(__file__).resolve().parents[1]


def _figures():
    spec = importlib.util.spec_from_file_location("figures_script", ROOT / "scripts" / "figures.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


figures = _figures()


def _owned_blocks():
    out = []
    for path in figures.documents():
        for name in markers.names(path.read_text(), str(path)):
            if name not in figures.EXTERNAL:
                out.append((path, name))
    return out


def test_every_marker_block_is_what_its_stored_output_renders():
    problems = [p for p in figures.check() if "block" in p and "differs" in p]
    assert problems == [], "\n".join(problems)


def test_no_stored_output_is_stale():
    names = sorted(p.name for p in figures.RESULTS.iterdir() if (p / "stored.json").is_file())
    assert "team_size_quick" in names
    problems = [p for name in names for p in figures.stale(name)]
    assert problems == [], "\n".join(problems) + "\n(re-store: python scripts/figures.py store NAME, then render)"


def test_a_figure_edited_by_hand_fails():
    blocks = _owned_blocks()
    assert {name for _, name in blocks} >= {"org_design", "org_design_factorial", "pod_split", "team_size", "claims",
                                           "claims_structure", "headline_structure"}
    for path, name in blocks:
        text = path.read_text()
        block = next(b for b in markers.blocks(text) if b.name == name)
        body = block.body
        digit = re.search(r"\d", body.split("\n", 1)[1])  # a figure, not the command line
        first = block.start + len(f"<!-- {name}:begin -->\n")
        start = first + len(body.split("\n", 1)[0]) + 1 + digit.start()
        edited = text[:start] + str((int(text[start]) + 1) % 10) + text[start + 1:]
        assert figures.differing_blocks(edited, str(path)) == [name], (path, name)
        assert figures.differing_blocks(text, str(path)) == []


def test_a_block_without_a_renderer_is_refused():
    with pytest.raises(SystemExit, match="block 'nope' has no renderer"):
        figures.render_text("<!-- nope:begin -->\n1\n<!-- nope:end -->", "x.md")


def test_a_changed_scenario_makes_its_stored_output_stale(tmp_path, monkeypatch):
    shutil.copytree(figures.RESULTS / "team_size_quick", tmp_path / "team_size_quick")
    rec = tmp_path / "team_size_quick" / "stored.json"
    data = json.loads(rec.read_text())
    cell = next(iter(data["cell_figure_hashes"]))
    data["cell_figure_hashes"][cell] = "0" * 64  # as if the cell's scenario had been another when it was stored
    rec.write_text(json.dumps(data))
    monkeypatch.setattr(figures, "RESULTS", tmp_path)
    assert figures.stale("team_size_quick") == [f"team_size_quick: cell {cell} changed since it was stored"]


def test_a_new_key_at_its_default_leaves_stored_figures_current_and_a_changed_value_does_not():
    """Staleness looks at the keys set to something other than their default: a key added to the format
    at a default that keeps the old behaviour changes no figure, so it must not make every stored
    output stale; a changed value must."""
    import yaml

    import sim

    data = yaml.safe_load((ROOT / "scenarios" / "small_team.yaml").read_text())
    base = figures.figure_hash(sim.validate_data(data))
    inbound = next(k for k, v in data["sources"].items() if v.get("kind") == "inbound")
    data["sources"][inbound]["trend_per_year"] = 0.0  # written out at its default: the same scenario
    assert figures.figure_hash(sim.validate_data(data)) == base
    data["sources"][inbound]["trend_per_year"] = 0.1
    assert figures.figure_hash(sim.validate_data(data)) != base


def test_the_quick_study_reproduces_its_stored_output_exactly():
    stored, rerun = figures.reproduce("team_size_quick")
    assert rerun == stored, "the current code gives other numbers at the stored seeds: re-store and render"


@pytest.mark.slow
@pytest.mark.parametrize("name", ["speed_to_lead", "org_design_factorial"])
def test_a_full_stored_study_reproduces_exactly(name):
    """Full stored studies rerun at their seeds (speed_to_lead: 20 runs of a small team, ~6 s of CPU;
    org_design_factorial: 32 three-year runs, ~20 s): the figures quoted from them are what today's code
    gives. (The robust org_design is checked in tests/test_stored_robust.py.)"""
    stored, rerun = figures.reproduce(name)
    assert rerun == stored, f"the current code gives other numbers for {name} at its stored seeds: re-store and render"


@pytest.mark.parametrize("name", sorted(figures.EXTERNAL))
def test_the_scripts_of_other_blocks_load(name):
    """A block rendered by its own script (pod_growth, process_levers) keeps a script that at least loads."""
    where = figures.EXTERNAL[name]
    if where.startswith("sim/"):  # a module of the package (the KPI table of the registry): imported as one
        mod = importlib.import_module(where.removesuffix(".py").replace("/", "."))
    else:
        spec = importlib.util.spec_from_file_location(f"block_{name}", ROOT / where)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
    assert callable(getattr(mod, "main", None))
