"""The lint of ``salesim validate`` (sim/scenario/lint.py): each rule fires on a
scenario built to break it, stays quiet on the shipped scenarios except where
the warning is true and listed below, and the capacity estimate agrees with
the utilization a simulation measures."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

import sim
from sim.cli.main import main
from sim.scenario.capacity import available_hours, first_touch_decay, offered_hours, throttled
from sim.scenario.lint import RULES, lint
from tests.conftest import build, chain

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
SMALL = SCENARIOS / "small_team.yaml"
SHIPPED = sorted(p for p in SCENARIOS.glob("**/*.yaml") if "studies" not in p.relative_to(SCENARIOS).parts)

# The warnings the shipped scenarios give, each one true of the scenario:
# - crm_sample_truth generates a CRM history to fit; its reps have no costs (the fit does not read them).
# - inverted_triangle's generalists are asked for ~115% of their hours: a run shows them at ~97% utilization
#   with ~75 tasks waiting, the star-seller organization stretched thin; with a work model (30% of the week
#   for deals, set-ups between kinds of work) ~176%, and a run shows them at 100%.
# - three_tier with the strategic tier added: its key-account reps (~14 deals open for 10 places).
# - upright_triangle (and its variants) prices none of its process levers: the comparison with the inverted
#   triangle gets playbooks, tools, enablement and the data loop for free.
# - upright_triangle_selling_time leaves the MDR ~30% of its week for deals: ~108% asked, a run shows it at
#   100% and the speed-to-lead decay of the waiting leads cuts what reaches the AEs to a fifth (AE
#   utilization ~13% against ~58% without the work model).
# - upright_triangle_tiny has one AE for the inbound of a team: ~111% asked, the queue grows all run.
# - benchmark_default: crm_sample_truth (the truth a CRM sample is drawn from), seed_worked_example (a
#   worked example), three_tier's solutions engineers, the strategic tier's key-account reps and the
#   tiny variants keep the people model off for those roles: reps who never leave and start fully productive.
#
# FREE_LOOP: upright_triangle prices every lever; a variant's legacy loop is free.
FREE_LOOP = {("free_lever", "process.data_driven")}


def people(*roles: str) -> set[tuple[str, str]]:
    return {("benchmark_default", f"roles.{r}.people") for r in roles}


EXPECTED: dict[str, set[tuple[str, str]]] = {
    "crm_sample_truth.yaml": {("free_lever", "roles.mdr.loaded_cost_per_year_usd"),
                              ("free_lever", "roles.ae.loaded_cost_per_year_usd")} | people("ae", "mdr"),
    "inverted_triangle.yaml": {("over_capacity", "roles.rep.headcount")},
    "inverted_triangle_market_shock.yaml": {("over_capacity", "roles.rep.headcount")},
    "inverted_triangle_star_leaves.yaml": {("over_capacity", "roles.rep.headcount")},
    "inverted_triangle_office_hours.yaml": {("over_capacity", "roles.rep.headcount")},
    "inverted_triangle_tiny.yaml": people("rep") | {("over_capacity", "roles.rep.headcount")},
    "inverted_triangle_leavers.yaml": {("over_capacity", "roles.rep.headcount")},
    "inverted_triangle_orphans.yaml": {("over_capacity", "roles.rep.headcount")},
    "inverted_triangle_work_model.yaml": {("over_capacity", "roles.rep.headcount")},
    "seed_worked_example.yaml": people("ae", "sdr"),
    "seed_worked_example_plus10.yaml": people("ae", "sdr"),
    "three_tier.yaml": people("se"),
    "three_tier_value_exchange_renewal.yaml": people("se"),
    "three_tier_plus_strategic.yaml": {("over_capacity", "roles.key_account.headcount")} | people("se", "key_account"),
    "upright_triangle.yaml": set(),
    "upright_triangle_hiring_wave.yaml": set(),
    "upright_triangle_leavers.yaml": set(),
    "upright_triangle_office_hours.yaml": set(),
    "upright_triangle_own_benchmark.yaml": FREE_LOOP,  # the legacy loop, free
    "upright_triangle_selling_time.yaml": set(),
    "upright_triangle_tiny.yaml": {("over_capacity", "roles.ae.headcount")} | people("ae", "mdr"),
    "upright_triangle_work_model.yaml": {("over_capacity", "roles.onb.headcount")},
}


def small_data() -> dict:
    return yaml.safe_load(SMALL.read_text())


def found(scenario: sim.Scenario, rules: tuple[str, ...] | None = None) -> set[tuple[str, str]]:
    return {(f.rule, ".".join(map(str, f.path))) for f in lint(scenario, rules)}


CAPACITY = ("over_capacity",)


def rules_of(scenario: sim.Scenario) -> set[str]:
    return {f.rule for f in lint(scenario)}


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_scenarios_warn_only_where_listed(path):
    assert found(sim.load_scenario(path)) == EXPECTED.get(path.name, set())


def test_every_rule_is_exercised_here():
    # each rule below has a test that makes it fire; a new rule needs one too
    assert set(RULES) == {"idle_role", "implicit_entry", "unreached_stage", "unworked_segment", "over_capacity",
                          "free_lever", "benchmark_default", "stale_open_deal"}  # (stale_open_deal:
    # tests/test_initial_pipeline.py)


# --------------------------------------------------------------------------- routing rules


def test_small_team_without_entry_stage_warns():
    data = small_data()
    del data["sources"]["website"]["entry_stage"]
    assert ("implicit_entry", "sources.website.entry_stage") in found(build(data))
    assert rules_of(sim.load_scenario(SMALL)) == set()  # the same file with entry_stage: quiet


def test_inbound_only_copy_that_skips_the_sdr_warns_twice():
    # the report of the issue: stages start at mql, the SDR qualifies (mql -> sql), no entry_stage: the
    # default start is the second stage, sql, so the SDRs never get a lead
    data = small_data()
    data["stages"] = ["mql", "sql", "opportunity", "negotiation", "won"]
    data["steps"] = {k: v for k, v in data["steps"].items() if k != "mql"}
    data["steps"]["sql"]["role"] = "sdr"
    del data["roles"]["mdr"]
    del data["work_model"]["time_use"]["mdr"]
    data["work_model"]["managers"]["manages"].remove("mdr")
    for seg in data["segments"].values():
        del seg["steps"]["mql"]
    del data["sources"]["cold_outreach"]
    del data["sources"]["website"]["entry_stage"]
    data["roles"]["sdr"].pop("max_open_per_rep")
    data["roles"]["sdr"]["owns_leads"] = False
    got = found(build(data))
    assert ("implicit_entry", "sources.website.entry_stage") in got
    assert ("idle_role", "roles.sdr") in got
    data["sources"]["website"]["entry_stage"] = "mql"
    assert found(build(data)) == set()


def test_idle_role_when_its_source_is_gone():
    data = small_data()
    del data["sources"]["cold_outreach"]  # the SDR prospected that list; nothing else reaches steps.mql
    assert found(build(data)) == {("idle_role", "roles.sdr")}


def test_idle_role_after_a_conversion_of_zero():
    data = small_data()
    for seg in data["segments"].values():
        seg["steps"]["opportunity"]["conversion_probability"] = 0.0
    got = found(build(data))
    assert ("unreached_stage", "stages") in got
    # the AE still works the opportunity step, so it is not idle; with no wins the CSM is
    assert {key for rule, key in got if rule == "idle_role"} == {"roles.csm"}
    messages = [f.message for f in lint(build(data)) if f.rule == "unreached_stage"]
    assert len(messages) == 2 and "'negotiation'" in messages[0] and "'won'" in messages[1]


def test_unreached_stage_when_every_source_starts_after_it():
    data = small_data()
    data["sources"]["website"]["entry_stage"] = "sql"
    data["sources"]["cold_outreach"]["entry_stage"] = "sql"
    data["sources"]["cold_outreach"]["roles"] = {"opportunity": "sdr"}
    got = found(build(data))
    assert ("unreached_stage", "stages") in got  # mql: nobody starts before it
    assert ("idle_role", "roles.mdr") in got


def test_segment_no_source_produces():
    data = small_data()
    data["segments"]["enterprise"] = copy.deepcopy(data["segments"]["mid_market"])
    assert found(build(data)) == {("unworked_segment", "segments.enterprise")}


def test_source_segment_no_role_works():
    data = small_data()
    data["segments"]["smb"]["roles"] = {st: None for st in ("mql", "sql", "opportunity", "negotiation", "won")}
    data["sources"]["cold_outreach"]["roles"].update(mql="sdr", opportunity="ae", negotiation="ae", won="ae")
    got = found(build(data))
    assert ("unworked_segment", "sources.website.segment_mix.smb") in got
    assert not any(key.startswith("sources.cold_outreach") for _, key in got)  # its own role override works smb
    data["segments"]["smb"]["motion"] = "plg"  # self-serve by design: quiet
    assert not any(rule == "unworked_segment" for rule, _ in found(build(data)))


# --------------------------------------------------------------------------- capacity


def test_over_capacity_from_the_scenarios_own_rates():
    # 10 leads a week x 5 hours = 50 hours asked of one rep with 40: 125%
    over = build(chain([1.0], rate_per_week=10, headcount=[1], work_hours=[5.0], hours_per_week=40))
    assert offered_hours(over)["r1"] == pytest.approx(50.0)
    assert available_hours(over, "r1") == pytest.approx(40.0)
    assert found(over, CAPACITY) == {("over_capacity", "roles.r1.headcount")}
    assert "125%" in lint(over, CAPACITY)[0].message
    assert found(build(chain([1.0], rate_per_week=10, headcount=[2], work_hours=[5.0], hours_per_week=40))) == {
        ("free_lever", "roles.r1.loaded_cost_per_year_usd"),  # the chain's reps cost nothing,
        ("benchmark_default", "roles.r1.people")}  # never leave and never ramp


def test_capacity_counts_conversions_before_a_step():
    # the second role sees half the leads: 10 x 0.5 x 6 = 30 hours of its 40
    data = chain([0.5, 1.0], rate_per_week=10, headcount=[1, 1], work_hours=[1.0, 6.0], hours_per_week=40)
    assert offered_hours(build(data))["r2"] == pytest.approx(30.0)
    data["segments"]["only"]["steps"]["s1"]["conversion_probability"] = 0.9  # 54 hours: over
    assert found(build(data), CAPACITY) == {("over_capacity", "roles.r2.headcount")}


def test_small_team_inbound_flood_warns_for_the_mdr():
    data = small_data()
    data["sources"]["website"]["rate_per_week"] = 200
    assert ("over_capacity", "roles.mdr.headcount") in found(build(data))


def test_an_outbound_list_never_overloads_its_prospecting_role():
    # the cadence takes an account only when an SDR has room: a huge list fills the SDR, no more
    data = small_data()
    data["sources"]["cold_outreach"]["accounts"] = {"smb": 2_000_000, "mid_market": 500_000}
    data["roles"]["sdr"]["max_open_per_rep"] = 50_000  # no cap on accounts held: only hours pace the list
    scenario = build(data)
    assert offered_hours(scenario)["sdr"] == pytest.approx(available_hours(scenario, "sdr"))
    # the SDR is full, never over; what it passes on may overload the AE (the milder default speed-to-lead
    # decay lets more through)
    assert ("over_capacity", "roles.sdr.headcount") not in found(scenario)


def test_first_touch_waits_for_the_working_day(small_team):
    # around the clock (no calendar) nobody waits; office hours make night and weekend leads wait
    assert first_touch_decay(build(chain([1.0])), "r1", "web") == 1.0
    decay = first_touch_decay(small_team, "mdr", "website")
    assert 0.75 < decay < 0.95  # the default causal share (0.15) of the cross-firm association
    whole = first_touch_decay(small_team.model_copy(update={"speed_to_lead": small_team.speed_to_lead.model_copy(
        update={"causal_share": 1.0})}), "mdr", "website")
    assert 0.2 < whole < 0.8 and whole < decay  # the association taken whole costs more


@pytest.mark.parametrize("name", ["small_team.yaml", "mid_size.yaml", "crm_sample_truth.yaml", "three_tier.yaml",
                                  "variants/upright_triangle_selling_time.yaml"])
def test_estimate_agrees_with_simulated_utilization(name):
    # the lint reads hours a week from the scenario alone; a year's run measures them. Post-sale care
    # (CSM, AM) is not in the estimate; onboarding is, at the steady rate of wins (a first year with long
    # cycles onboards less: not compared); managers do no tasks.
    # A role asked for more than it can do works at most 100%, and passes on what it gets through.
    scenario = sim.load_scenario(SCENARIOS / name)
    fl, through = throttled(scenario)
    asked = offered_hours(scenario, fl, through)
    kpis = sim.simulate(scenario, seed=1).kpis["roles"]
    for role in scenario.roles:
        ps = scenario.post_sale
        if role in (ps.csm_role, ps.am_role, ps.onboarding_role) or asked[role] == 0:
            continue
        estimate = asked[role] * through.get(role, 1.0) / available_hours(scenario, role)
        assert estimate == pytest.approx(kpis[role]["utilization"], abs=LOOSER.get((name, role), 0.12)), role


# mid_size's field AEs: the estimate sits below the measured utilization by ~0.10 with the cross-firm speed-to-lead
# curve taken whole (0.55 vs 0.65, seed 1) and by ~0.16 with the milder default (0.67 vs 0.83): more enterprise
# leads get through, and the part the estimate misses grows with them (not located yet)
# mid_size's MDRs turn over at 0.6 a year (1.5 years in the seat): vacancies and ramping hires, which the estimate
# leaves out, put the measured utilization at 0.74 against an estimate of 0.55 (seed 1); without turnover and ramp it
# is 0.59, within the default tolerance
# upright_triangle's MDR turns over at 0.6 a year as well: 0.77 measured against an estimate of 0.59 (seed 1)
# mid_size's inside AEs: turnover of 0.3 a year with a 5-month ramp (and the managers' span just over 8 with the
# third field AE, which adds to attrition and ramp) puts the measured utilization at 0.55 against an estimate of
# 0.43 (seed 1); without turnover and ramp it is 0.51, within the default tolerance
# three_tier's MDRs turn over at 0.6 a year too: 0.78 measured against an estimate of 0.60 (seed 1). Its field AEs
# measure 0.62 against an estimate of 0.75: vacant seats (25% a year leave, 90 days to backfill) and six-month ramps
# leave part of the steady flow the estimate assumes unworked, and so its solutions engineers, who assist the field
# AEs' negotiations, measure 0.37 against 0.49
LOOSER = {("mid_size.yaml", "field_ae"): 0.2, ("mid_size.yaml", "mdr"): 0.2, ("mid_size.yaml", "ae"): 0.15,
          ("variants/upright_triangle_selling_time.yaml", "mdr"): 0.2, ("three_tier.yaml", "mdr"): 0.2,
          ("three_tier.yaml", "field_ae"): 0.16, ("three_tier.yaml", "se"): 0.16}


# --------------------------------------------------------------------------- money


def test_free_levers_and_free_reps():
    data = small_data()
    data.pop("work_model")  # the tools' multiplier on task hours (a work model moves admin time instead)
    data["process"] = {"tools": {"work_hours_multiplier": 0.8}}
    assert found(build(data)) == {("free_lever", "process.tools")}
    data["process"]["tools"]["cost_per_year_usd"] = 1200
    assert found(build(data)) == set()
    data["process"]["tools"] = {"work_hours_multiplier": 0.8, "ops_headcount": 1, "ops_loaded_cost_per_year_usd": 9e4}
    assert found(build(data)) == set()
    data["roles"]["ae"]["loaded_cost_per_year_usd"] = 0
    assert found(build(data)) == {("free_lever", "roles.ae.loaded_cost_per_year_usd")}


# --------------------------------------------------------------------------- the command


def test_validate_warns_exit_0_and_strict_exits_2(capsys, tmp_path):
    copy_ = tmp_path / "my_team.yaml"
    copy_.write_text(SMALL.read_text().replace("    entry_stage: mql\n", ""))
    assert main(["validate", str(copy_)]) == 0
    out, err = capsys.readouterr()
    assert out == f"{copy_}: ok (1 warning)\n"
    line = next(n for n, text in enumerate(copy_.read_text().splitlines(), 1) if text.strip() == "website:")
    assert err.startswith(f"salesim: warning: {copy_}:{line}: sources.website.entry_stage: source 'website' has no "
                          "entry_stage")
    assert err.rstrip().endswith("[implicit_entry]")
    assert main(["validate", "--strict", str(copy_), str(SMALL)]) == 2
    out, err = capsys.readouterr()
    assert out == f"{SMALL}: ok\n"
    assert err.startswith("salesim: error: ") and "[implicit_entry]" in err
    assert main(["validate", "--strict", str(SMALL)]) == 0


# --------------------------------------------------------------------------- benchmarks


def test_people_left_at_zero_where_the_benchmarks_say_otherwise():
    data = small_data()
    del data["roles"]["ae"]["people"]  # AEs who never leave and never ramp
    data["work_model"]["managers"]["manages"].remove("ae")  # (managers act on reps with a people section)
    got = [f for f in lint(build(data)) if f.rule == "benchmark_default"]
    assert [".".join(map(str, f.path)) for f in got] == ["roles.ae.people"]
    assert "attrition_per_year is 0" in got[0].message and "14%-35% a year" in got[0].message
    assert "ramp_days is 0" in got[0].message and "120-180 days" in got[0].message  # a closer: the AE row
    data["roles"]["mdr"]["people"]["attrition_per_year"] = 0  # the MDR qualifies: attrition only (it has a ramp)
    got = {".".join(map(str, f.path)): f.message for f in lint(build(data)) if f.rule == "benchmark_default"}
    assert "roles.mdr.people" in got and "ramp_days" not in got["roles.mdr.people"]
