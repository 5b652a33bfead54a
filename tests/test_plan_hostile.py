"""``salesim plan`` with huge or malformed decision spaces and targets: refused at once, exit 2.

Every range is counted (not listed) against the level cap before anything is
built, whatever kind of variable it is; the number of plans is exact; errors
name the planner's own flags; whole-numbered keys get whole levels.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pandas as pd
import pytest
import yaml

import sim
import sim.experiments.planner.decision as planner
from sim.cli.main import main
from sim.experiments.planner.space import MAX_LEVELS, make_space
from sim.scenario.loader import load_data
from tests.test_plan import two_roles


def _write(tmp_path, weeks: int = 4) -> str:
    path = tmp_path / "two_roles.yaml"
    path.write_text(yaml.safe_dump(two_roles(weeks=weeks)))
    return str(path)


@pytest.fixture
def no_simulation(monkeypatch):
    """Refused inputs must be refused before the KPI names are looked up or any replication runs."""
    def boom(*_a, **_k):
        raise AssertionError("a simulation ran before the input was refused")

    monkeypatch.setattr(planner, "report_names", boom)
    monkeypatch.setattr(planner, "Evaluator", boom)


def _refused(tmp_path, capsys, *args) -> str:
    out = tmp_path / "o"
    rc = main(["plan", _write(tmp_path), "--workers", "1", "--out", str(out), *args])
    err = capsys.readouterr()[1]
    assert rc == 2, err
    assert "Traceback" not in err and "--param" not in err
    assert not out.exists()
    return err


def test_two_hundred_million_hires_are_refused_without_building_them(tmp_path):
    """The issue's command: the range is counted, not listed (old code built a 200-million tuple).
    Run under a 1 GiB address-space limit so the old behaviour fails fast instead of eating memory."""
    path = _write(tmp_path)
    code = ("import resource, sys\n"
            "resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))\n"
            "from sim.cli.main import main\n"
            "sys.exit(main(sys.argv[1:]))\n")
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, "-c", code, "plan", path, "--vary", "hires.r2.q1=0:200000000",
                        "--target", "leads_won>=1", "--workers", "1", "--out", str(tmp_path / "o")],
                       capture_output=True, text=True, timeout=120, env=env)
    assert r.returncode == 2, r.stderr[-2000:]
    assert "--vary hires.r2.q1=0:200000000: 200000001 levels is more than 1000" in r.stderr
    assert "Traceback" not in r.stderr and "MemoryError" not in r.stderr
    assert time.perf_counter() - t0 < 60
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("vary, count", [
    ("hires.r2.q1=0:5000", "5001"),                           # a hiring plan
    ("hires.r2.q1=0:1e300", "1.0e300"),                        # counted with Python ints, no overflow
    ("roles.r2.headcount=0:5000", "5001"),                     # a whole-numbered key, step 1
    ("roles.r2.headcount=0:1e300:7", "1.4e299"),
    ("seed=-1e308:1e308", "2.0e308"),                          # a whole-numbered key at the float limits
    ("roles.r2.hours_per_week=1:168:0.01", "16701"),           # a number on a STEP grid
    ("roles.r2.hours_per_week=1:168:1e-300", "1.7e302"),
    ("segments.only.acv_usd=1000:1000000:10", "99901"),
])
def test_every_kind_of_variable_shares_the_level_cap(tmp_path, capsys, no_simulation, vary, count):
    err = _refused(tmp_path, capsys, "--vary", vary, "--target", "leads_won>=1")
    assert f"--vary {vary}: {count} levels is more than {MAX_LEVELS}" in err


def test_a_range_too_wide_to_compute_is_refused(tmp_path, capsys, no_simulation):
    err = _refused(tmp_path, capsys, "--vary", "roles.r2.hours_per_week=-1e308:1e308", "--target", "leads_won>=1")
    assert "--vary roles.r2.hours_per_week=-1e308:1e308: HIGH - LOW is too large" in err


SEVEN = ["roles.r1.loaded_cost_per_year_usd=1000:1000000:1000", "roles.r2.loaded_cost_per_year_usd=1000:1000000:1000",
         "segments.only.acv_usd=1000:1000000:1000", "segments.only.steps.s1.work_hours=1:1000:1",
         "segments.only.steps.s2.work_hours=1:1000:1", "segments.only.steps.s1.elapsed_days=1:1000:1",
         "segments.only.steps.s2.elapsed_days=1:1000:1"]


def test_the_number_of_plans_is_exact_for_seven_variables_of_a_thousand_levels(tmp_path):
    from sim.experiments.planner.space import count_text

    path = _write(tmp_path)
    data, origins = load_data(path)
    space = make_space(data, origins, path, sim.load_scenario(path), SEVEN)
    assert space.shape == (1000,) * 7 and space.size == 10**21  # an int64 product overflows here
    assert count_text(space.size) == "1.0e21" and count_text(999) == "999"


def test_the_report_prints_a_huge_plan_space_sensibly(tmp_path, capsys):
    out = tmp_path / "p"
    args = ["plan", _write(tmp_path, weeks=2), "--workers", "1", "--out", str(out), "--target", "leads_won>=0",
            "--reps-start", "2", "--max-reps", "2", "--budget", "4", "--patience", "0", "--initial", "2"]
    for v in SEVEN:
        args += ["--vary", v]
    rc = main(args)
    text, err = capsys.readouterr()
    assert rc == 0, err
    line = next(x for x in text.splitlines() if x.startswith("searched "))
    assert " of 1.0e21 plans " in line and "full grid's 2.0e21 at 2 replications" in line and "(<1% of" in line
    assert "-" not in line.split(" plans ")[0]  # never a negative (overflowed) count
    assert json.loads((out / "plan.json").read_text())["search"]["plans_in_space"] == 10**21


@pytest.mark.parametrize("vary, message", [
    ("roles.r2.headcount=1", "--vary roles.r2.headcount=1: expected LOW:HIGH or LOW:HIGH:STEP"),
    ("roles.r2.headcount=x:3", "--vary roles.r2.headcount=x:3: LOW, HIGH and STEP must be numbers"),
    ("roles.r2.headcount=3:1", "--vary roles.r2.headcount=3:1: LOW must be below HIGH"),
    ("roles.r2.headcount=2:2", "--vary roles.r2.headcount=2:2: LOW must be below HIGH"),
    ("roles.r2.headcount=1:4:0", "--vary roles.r2.headcount=1:4:0: STEP must be > 0"),
    ("roles.r2.headcount=1:4:-1", "--vary roles.r2.headcount=1:4:-1: STEP must be > 0"),
    ("roles.r2.headcount=nan:4", "--vary roles.r2.headcount=nan:4: LOW, HIGH and STEP must be finite"),
    ("roles.r2.headcount=1:inf", "--vary roles.r2.headcount=1:inf: LOW, HIGH and STEP must be finite"),
    ("roles.r2.headcount=1:1e400", "must be finite"),
    ("", "--vary '': expected key.path=LOW:HIGH[:STEP]"),
    ("=1:3", "--vary =1:3: empty key path"),
    ("roles..headcount=1:3", "empty key path"),
    ("roles.r2.headcount=1:4:0.5", "--vary roles.r2.headcount=1:4:0.5: roles.r2.headcount is a whole number"),
    ("roles.r2.headcount=1.5:4", "roles.r2.headcount is a whole number; LOW, HIGH and STEP must be whole"),
    ("hires.r2.q1=0:3:0.5", "--vary hires.r2.q1=0:3:0.5: hires are whole numbers >= 0"),
    ("hires.r2.q1=0.5:3", "hires are whole numbers >= 0"),
    ("hires.r2.q1=-2:3", "--vary hires.r2.q1=-2:3: hires are whole numbers >= 0"),
    ("hires.r2.q0=0:2", "quarter 0 does not start within"),
    ("hires.r2.q99999999999999999999=0:2", "does not start within"),
    # values the scenario format refuses, at the lowest or the highest level, named by --vary
    ("roles.r2.headcount=-3:2", "--vary roles.r2.headcount=-3:2: roles.r2.headcount: Input should be greater "
                                "than or equal to 0"),
    ("roles.r2.hours_per_week=10:400", "--vary roles.r2.hours_per_week=10:400: roles.r2.hours_per_week: Input "
                                       "should be less than or equal to 168"),
    ("hires.r2.q1=0:20000:100", "--vary hires.r2.q1=0:20000:100: timeline.0.count: Input should be less than "
                                "or equal to 10000"),
    ("name=1:3", "--vary name=1:3: name: Input should be a valid string"),
])
def test_bad_ranges_exit_2_naming_vary_before_any_simulation(tmp_path, capsys, no_simulation, vary, message):
    err = _refused(tmp_path, capsys, "--vary", vary, "--target", "leads_won>=1")
    assert message in err


@pytest.mark.parametrize("args, message", [
    (["--vary", "roles.r2.headcount=1:3", "--vary", "roles.r2.headcount=2:4"],
     "--vary roles.r2.headcount: given twice"),
    (["--vary", "roles.r2.headcount=1:3", "--vary", " roles.r2.headcount = 2:4"], "given twice"),
    (["--vary", "hires.r2.q1=0:2", "--vary", "hires.r2.q01=0:3"], "--vary hires.r2.q1: given twice"),
])
def test_a_key_varied_twice_is_refused(tmp_path, capsys, no_simulation, args, message):
    assert message in _refused(tmp_path, capsys, *args, "--target", "leads_won>=1")


@pytest.mark.parametrize("target, message", [
    ("leads_won>=1e300", "--target leads_won>=1e300: 1e300 is beyond any value a run reports"),
    ("leads_won<=-1e16", "is beyond any value a run reports"),
    ("leads_won>=1e400", "--target leads_won>=1e400: the value must be finite"),
    ("leads_won>=nan", "--target leads_won>=nan: the value must be finite"),
    ("leads_won>=-inf", "the value must be finite"),
    ("", "--target '': expected KPI=VALUE"),
    ("leads_won", "--target leads_won: expected KPI=VALUE"),
    ("leads_won>=abc", "'abc' is not a number"),
    ("leads_won>=3@0", "--target leads_won>=3@0: expected W >= 1"),
    ("leads_won>=3@5:2", "--target leads_won>=3@5:2: expected W >= 1"),
    ("leads_won>=3@99999999999999999999", "--target leads_won>=3@99999999999999999999: week 99999999999999999999 "
                                          "is after the 4-week horizon"),
])
def test_bad_targets_exit_2_before_any_simulation(tmp_path, capsys, no_simulation, target, message):
    assert message in _refused(tmp_path, capsys, "--vary", "roles.r2.headcount=1:3", "--target", target)


@pytest.mark.parametrize("args, message", [
    (["--target", "leads_wonn>=1"], "--target leads_wonn: no such KPI (did you mean 'leads_won'"),
    (["--target", "no_such_kpi>=1"], "--target no_such_kpi: no such KPI"),
    (["--target", "leads_won>=1", "--minimize", "no_such_kpi"], "--minimize no_such_kpi: no such KPI"),
    (["--target", "leads_won>=1", "--minimize", ""], "--minimize '': expected a KPI name"),
    (["--target", "leads_won>=1", "--by-week", ""], "--by-week '': expected a whole week"),
    (["--target", "leads_won>=1", "--by-week", "-3"], "--by-week -3: expected W >= 1"),
    (["--target", "leads_won>=1", "--initial", "0"], "--initial"),
])
def test_unknown_kpis_and_bad_flags_exit_2(tmp_path, capsys, args, message):
    assert message in _refused(tmp_path, capsys, "--vary", "roles.r2.headcount=1:3", *args)


def test_a_whole_numbered_key_without_a_step_gets_whole_levels(tmp_path):
    path = _write(tmp_path)
    data, origins = load_data(path)
    base = sim.load_scenario(path)
    space = make_space(data, origins, path, base, ["roles.r2.headcount=1:4", "roles.r1.headcount=1:7:3",
                                                   "seed=0:2", "roles.r2.hours_per_week=20:40"])
    assert [v.levels for v in space.variables[:3]] == [(1, 2, 3, 4), (1, 4, 7), (0, 1, 2)]
    assert all(type(x) is int for v in space.variables[:3] for x in v.levels)
    assert len(space.variables[3].levels) == 11  # a number that need not be whole: evenly spaced
    assert space.set_lines((1, 2, 0, 0))[:2] == ["roles.r2.headcount=2", "roles.r1.headcount=7"]


def test_cli_plan_over_headcount_without_a_step_runs_on_whole_reps(tmp_path, capsys):
    """The issue's ``roles.ae.headcount=1:4``: no 1.6 reps mid-search, no exit 2."""
    out = tmp_path / "p"
    rc = main(["plan", _write(tmp_path), "--vary", "roles.r2.headcount=1:4", "--set", "roles.r1.headcount=3",
               "--target", "leads_won>=1", "--probability", "0.5", "--reps-start", "2", "--max-reps", "2",
               "--patience", "0", "--workers", "1", "--out", str(out)])
    text, err = capsys.readouterr()
    assert rc == 0, err
    assert " of 4 plans " in text
    seen = pd.read_csv(out / "candidates.csv")["roles.r2.headcount"]
    assert set(seen) <= {1, 2, 3, 4} and (seen == seen.round()).all()


def test_the_python_api_caps_the_exhaustive_grid_and_checks_initial(tmp_path, no_simulation):
    sc = sim.load_scenario(_write(tmp_path))
    with pytest.raises(sim.SalesimError, match="more than 100000"):
        planner.plan(sc, ["roles.r1.headcount=1:1000", "roles.r2.headcount=1:1000"], ["leads_won>=1"],
                     method="grid", workers=1)
    with pytest.raises(sim.SalesimError, match="--initial"):
        planner.plan(sc, ["roles.r1.headcount=1:3"], ["leads_won>=1"], initial=-5, workers=1)
