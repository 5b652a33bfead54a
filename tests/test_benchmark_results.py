"""Benchmark figures in the docs are rendered from stored measurements
(benchmarks/results.py), never typed: each block is what its stored output
renders, and a hand edit of a figure fails."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _results():
    spec = importlib.util.spec_from_file_location("benchmark_results", ROOT / "benchmarks" / "results.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


results = _results()


def test_every_benchmark_block_is_what_its_stored_output_renders():
    assert results.check() == []


@pytest.mark.parametrize("name", sorted(results.RENDERERS))
def test_a_benchmark_figure_edited_by_hand_fails(name):
    text = (ROOT / results.DOCUMENTS[name]).read_text()
    m = re.search(rf"<!-- {name}:begin -->\n(.*?)<!-- {name}:end -->", text, re.S)
    assert m is not None, f"{results.DOCUMENTS[name]} has no {name} block"
    body = m.group(1)
    digit = list(re.finditer(r"\d\.\d", body))[-1]  # the last decimal: a measured figure, after the command
    start = m.start(1) + digit.start()
    edited = text[:start] + str((int(text[start]) + 1) % 10) + text[start + 1:]
    assert results.differing_blocks(edited) == [name]


def test_the_stored_planner_example_answers_the_documented_command_on_todays_scenario():
    assert results.planner_stale() == []


def test_a_changed_scenario_or_command_makes_the_stored_planner_example_stale(tmp_path, monkeypatch):
    stored = results._load("planner_example.json")
    text = (ROOT / results.PLANNER_ARGS[0]).read_text()
    same = tmp_path / "same.yaml"
    same.write_text(text)
    changed = tmp_path / "changed.yaml"
    assert "\n    headcount: 6\n" in text  # the AEs
    changed.write_text(text.replace("\n    headcount: 6\n", "\n    headcount: 5\n", 1))
    for path, problems in ((same, 0), (changed, 1)):
        args = [str(path), *results.PLANNER_ARGS[1:]]
        monkeypatch.setattr(results, "PLANNER_ARGS", args)
        assert len(results.planner_stale({**stored, "args": args})) == problems, path.name
    assert "changed since the example was stored" in results.planner_stale({**stored, "args": args})[0]
    assert "other arguments" in results.planner_stale({**stored, "args": ["--weeks", "104"]})[0]


def test_the_readme_states_what_the_planner_recommends():
    text = (ROOT / "README.md").read_text()
    stored = results._load("planner_example.json")
    block = text.split("<!-- planner_answer:begin -->")[1].split("<!-- planner_answer:end -->")[0]
    assert stored["set_lines"] and all(f"`{s}`" in block for s in stored["set_lines"])
    assert "salesim plan " + results.PLANNER_ARGS[0] in block


# a measured figure: a date, or a number with a unit of time, memory, ratio or share (a target says
# "<= 1.1x", "< 0.5 s", ">= 0.85": a comparison sign just before it)
MEASURED = re.compile(r"(?<![<>=≤≥] )(?<![<>=≤≥\d.,])\b"
                      r"(\d{4}-\d{2}-\d{2}|\d[\d,]*(\.\d+)?\s?(x|s|ms|us|min|MiB|%))(?!\w)")


def typed_figures(text: str) -> list[str]:
    """The measured figures of ``text`` outside its generated blocks and its code (commands)."""
    from sim import markers

    parts, pos = [], 0
    for b in markers.blocks(text):
        parts.append(text[pos:b.start])
        pos = b.end
    prose = re.sub(r"```.*?```", "", "".join(parts) + text[pos:], flags=re.S)
    return [m.group(0) for m in MEASURED.finditer(prose)]


def test_the_benchmarks_page_types_no_measurement():
    """benchmarks/README.md quotes measurements only from its generated blocks; the history of earlier
    measurements lives in git."""
    assert typed_figures("took 1.34 s, 0.97x the bare run, on 2026-11-29; 30% faster") == [
        "1.34 s", "0.97x", "2026-11-29", "30%"]
    assert typed_figures("target <= 1.1x, < 0.5 s, ≤ 5x\n<!-- a:begin -->\n1.2x\n<!-- a:end -->\n```\n3 s\n```") == []
    assert typed_figures((ROOT / "benchmarks" / "README.md").read_text()) == []
