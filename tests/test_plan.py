"""The capacity planner: search vs exhaustive grid, evidence, by-week targets, hiring plans, CLI."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml

import sim
from sim.cli.main import main
from sim.experiments.montecarlo.stats import wilson_interval
from sim.experiments.planner.decision import plan
from sim.experiments.planner.evaluate import wilson
from sim.experiments.planner.space import Target, make_space, window_value
from sim.scenario.loader import load_data
from tests.conftest import build, chain

VARY = ["roles.r1.headcount=1:3:1", "roles.r2.headcount=1:4:1"]
FAST = {"probability": 0.8, "reps_start": 8, "max_reps": 16, "workers": 1}


def two_roles(weeks: int = 8) -> dict:
    """Two capacity-bound roles in series (r1 $60k, r2 $100k a year): ~3 of each work all 30 leads a week."""
    d = chain([0.6, 0.5], rate_per_week=30, headcount=[1, 1], work_hours=[3, 6], hours_per_week=40,
              elapsed_days=1, name="two_roles")
    d["horizon_weeks"] = weeks
    d["roles"]["r1"]["loaded_cost_per_year_usd"] = 60000
    d["roles"]["r2"]["loaded_cost_per_year_usd"] = 100000
    return d


@pytest.fixture(scope="module")
def searched_and_grid():
    sc = build(two_roles())
    return (plan(sc, VARY, ["leads_won>=50"], recheck=16, **FAST),
            plan(sc, VARY, ["leads_won>=50"], method="grid", **FAST))


def test_search_finds_the_exhaustive_grid_optimum_with_fewer_simulations(searched_and_grid):
    s, g = searched_and_grid
    assert g.feasible and s.feasible
    assert s.set_lines == g.set_lines == ["roles.r1.headcount=2", "roles.r2.headcount=3"]
    # the grid optimum is the cheapest plan whose P-hat at max_reps reaches P
    gc = g.candidates
    cheaper = gc[gc["objective"] < g.recommended["objective"]]
    assert len(cheaper) and (cheaper["probability"] < 0.8).all()
    assert s.search["simulations"] < g.search["simulations"]
    assert g.search["simulations"] == 12 * 16 and s.search["grid_simulations"] == 12 * 16


@pytest.mark.slow
def test_search_matches_the_grid_on_a_larger_space_with_a_third_of_the_simulations_slow():
    sc = build(two_roles())
    vary, kw = ["roles.r1.headcount=1:4:1", "roles.r2.headcount=1:5:1"], dict(FAST, max_reps=32)
    s = plan(sc, vary, ["leads_won>=50"], recheck=32, **kw)
    g = plan(sc, vary, ["leads_won>=50"], method="grid", **kw)
    assert s.set_lines == g.set_lines == ["roles.r1.headcount=2", "roles.r2.headcount=3"]
    assert s.search["simulations"] <= g.search["simulations"] / 3
    assert s.recheck["feasible"] and s.recheck["within_search_ci"]


def test_one_step_cheaper_neighbours_are_infeasible_and_recheck_agrees(searched_and_grid):
    s, _ = searched_and_grid
    nb = s.neighbours
    assert set(nb["change"]) == {"one fewer", "one more"} and len(nb) == 4
    cheaper = nb[nb["objective_change"] < 0]
    assert len(cheaper) == 2 and (cheaper["status"] == "infeasible").all()
    c = s.recheck  # 32 replications on seeds the search never used
    assert c["n"] == 16 and c["feasible"] and c["within_search_ci"]
    assert s.recommended["ci_low"] >= 0.8 or s.recommended["n"] == 16
    assert s.binding["variables"] == ["roles.r1.headcount", "roles.r2.headcount"]
    assert s.binding["role"] in ("r1", "r2") and s.binding["utilization"] > 0.8


def test_frontier_is_cheapest_first_with_rising_probability(searched_and_grid):
    s, _ = searched_and_grid
    f = s.frontier
    assert f["objective"].is_monotonic_increasing and f["probability"].is_monotonic_increasing
    assert (f["probability"].diff().dropna() > 0).all()
    rec = s.recommended
    assert ((f["objective"] == rec["objective"]) & (f["probability"] == rec["probability"])).any()


def test_cost_follows_headcount_and_a_cheaper_plan_is_never_recommended_over_a_feasible_one(searched_and_grid):
    _, g = searched_and_grid
    c = g.candidates.set_index(["roles.r1.headcount", "roles.r2.headcount"])
    # salaries over 8 weeks: $60k and $100k a year per head
    step = 8 * 7 / 365.25
    assert c.loc[(2, 3), "objective"] - c.loc[(1, 3), "objective"] == pytest.approx(60000 * step, rel=1e-6)
    assert c.loc[(2, 3), "objective"] - c.loc[(2, 2), "objective"] == pytest.approx(100000 * step, rel=1e-6)


def test_wilson_interval_is_scipys_and_matches_the_batch_one():
    for hits, n in ((0, 8), (8, 8), (5, 8), (26, 32)):
        assert wilson(hits, n, 0.95) == pytest.approx(wilson_interval(hits, n, 0.95), abs=1e-9)


def test_window_values_sum_flows_and_difference_stocks():
    weekly = pd.DataFrame({"rep": [0] * 4 + [1] * 4, "week": [0, 1, 2, 3] * 2,
                           "arr_new_usd": [1.0, 2.0, 3.0, 4.0, 10.0, 20.0, 30.0, 40.0],
                           "arr_usd": [1.0, 3.0, 6.0, 10.0, 5.0, 5.0, 5.0, 9.0]})
    assert window_value(weekly, "arr_new_usd", (0, 2)) == {0: 3.0, 1: 30.0}  # weeks 1-2
    assert window_value(weekly, "arr_new_usd", (2, 4)) == {0: 7.0, 1: 70.0}  # weeks 3-4
    assert window_value(weekly, "arr_usd", (0, 3)) == {0: 6.0, 1: 5.0}  # at the end of week 3
    assert window_value(weekly, "arr_usd", (1, 4)) == {0: 9.0, 1: 4.0}  # change from week 1 to 4
    t = Target("arr_new_usd", ">=", 5.0, (2, 4), "arr_new_usd")
    assert t.column == "arr_new_usd@2:4" and list(t.met(np.array([4.0, 5.0, np.nan]))) == [False, True, False]


def test_by_week_target_reads_the_weekly_series():
    """bookings by week 4 are the first four weeks' bookings, so a plan can be judged before the horizon."""
    sc = build(two_roles(weeks=8))
    r = plan(sc, ["roles.r2.headcount=1:2:1"], ["bookings_usd>=1"], by_week="4", probability=0.5,
             reps_start=4, max_reps=4, workers=1, patience=0)
    assert "p[bookings_usd@4>=1]" in r.candidates.columns
    full = sim.simulate(sc, seed=sim.experiments.runner.seeds.replication_seed(sc.seed, 0), record="kpis")
    by4 = full.weekly.loc[full.weekly["week"] < 4, "bookings_usd"].sum()
    assert 0 < by4 < full.kpis["bookings_usd"]


def test_hiring_plan_becomes_timeline_hires_that_cost_from_their_hire_date(tmp_path):
    d = two_roles(weeks=26)
    path = tmp_path / "h.yaml"
    path.write_text(yaml.safe_dump(d))
    data, origins = load_data(path)
    base = sim.load_scenario(path)
    space = make_space(data, origins, str(path), base, ["hires.r2.q1=0:2", "hires.r2.q2=0:2"])
    assert space.shape == (3, 3)
    sc = space.scenario((1, 2))
    assert [(e.week, e.role, e.count) for e in sc.timeline] == [(0, "r2", 1), (13, "r2", 2)]
    lines = space.set_lines((1, 2))
    assert lines == ["timeline=[{week: 0, action: hire, role: r2, count: 1}, "
                     "{week: 13, action: hire, role: r2, count: 2}]"]
    assert sim.load_scenario(path, lines) == sc  # the --set line is the plan
    early = sim.simulate(space.scenario((2, 0)), seed=1, record="kpis").kpis["costs"]["salaries_by_role_usd"]["r2"]
    late = sim.simulate(space.scenario((0, 2)), seed=1, record="kpis").kpis["costs"]["salaries_by_role_usd"]["r2"]
    assert early - late == pytest.approx(2 * 100000 * 13 * 7 / 365.25, rel=1e-6)


def _write(tmp_path, data: dict) -> str:
    path = tmp_path / "two_roles.yaml"
    path.write_text(yaml.safe_dump(data))
    return str(path)


def test_cli_plan_writes_the_decision_and_resumes(tmp_path, capsys):
    path = _write(tmp_path, two_roles())
    out = tmp_path / "p"
    args = ["plan", path, "--vary", VARY[1], "--set", "roles.r1.headcount=2", "--target", "leads_won>=45",
            "--probability", "0.8", "--max-reps", "16", "--workers", "1", "--out", str(out)]
    rc = main(args)
    text, err = capsys.readouterr()
    assert rc == 0, err
    assert "--set roles.r2.headcount=2" in text
    assert "capacity: utilization" in text and "One step either way" in text and "simulations" in text
    assert {"plan.json", "candidates.csv", "frontier.csv", "frontier.png", "neighbours.csv",
            "recommended.scenario.yaml", "manifest.json"} <= {p.name for p in out.iterdir()}
    doc = json.loads((out / "plan.json").read_text())
    assert doc["feasible"] and doc["set"] == ["roles.r2.headcount=2"]
    assert main([*args, "--resume"]) == 0
    again = json.loads((out / "plan.json").read_text())
    assert again["set"] == doc["set"] and again["search"]["simulations_run_here"] == 0
    assert again["search"]["simulations"] == doc["search"]["simulations"]


def test_cli_plan_unreachable_target_exits_1_with_the_best_plan(tmp_path, capsys):
    path = _write(tmp_path, two_roles(weeks=4))
    rc = main(["plan", path, "--vary", "roles.r2.headcount=1:2:1", "--target", "leads_won>=1000",
               "--max-reps", "8", "--workers", "1", "--out", str(tmp_path / "u")])
    text, err = capsys.readouterr()
    assert rc == 1
    assert "no plan reached P(leads_won>=1000) >= 80%" in err and "best P found was 0.0%" in err
    assert "roles.r2.headcount=" in err and "Traceback" not in err
    assert not json.loads((tmp_path / "u" / "plan.json").read_text())["feasible"]



@pytest.mark.parametrize("budget", [4, 12, 26])
def test_the_budget_caps_every_simulation_not_only_the_rounds(budget):
    """--budget is a cap: the search, the neighbours and the re-check together never run more
    (whole blocks of reps_start // 2 = 4), and the search says it stopped on the budget."""
    r = plan(build(two_roles(weeks=4)), VARY, ["leads_won>=20"], recheck=8, budget=budget, **FAST)
    assert r.search["simulations"] <= budget
    assert r.search["simulations"] > budget - 4  # whole blocks, as many as fit
    assert "budget" in r.search["stop"]


def test_a_budget_below_one_block_is_refused_before_any_simulation(tmp_path, capsys):
    path = _write(tmp_path, two_roles())
    rc = main(["plan", path, "--workers", "1", "--out", str(tmp_path / "o"), "--vary", VARY[0],
               "--target", "leads_won>=5", "--budget", "3"])
    err = capsys.readouterr()[1]
    assert rc == 2 and "--budget 3: less than one block of 4 replications" in err
    assert not (tmp_path / "o").exists()

@pytest.mark.parametrize("args, message", [
    (["--target", "leads_won>=5"], "plan needs at least one --vary"),
    (["--vary", VARY[0]], "plan needs at least one --target"),
    (["--vary", "roles.zz.headcount=1:2:1", "--target", "leads_won>=5"], "roles has no 'zz'"),
    (["--vary", VARY[0], "--target", "leads_wonn>=5"], "did you mean 'leads_won'"),
    (["--vary", VARY[0], "--target", "leads_won>=5", "--minimize", "cost"], "--minimize cost: no such KPI"),
    (["--vary", VARY[0], "--target", "leads_won>=5", "--by-week", "9"], "after the 8-week horizon"),
    (["--vary", VARY[0], "--target", "win_rate>=0.1", "--by-week", "4"], "has no weekly series"),
    (["--vary", VARY[0], "--target", "leads_won>=5", "--probability", "1.5"], "expected a probability"),
    (["--vary", "hires.r9.q1=0:2", "--target", "leads_won>=5"], "no role 'r9'"),
    (["--vary", "hires.r1.q5=0:2", "--target", "leads_won>=5"], "does not start within"),
    (["--vary", VARY[0], "--target", "leads_won>=5", "--resume"], "--resume needs --out"),
    (["--vary", VARY[0], "--target", "leads_won>=5", "--max-reps", "4", "--reps-start", "8"], "at least --reps-start"),
])
def test_cli_plan_bad_input_exits_2(tmp_path, capsys, args, message):
    path = _write(tmp_path, two_roles())
    out = [] if "--resume" in args else ["--out", str(tmp_path / "o")]
    rc = main(["plan", path, "--workers", "1", *out, *args])
    err = capsys.readouterr()[1]
    assert rc == 2, err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()


def test_targets_carry_their_own_week_for_quarterly_milestones():
    from sim.experiments.planner.space import make_targets

    got = make_targets(["won>=5@4", "arr_new_usd>=1@2:6", "leads_won>=3"], None, ["leads_won"],
                       ["won", "arr_new_usd"], 8)
    assert [(t.column, t.window, t.weekly) for t in got] == [
        ("won@4", (0, 4), "won"), ("arr_new_usd@2:6", (2, 6), "arr_new_usd"), ("leads_won", None, None)]
    with pytest.raises(sim.SalesimError, match="after the 8-week horizon"):
        make_targets(["won>=5@9"], None, ["leads_won"], ["won"], 8)


def test_hiring_plan_search_hires_when_the_quarterly_milestones_need_it():
    """Q1 wins need a Q1 hire, the half-year total a second hire by Q2: the cheapest plan is one of each."""
    d = two_roles(weeks=26)
    d["roles"]["r1"]["headcount"] = 3
    r = plan(build(d), ["hires.r2.q1=0:2", "hires.r2.q2=0:2"], ["leads_won>=60@13", "leads_won>=200@26"],
             probability=0.5, reps_start=2, max_reps=4, workers=1, patience=2)
    assert r.set_lines == ["timeline=[{week: 0, action: hire, role: r2, count: 1}, "
                           "{week: 13, action: hire, role: r2, count: 1}]"]
    assert r.recommended["p[leads_won@13>=60]"] >= 0.5 and r.recommended["p[leads_won@26>=200]"] >= 0.5
    assert r.binding["variables"] == ["hires.r2.q1", "hires.r2.q2"]  # one fewer hire in either quarter fails


def test_two_workers_give_the_one_worker_answer_to_the_last_digit():
    """On two workers a small round's blocks go out one replication per task and are put back
    together before they are saved: the candidates, estimates and answer are those of one worker."""
    sc = build(two_roles(weeks=4))
    kw = dict(FAST, recheck=4, by_week="1:4")
    one = plan(sc, VARY, ["leads_won>=20"], **kw)
    two = plan(sc, VARY, ["leads_won>=20"], **{**kw, "workers": 2})
    assert two.search["executor"].startswith("process pool")
    drop = [c for c in one.candidates.columns if "runtime" in c]
    pd.testing.assert_frame_equal(one.candidates.drop(columns=drop), two.candidates.drop(columns=drop))
    assert one.set_lines == two.set_lines and one.search["simulations"] == two.search["simulations"]
