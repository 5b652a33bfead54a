"""docs/process.md's lever-by-lever table is generated (scripts/process_levers.py render, from the stored
docs/process_levers.json): a hand edit of a figure fails here. The measurement itself (``run``) is not
repeated in the test suite."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from sim import markers

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


def test_the_readme_chain_is_what_the_script_renders(levers):
    text = levers.README.read_text()
    assert levers.CHAIN_BLOCK in markers.names(text) and levers.rendered_readme(text, levers.read_data()) == text, \
        "run `python scripts/process_levers.py render`"
    end = f"<!-- {levers.CHAIN_BLOCK}:end -->"
    edited = text.replace(end, "- `playbooks`: typed by hand\n" + end)
    assert levers.rendered_readme(edited, levers.read_data()) != edited  # a hand edit is caught


def test_a_hand_edited_figure_is_caught(levers):
    text = levers.DOC.read_text()
    body = next(b.body for b in markers.blocks(text) if b.name == levers.BLOCK)
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
    # every lever is priced as upright_triangle.yaml's comment says: playbooks a quarter of a $110k analyst,
    # tools $4,000 a seat (its 12 named seats) and enablement $2,020 a seat (13: the first-line manager
    # is trained too), the data loop one $110k analyst
    assert data["price_per_year_usd"] == {"playbooks": 0.25 * 110_000, "tools": 4000.0, "enablement": 2020.0,
                                          "data_driven": 110_000.0}
    cost = lambda arm: sum(r["cost_per_year_usd"] for r in data["arms"][arm]) / data["reps"]  # noqa: E731
    # the flat prices are measured whole; per-seat prices follow the filled seats (vacancies cost nothing)
    for lever, price in (("data_driven", 110_000), ("playbooks", 27_500)):
        assert cost("all_on") - cost(f"{lever}_off") == pytest.approx(price, rel=0.01)
    for lever, price in (("tools", 12 * 4000), ("enablement", 13 * 2020)):
        assert 0.85 * price <= cost("all_on") - cost(f"{lever}_off") <= price


def test_what_each_lever_acts_on_is_read_from_the_scenario(levers):
    import sim

    up = sim.load_scenario(REPO / "scenarios" / "upright_triangle.yaml")
    # an AE's week: 1 - 0.25 admin - 0.15 - 0.10 - 0.20 research - 0.05 travel = 25%; the playbooks' cut of
    # research alone gives 31%; the tools' cut of admin, 38%
    assert "admin hours -30% (role ae: deal share of the week 31% -> 38%)" in levers.channel(up, "tools")
    assert "research and preparation hours -30%" in levers.channel(up, "playbooks")
    bare = sim.load_scenario(REPO / "scenarios" / "upright_triangle.yaml", ["work_model=null"])
    assert levers.channel(bare, "tools").startswith("work hours of every task x0.8")  # the schema default


def test_the_stored_measurement_is_of_the_scenario_as_it_is(levers):
    """A changed upright_triangle (or a new scenario key) makes the stored table stale."""
    assert levers.read_data()["scenario_hash"] == levers.resolved_hash(), (
        "upright_triangle.yaml changed since its levers were measured: run "
        "`python scripts/process_levers.py run --reps 6` (a few minutes) and commit docs/process_levers.json "
        "and docs/process.md")
