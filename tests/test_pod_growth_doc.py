"""scenarios/studies/README.md's pod_growth table is generated
(``scenarios/studies/pod_growth.py render``, from the stored
``scenarios/studies/pod_growth.json``): a hand edit of a figure fails here. The
measurement itself (``run``) is not repeated in the test suite."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from sim import markers

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def study():
    spec = importlib.util.spec_from_file_location("pod_growth_script", REPO / "scenarios" / "studies" / "pod_growth.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_readme_table_is_what_the_script_renders(study):
    text = study.README.read_text()
    data = json.loads(study.DATA.read_text())
    assert study.rendered(text, data) == text, "run `python scenarios/studies/pod_growth.py render`"


def test_a_hand_edited_figure_is_caught(study):
    text = study.README.read_text()
    data = json.loads(study.DATA.read_text())
    body = next(b.body for b in markers.blocks(text) if b.name == study.BLOCK)
    edited = text.replace(body, body.replace("M |", "1M |", 1))
    assert edited != text and study.rendered(edited, data) != edited


def test_the_stored_levels_are_the_scripts(study):
    data = json.loads(study.DATA.read_text())
    assert [r["hours"] for r in data["rows"]] == list(study.HOURS)
    assert data["reps"] >= 6
