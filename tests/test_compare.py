"""Paired comparisons with common random numbers (CRN).

The key check: with CRN the variance of paired differences must be far below
what independent seeds give for the same two scenarios -- measured, not
assumed, by running the challenger again under another root seed.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from sim.cli.main import main
from sim.errors import UsageError
from sim.experiments import compare, run_batch
from sim.experiments.montecarlo.stats import paired_stats
from tests.conftest import build, chain
from tests.test_batch import write_scenario

SETUP = dict(headcount=[2, 2, 2], work_hours=[1.0, 2.0, {"dist": "exponential", "mean": 4.0}],
             rate_per_week=40, hours_per_week=40)


def scenario(p2: float = 0.6, name: str = "base", weeks: float = 8):
    return build(chain([0.5, p2, 0.7], name=name, **SETUP), horizon_weeks=weeks)


@pytest.fixture(scope="module")
def crn():
    return compare([scenario(), scenario(0.66, "better")], 30, seed=1, executor="serial", progress=False)


def test_crn_reduces_the_variance_of_paired_differences_against_independent_seeds(crn):
    reps = crn.replications
    a = reps[reps.scenario == "base"].set_index("rep")["leads_won"]
    b = reps[reps.scenario == "better"].set_index("rep")["leads_won"]
    b_indep = run_batch(scenario(0.66, "better"), 30, seed=1001, executor="serial", progress=False,
                        weekly=False).replications.set_index("rep")["leads_won"]
    var_crn = float((b - a).var(ddof=1))
    var_ind = float((b_indep - a).var(ddof=1))
    f = var_ind / var_crn
    assert stats.f.sf(f, 29, 29) < 0.001, (var_crn, var_ind)
    row = crn.paired.set_index("kpi").loc["leads_won"]
    assert row["var_crn"] == pytest.approx(var_crn)
    assert row["variance_reduction"] > 0.5
    # the reported "independent seeds" variance, var(A) + var(B), estimates what we measured
    lo, hi = stats.f.ppf([0.001, 0.999], 29, 29)
    assert lo < row["var_independent"] / var_ind < hi
    # the better funnel wins more often than not, and the CI says so
    assert row["p_higher"] >= 0.8 and row["diff_ci_low"] > 0 and row["p_value"] < 0.01
    # arrivals are common: identical in both scenarios
    created = crn.paired.set_index("kpi").loc["leads_created"]
    assert created["diff"] == 0 and created["p_value"] == 1.0 and created["p_tie"] == 1.0


def test_paired_stats_agree_with_scipy():
    rng = np.random.default_rng(np.random.SeedSequence(5))
    a = rng.normal(10, 3, 25)
    b = a + rng.normal(0.5, 1, 25)
    s = paired_stats(a, b)
    assert s["p_value"] == pytest.approx(stats.ttest_rel(b, a).pvalue)
    d = b - a
    half = stats.t.ppf(0.975, 24) * d.std(ddof=1) / math.sqrt(25)
    assert (s["diff_ci_low"], s["diff_ci_high"]) == pytest.approx((d.mean() - half, d.mean() + half))
    assert s["p_higher"] == pytest.approx((d > 0).mean())
    assert s["variance_reduction"] == pytest.approx(1 - d.var(ddof=1) / (a.var(ddof=1) + b.var(ddof=1)))
    const = paired_stats(a, a + 2.0)
    assert const["p_value"] == 0.0 and const["diff_ci_low"] == pytest.approx(2.0)
    nan = paired_stats(np.array([1.0, np.nan, 3.0]), np.array([2.0, 5.0, np.nan]))
    assert nan["n"] == 1 and math.isnan(nan["p_value"])


def test_more_than_two_scenarios_get_bonferroni(crn):
    c = compare([scenario(), scenario(0.66, "better"), scenario(0.54, "worse")], 6, seed=1,
                executor="serial", progress=False, weekly=False)
    assert c.labels == ["base", "better", "worse"]
    assert "p < 0.025" in c.bonferroni_note
    rows = c.paired.dropna(subset=["p_value"])
    assert (rows["p_bonferroni"] == np.minimum(1.0, 2 * rows["p_value"])).all()
    beats = c.beats("leads_won")
    assert beats["better"] > beats["worse"]
    assert crn.bonferroni_note is None


def test_single_replication_gives_the_side_by_side_table():
    c = compare([scenario(), scenario(0.66, "better")], 1, seed=1, executor="serial", progress=False)
    assert c.paired.empty
    side = c.side_by_side
    assert list(side.columns) == ["base", "better", "better - base"]
    assert side.loc["leads_won", "better - base"] == side.loc["leads_won", "better"] - side.loc["leads_won", "base"]


def test_cli_compare(tmp_path, capsys):
    a = write_scenario(tmp_path, scenario(weeks=4), "a.yaml")
    b = write_scenario(tmp_path, scenario(0.66, "better", weeks=4), "b.yaml")
    rc = main(["compare", a, b, "--reps", "4", "--workers", "1", "--out", str(tmp_path / "c"),
               "--metric", "leads_won"])
    out, err = capsys.readouterr()
    assert rc == 0, err
    assert "better vs base (paired, common random numbers)" in out
    assert "P(better beats base on leads_won)" in out and "common random numbers cut the variance" in out
    assert {"comparison.csv", "side_by_side.csv", "summary.csv", "replications.parquet", "manifest.json"} <= {
        p.name for p in (tmp_path / "c").iterdir()}
    rc = main(["compare", a, b, "--reps", "1", "--workers", "1", "--out", str(tmp_path / "one")])
    out = capsys.readouterr()[0]
    assert rc == 0 and "KPIs side by side" in out and "better - base" in out


@pytest.mark.parametrize("extra, message", [
    ([], "compare needs at least two scenario files"),
    (["B", "--metric", "leads_wonn"], "did you mean 'leads_won'"),
    (["B", "--kpi", "zzz"], "--kpi zzz: matches no KPI"),
    (["B", "--seed", "-1"], "--seed: expected a whole number >= 0"),
])
def test_cli_compare_bad_input_exits_2(tmp_path, capsys, extra, message):
    a = write_scenario(tmp_path, scenario(weeks=1), "a.yaml")
    b = write_scenario(tmp_path, scenario(0.66, "better", weeks=1), "b.yaml")
    args = [b if x == "B" else x for x in extra]
    rc = main(["compare", a, *args, "--reps", "2", "--out", str(tmp_path / "o")])
    err = capsys.readouterr()[1]
    assert rc == 2 and message in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()


def test_compare_api_rejects_a_single_scenario():
    with pytest.raises(UsageError, match="at least two"):
        compare([scenario()], 2)
