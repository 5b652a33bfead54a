"""The assumption sheet's provenance of each scenario input (sim.report.assumptions)."""

from __future__ import annotations

from pathlib import Path

from sim.report.assumptions import ASSUMED, BENCHMARK, FITTED, YOURS, counts, differences, inputs
from sim.scenario.loader import load_scenario

REPO = Path(__file__).resolve().parents[1]
SMALL = REPO / "scenarios" / "small_team.yaml"


def _by_key(rows):
    return {r.key: r for r in rows}


def test_set_keys_are_yours_and_defaults_are_assumed():
    sc = load_scenario(SMALL, ["roles.ae.headcount=3"])
    rows = _by_key(inputs(sc, ["roles.ae.headcount=3"]))
    assert rows["roles.ae.headcount"].kind == YOURS and rows["roles.ae.headcount"].note == "--set"
    assert rows["roles.ae.headcount"].value == "3"
    assert rows["sources.website.rate_per_week"].kind == YOURS  # required: always the user's
    # a key set to exactly salesim's default reads as the default (the folder keeps the scenario as run)
    assert rows["roles.csm.headcount"].kind == ASSUMED and rows["roles.ae.headcount"].kind == YOURS
    # a key the file leaves out takes salesim's default, without a source: assumed
    assert rows["roles.mdr.commission_rate"].kind == ASSUMED
    n = counts(rows.values())
    assert n[YOURS] > 50 and n[ASSUMED] > 50 and n[FITTED] == 0


def test_a_default_key_left_at_zero_shows_the_benchmark_range():
    sc = load_scenario(SMALL, ["roles.csm.people={}"])
    rows = _by_key(inputs(sc))
    row = rows["roles.csm.people.attrition_per_year"]
    assert row.kind == ASSUMED and row.note.startswith("benchmark table:"), row


def test_a_cited_default_is_a_benchmark():
    sc = load_scenario(REPO / "scenarios" / "variants" / "mid_size_quarter_end.yaml")
    rows = inputs(sc)
    cited = [r for r in rows if r.kind == BENCHMARK]
    assert any("Larkin 2014" in r.note for r in cited), [r for r in rows if r.key.startswith("deals")]


def test_a_fitted_scenario_marks_its_fitted_keys():
    sc = load_scenario(SMALL, ["description=fitted to 812 opportunities from crm.csv"])
    rows = _by_key(inputs(sc))
    row = rows["segments.smb.acv_usd.median"]
    assert row.kind == FITTED and "812" in row.note
    assert rows["roles.ae.headcount"].kind == YOURS  # the organization is not fitted


def test_differences_list_only_keys_that_differ():
    a = load_scenario(SMALL)
    b = load_scenario(SMALL, ["roles.ae.headcount=4"])
    assert differences([("a", a), ("b", b)]) == [["roles.ae.headcount", "6", "4"]]
