"""docs/process.md's lever-by-lever table is generated (scripts/process_levers.py render, from the stored
docs/process_levers.json): a hand edit of a figure fails here. The measurement itself (``run``) is not
repeated in the test suite."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def levers():
    spec = importlib.util.spec_from_file_location("process_levers_script", REPO / "scripts" / "process_levers.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_page_is_what_the_script_renders(levers):
    text = levers.DOC.read_text()
    assert levers.rendered_doc(text, levers.read_data()) == text, "run `python scripts/process_levers.py render`"


def test_a_hand_edited_figure_is_caught(levers):
    text = levers.DOC.read_text()
    body = text[text.index(levers.START):text.index(levers.END)]
    edited = text.replace(body, body.replace("0.", "0.9", 1))
    assert levers.rendered_doc(edited, levers.read_data()) != edited


def test_the_stored_measurement_covers_every_lever_of_the_scenario(levers):
    import sim

    data = levers.read_data()
    scenario = sim.load_scenario(REPO / data["scenario"])
    on = {name for name in levers.LEVERS if getattr(scenario.process, name) is not None}
    assert on == set(levers.LEVERS)
    assert set(data["arms"]) == {"all_on", *(f"{lv}_off" for lv in levers.LEVERS)}
    assert all(len(rows) == data["reps"] >= 2 for rows in data["arms"].values())
    # the one priced lever's measured cost is its price (one analyst, $110k a year)
    cost = lambda arm: sum(r["cost_per_year_usd"] for r in data["arms"][arm]) / data["reps"]  # noqa: E731
    assert cost("all_on") - cost("data_driven_off") == pytest.approx(data["price_per_year_usd"]["data_driven"],
                                                                     rel=0.01)


def test_the_stored_measurement_is_of_the_scenario_as_it_is(levers):
    """A changed upright_triangle (or a new scenario key) makes the stored table stale."""
    assert levers.read_data()["scenario_hash"] == levers.resolved_hash(), (
        "upright_triangle.yaml changed since its levers were measured: run "
        "`python scripts/process_levers.py run --reps 6` (a few minutes) and commit docs/process_levers.json "
        "and docs/process.md")
