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
