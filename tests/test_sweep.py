"""Sweeps, sensitivity, tornado data, and the compound-effect study.

The compound-effect study is checked against theory: with unlimited capacity
every stage is an independent coin flip, so lifting all k conversions by u
multiplies expected wins by exactly (1+u)^k -- the study's confidence
interval must contain it (and exclude (1+u)^(k-1) and (1+u)^(k+1), so the
check has teeth). With a capacity bottleneck the lift must *not* compound.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.cli.main import main
from sim.errors import ScenarioError, UsageError
from sim.experiments import compound_study, sweep
from sim.experiments.montecarlo.design import Param, design_matrix, parse_param
from tests.conftest import build, chain
from tests.test_batch import write_scenario

PROBS = [0.5, 0.6, 0.7, 0.8]


def funnel(weeks: float = 3, **kw):
    base = dict(headcount=[2, 2, 2], work_hours=[1.0, 1.0, 2.0], rate_per_week=40, hours_per_week=40)
    base.update(kw)
    return build(chain([0.5, 0.6, 0.7], **base), horizon_weeks=weeks)


CONV = "segments.only.steps.s2.conversion_probability=0.3:0.9"
ACV = "segments.only.acv_usd=5000:20000"


# ------------------------------------------------------------------ parameters and designs


def test_parse_param():
    p = parse_param("roles.r1.headcount=1:4:1")
    assert p == Param("roles.r1.headcount", 1.0, 4.0, 1.0, True) and p.column == "param:roles.r1.headcount"
    q = parse_param("sources.web.rate_per_week = 10:20")
    assert q.step is None and not q.integer and q.path == "sources.web.rate_per_week"
    assert not parse_param("a.b=0:1:0.25").integer
    for bad, msg in [("a.b", "expected key.path=LOW:HIGH"), ("a.b=1", "LOW:HIGH"), ("a.b=x:2", "must be numbers"),
                     ("a.b=2:1", "LOW must be below HIGH"), ("a.b=0:1:2", "STEP must be"), ("=1:2", "empty key"),
                     ("a..b=1:2", "empty key"), ("a.b=0:nan", "finite")]:
        with pytest.raises(UsageError, match=msg):
            parse_param(bad)


def test_designs_are_reproducible_and_well_formed():
    ps = [parse_param("a=0:1"), parse_param("b=1:4:1")]
    raw, snapped = design_matrix(ps, "lhs", 10, root_seed=3)
    again = design_matrix(ps, "lhs", 10, root_seed=3)[0]
    assert (raw == again).all() and not (raw == design_matrix(ps, "lhs", 10, root_seed=4)[0]).all()
    # Latin hypercube: one point in each of the 10 strata of every dimension
    strata = np.floor(raw[:, 0] * 10).astype(int)
    assert sorted(strata) == list(range(10))
    assert set(snapped[:, 1]) <= {1.0, 2.0, 3.0, 4.0}
    grid = design_matrix(ps, "grid", 3, 0)[1]
    assert len(grid) == 3 * 4 and set(grid[:, 0]) == {0.0, 0.5, 1.0}
    assert len(design_matrix(ps, "sobol", 8, 0)[0]) == 8 * (2 + 2)
    assert len(design_matrix(ps, "morris", 3, 0)[0]) == 3 * (2 + 1)
    with pytest.raises(UsageError, match="power of two"):
        design_matrix(ps, "sobol", 6, 0)
    with pytest.raises(UsageError, match="more than"):
        design_matrix([parse_param(f"p{i}=0:1") for i in range(6)], "grid", 10, 0)
    with pytest.raises(UsageError, match="given twice"):
        design_matrix([ps[0], ps[0]], "lhs", 4, 0)


# ------------------------------------------------------------------ sweeps


@pytest.fixture(scope="module")
def lhs_sweep():
    return sweep(funnel(), [CONV, ACV], design="lhs", samples=8, reps=3, metric="leads_won",
                 seed=2, executor="serial", progress=False)


def test_sweep_rows_sensitivity_and_tornado(lhs_sweep):
    s = lhs_sweep
    rows = s.replications
    n_points = 8 + 1 + 2 * 2  # design, base, one-at-a-time low/high per parameter
    assert len(rows) == n_points * 3 and rows.groupby("point")["rep"].apply(list).map(len).eq(3).all()
    assert {"param:segments.only.steps.s2.conversion_probability", "param:segments.only.acv_usd"} <= set(rows)
    design = rows[rows.design == "design"]
    assert design["param:segments.only.acv_usd"].between(5000, 20000).all()
    # wins depend on the conversion, not on deal size (acv draws have their own stream)
    sens = s.sensitivity.set_index("param")
    assert sens.loc["segments.only.steps.s2.conversion_probability", "spearman_rho"] > 0.8
    acv_rho = sens.loc["segments.only.acv_usd", "spearman_rho"]
    assert np.isnan(acv_rho) or abs(acv_rho) < 0.6
    torn = s.tornado
    assert torn["param"].iloc[0] == "segments.only.steps.s2.conversion_probability"
    assert torn["swing"].iloc[0] > 0 and torn["swing_ci_low"].iloc[0] > 0
    assert torn.set_index("param").loc["segments.only.acv_usd", "swing"] == 0  # common random numbers
    # the same runs, another KPI: bookings do depend on deal size
    assert s.tornado_for("bookings_usd").set_index("param").loc["segments.only.acv_usd", "swing"] > 0


def test_sobol_indices_rank_the_parameter_that_matters():
    s = sweep(funnel(weeks=2), [CONV, ACV], design="sobol", samples=8, reps=2, metric="leads_won",
              tornado_points=False, seed=1, executor="serial", progress=False)
    sens = s.sensitivity.set_index("param")
    assert sens.loc["segments.only.steps.s2.conversion_probability", "ST"] > 0.5
    assert abs(sens.loc["segments.only.acv_usd", "ST"]) < 0.1
    assert s.tornado is None or s.tornado.empty
    assert len(s.replications) == 8 * 4 * 2


def test_an_invalid_point_is_a_scenario_error_naming_it():
    with pytest.raises(ScenarioError, match="at sweep point"):
        sweep(funnel(), ["segments.only.steps.s2.conversion_probability=0.5:1.5"], design="grid", samples=3,
              reps=1, executor="serial", progress=False)
    with pytest.raises(ScenarioError, match="give a STEP"):
        sweep(funnel(), ["roles.r1.headcount=1:3"], design="lhs", samples=3, reps=1, executor="serial",
              progress=False)


def test_cli_sweep(tmp_path, capsys):
    path = write_scenario(tmp_path, funnel(weeks=2))
    rc = main(["sweep", path, "--param", "roles.r3.headcount=1:3:1", "--param", ACV, "--design", "grid",
               "--samples", "2", "--reps", "2", "--workers", "1", "--metric", "leads_won",
               "--out", str(tmp_path / "s")])
    out, err = capsys.readouterr()
    assert rc == 0, err
    assert "sweep: 6 grid point(s)" in out and "Spearman" in out and "Tornado of leads_won" in out
    assert {"points.csv", "replications.parquet", "sensitivity.csv", "tornado.csv"} <= {
        p.name for p in (tmp_path / "s").iterdir()}


@pytest.mark.parametrize("args, message", [
    ([], "sweep needs at least one --param"),
    (["--param", "roles.r1.headcount"], "expected key.path=LOW:HIGH"),
    (["--param", ACV, "--design", "sobol", "--samples", "6"], "power of two"),
    (["--param", ACV, "--design", "box"], "invalid choice: 'box'"),
    (["--param", ACV, "--metric", "leads_wonn"], "did you mean 'leads_won'"),
    (["--param", "roles.r1.headcont=1:2:1"], "unknown key 'headcont'"),
    (["--compound", "0.1,x"], "expected comma-separated lifts"),
    (["--compound", "1.5"], "would be"),
    (["--compound", "0.1", "--param", ACV], "drop --param"),
    (["--compound", "0.1", "--metric", "leads_wonn"], "did you mean 'leads_won'"),
])
def test_cli_sweep_bad_input_exits_2(tmp_path, capsys, args, message):
    path = write_scenario(tmp_path, funnel(weeks=1))
    rc = main(["sweep", path, "--reps", "1", "--out", str(tmp_path / "o"), *args])
    err = capsys.readouterr()[1]
    assert rc == 2, err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()


# ------------------------------------------------------------------ compound effect


def test_compound_effect_matches_the_power_law_with_unlimited_capacity():
    sc = build(chain(PROBS, rate_per_week=300), horizon_weeks=6)
    c = compound_study(sc, [0.1], reps=24, seed=3, executor="serial", progress=False)
    row = c.table.iloc[0]
    assert row["k"] == 4 and row["expected"] == pytest.approx(1.1 ** 4)
    assert row["ci_low"] <= 1.1 ** 4 <= row["ci_high"] and row["within_ci"]
    assert row["ci_high"] - row["ci_low"] < 0.08
    assert not row["ci_low"] <= 1.1 ** 3 <= row["ci_high"]
    assert not row["ci_low"] <= 1.1 ** 5 <= row["ci_high"]


def test_compound_effect_does_not_compound_past_a_bottleneck():
    """One closer with room for ~10 deals a week cannot win the extra deals."""
    sc = build(chain(PROBS, rate_per_week=300, headcount=[None, None, None, 1], work_hours=[0, 0, 0, 4],
                     hours_per_week=40), horizon_weeks=6)
    row = compound_study(sc, [0.1], reps=6, seed=3, executor="serial", progress=False).table.iloc[0]
    assert row["ci_high"] < 1.1 ** 4 and not row["within_ci"]


def test_cli_compound(tmp_path, capsys):
    path = write_scenario(tmp_path, build(chain(PROBS, rate_per_week=300), horizon_weeks=2))
    rc = main(["sweep", path, "--compound", "0.05,0.1", "--reps", "4", "--workers", "1",
               "--out", str(tmp_path / "c")])
    out, err = capsys.readouterr()
    assert rc == 0, err
    assert "compound-effect study" in out and "1.4641" in out and (tmp_path / "c" / "compound.csv").exists()


@pytest.mark.slow
def test_compound_effect_matches_the_power_law_for_several_lifts_slow():
    sc = build(chain(PROBS, rate_per_week=700), horizon_weeks=10)
    c = compound_study(sc, [0.02, 0.05, 0.1, 0.2], reps=60, seed=11, workers=2, progress=False)
    for _, row in c.table.iterrows():
        assert row["within_ci"], row.to_dict()
