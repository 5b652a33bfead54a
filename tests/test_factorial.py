"""Factorial studies: study files, the design, effect estimates against known
effects, findings, bad input and the ``salesim study`` command."""

from __future__ import annotations

import itertools
import json
import textwrap

import numpy as np
import pandas as pd
import pytest
import yaml

from sim.cli.main import main
from sim.errors import ScenarioError, UsageError
from sim.experiments.study.effects import analyse
from sim.experiments.study.factorial import factorial
from sim.experiments.study.study_file import design_cells, load_study
from tests.conftest import SCENARIOS, chain

STUDIES = sorted((SCENARIOS / "studies").glob("*.yaml"))

YEARS = 26 * 7 / 365.25  # the horizon of the synthetic study, in years (salaries accrue per day)


def _synthetic(seed=1, reps=30, sigma=1.0, block_sd=5.0):
    """y = 10 + 3 A + {0, 1, 3}[B] + 1.5 A C + replication block + noise."""
    rng = np.random.default_rng(seed)
    factors = {"a": ["lo", "hi"], "b": ["x", "y", "z"], "c": ["off", "on"]}
    block = rng.normal(0, block_sd, reps)
    rows = []
    for a, b, c in itertools.product(*factors.values()):
        for r in range(reps):
            y = (10 + 3 * (a == "hi") + {"x": 0, "y": 1, "z": 3}[b] + 1.5 * (a == "hi") * (c == "on")
                 + block[r] + rng.normal(0, sigma))
            rows.append({"a": a, "b": b, "c": c, "rep": r, "y": y, "error": None})
    return pd.DataFrame(rows), factors


def _effect(eff, kind, factor, level, factor_b=None, level_b=None, kpi=None):
    e = eff.effects
    e = e if kpi is None else e[e["kpi"] == kpi]
    sel = (e["kind"] == kind) & (e["factor"] == factor) & (e["level"] == level)
    if factor_b is not None:
        sel &= (e["factor_b"] == factor_b) & (e["level_b"] == level_b)
    assert sel.sum() == 1
    return e[sel].iloc[0]


def test_effects_recover_known_main_effects_and_interaction():
    rows, factors = _synthetic()
    eff = analyse(rows, factors, ["y"])
    truth = {("main", "a", "hi"): 3 + 1.5 / 2,  # averaged over C's two levels
             ("main", "b", "y"): 1.0, ("main", "b", "z"): 3.0, ("main", "c", "on"): 1.5 / 2}
    for (kind, f, lv), value in truth.items():
        r = _effect(eff, kind, f, lv)
        assert r["ci_low"] <= value <= r["ci_high"], (f, lv, r["estimate"])
        assert abs(r["estimate"] - value) < 0.3
    ac = _effect(eff, "interaction", "a", "hi", "c", "on")
    assert ac["ci_low"] <= 1.5 <= ac["ci_high"] and ac["p_value"] < 1e-6
    ab = _effect(eff, "interaction", "a", "hi", "b", "z")
    assert ab["ci_low"] <= 0 <= ab["ci_high"]  # no A x B interaction was put in
    # the replication block carries the big shared luck, and it is not charged to any factor
    v = eff.variance.set_index("source")["share"]
    assert v["noise shared by all cells (replication luck)"] > 0.3
    assert abs(v.sum() - 1) < 1e-6  # balanced design: the parts add up to the total
    assert v["a x c"] > v["a x b"]


def test_block_removes_shared_luck_from_the_intervals():
    """With common random numbers the interval width reflects only the within-cell noise."""
    rows, factors = _synthetic(block_sd=50.0, sigma=1.0)
    r = _effect(analyse(rows, factors, ["y"]), "main", "a", "hi")
    assert r["ci_high"] - r["ci_low"] < 1.0  # without the block it would be ~ +-2*50/sqrt(180)*2


def test_cell_means_with_intervals():
    rows, factors = _synthetic(reps=10)
    cells = analyse(rows, factors, ["y"]).cells
    assert len(cells) == 12 and (cells["n"] == 10).all()
    one = cells[(cells["a"] == "hi") & (cells["b"] == "z") & (cells["c"] == "on")].iloc[0]
    raw = rows[(rows["a"] == "hi") & (rows["b"] == "z") & (rows["c"] == "on")]["y"]
    assert one["mean"] == pytest.approx(raw.mean()) and one["ci_low"] < one["mean"] < one["ci_high"]


def test_undefined_or_infinite_kpi_values_are_left_out_not_fatal():
    """A short horizon leaves some KPIs undefined (NaN, None) or infinite: those values are
    left out of the fit and the cell means; a KPI defined nowhere has no effects and no crash."""
    rows, factors = _synthetic(reps=10)
    rows["y_bad"] = rows["y"].astype(object)
    rows.loc[rows.index[:7], "y_bad"] = [np.inf, -np.inf, np.nan, None, "n/a", {"x": 1}, np.nan]
    rows["never"] = np.nan
    eff = analyse(rows, factors, ["y", "y_bad", "never"])
    bad = eff.cells[eff.cells["kpi"] == "y_bad"]
    assert bad["n"].sum() == len(rows) - 7 and np.isfinite(bad["mean"]).all()
    a = _effect(eff, "main", "a", "hi", kpi="y_bad")
    assert a["ci_low"] <= 3 + 1.5 / 2 <= a["ci_high"]
    assert (eff.effects["kpi"] != "never").all()
    assert eff.cells[eff.cells["kpi"] == "never"]["mean"].isna().all()


def test_half_fraction_keeps_the_defining_relation():
    factors = {f: ["-", "+"] for f in "abcd"}
    cells = design_cells(factors, "half")
    assert len(cells) == 8
    for c in cells:
        assert np.prod([1 if c[f] == "+" else -1 for f in factors]) == 1
    for f, g in itertools.combinations(factors, 2):  # every pair of levels appears equally often
        counts = pd.Series([(c[f], c[g]) for c in cells]).value_counts()
        assert len(counts) == 4 and (counts == 2).all()


# --------------------------------------------------------------------------- end to end


def _write_study(tmp_path, body: str, base: dict | None = None):
    if base is None:
        base = chain([0.5, 0.4, 0.5], headcount=[1, None, None], rate_per_week=20, work_hours=0.5)
        base["roles"]["r1"]["loaded_cost_per_year_usd"] = 100000
        base["horizon_weeks"] = 26
    (tmp_path / "base.yaml").write_text(yaml.safe_dump(base))
    path = tmp_path / "study.yaml"
    path.write_text(textwrap.dedent(body))
    return path


KNOWN = """\
    name: known
    base: base.yaml
    kpis: [costs.salaries_by_role_usd.r1, bookings_usd]
    reps: 3
    seed: 3
    factors:
      size:
        levels:
          one: {}
          two: {set: {roles.r1.headcount: 2}}
      pay:
        levels:
          base: {}
          high: {overlay: pay.yaml}
      margin:
        levels:
          low:
          high: {set: {economics.gross_margin: 0.9}}
    """


def test_study_estimates_known_effects_exactly(tmp_path):
    """Salaries are headcount x pay x time: the main effects and the interaction are known exactly,
    and a factor that touches nothing the funnel uses (gross margin) has no effect on bookings."""
    path = _write_study(tmp_path, KNOWN)
    (tmp_path / "pay.yaml").write_text("roles: {r1: {loaded_cost_per_year_usd: 130000}}\n")
    out = tmp_path / "out"
    res = factorial(path, workers=1, out=out, progress=False)
    kpi = "costs.salaries_by_role_usd.r1"
    e = res.effects.effects[res.effects.effects["kpi"] == kpi]
    get = lambda *k: _effect(res.effects, *k, kpi=kpi)["estimate"]  # noqa: E731
    assert get("main", "size", "two") == pytest.approx(1 * (100000 + 130000) / 2 * YEARS, rel=1e-6)
    assert get("main", "pay", "high") == pytest.approx(30000 * 1.5 * YEARS, rel=1e-6)
    assert get("interaction", "size", "two", "pay", "high") == pytest.approx(30000 * YEARS, rel=1e-6)
    assert len(e) == 3 + 3
    b = res.effects.effects[(res.effects.effects["kpi"] == "bookings_usd")]
    assert (b["estimate"] == 0).all() and (b["ci_low"] == 0).all() and (b["ci_high"] == 0).all()
    text = (out / "findings.md").read_text()
    assert "## bookings (`bookings_usd`)" in text and "no factor changes this KPI" in text
    assert "size = two instead of one: +$57.3k" in text
    for name in ("effects.csv", "cells.csv", "variance.csv", "replications.parquet", "study.yaml",
                 "cells/0.resolved.yaml", "manifest.json"):
        assert (out / name).exists(), name
    rows = pd.read_parquet(out / "replications.parquet")
    assert len(rows) == 8 * 3 and set(rows.columns) >= {"cell", "size", "pay", "margin", "rep"}
    # common random numbers: replication i of every cell saw the same leads
    assert rows.groupby("rep")["leads_created"].nunique().eq(1).all()
    again = factorial(path, workers=1, out=out, resume=True, progress=False)
    assert again.run.computed == 0 and again.findings == res.findings


def test_cases_apply_only_in_their_cells(tmp_path):
    path = _write_study(tmp_path, """\
        name: cased
        base: base.yaml
        kpis: [bookings_usd]
        factors:
          team:
            levels:
              small: {}
              big: {set: {roles.r1.headcount: 3}}
          budget:
            levels:
              same_cost: {}
              same_headcount:
                cases:
                  - when: {team: small}
                    set: {roles.r1.headcount: 5}
        """)
    study = load_study(path)
    heads = {tuple(c.levels.values()): c.scenario.roles["r1"].headcount for c in study.cells}
    assert heads == {("small", "same_cost"): 1, ("small", "same_headcount"): 5,
                     ("big", "same_cost"): 3, ("big", "same_headcount"): 3}


@pytest.mark.parametrize("body, where, message", [
    ("name: s\nbase: base.yaml\nkpis: [bookings_usd]\nfactors: {a: {levels: {x: {}, y: {sett: {}}}}}\n",
     "study.yaml:4: factors.a.levels.y.sett", "did you mean 'set'"),
    ("name: s\nbase: base.yaml\nkpis: [bookings_usd]\nfactors: {a: {levels: {x: {}}}}\n",
     "study.yaml:4: factors.a.levels", "at least 2"),
    ("name: s\nbase: nope.yaml\nkpis: [bookings_usd]\nfactors: {a: {levels: {x: {}, y: {}}}}\n",
     "study.yaml:2: base", "no such file"),
    ("name: s\nbase: base.yaml\nkpis: [bookings_usd]\nfactors:\n  a:\n    levels:\n      x: {}\n"
     "      y: {set: {roles.r1.headcount: -1}}\n", "study.yaml:8: factors.a.levels.y.set",
     "in cell a=y"),
    ("name: s\nbase: base.yaml\nkpis: [bookings_usd]\nfactors:\n  a:\n    levels:\n      x: {}\n"
     "      y: {cases: [{when: {b: q}}]}\n", "factors.a.levels.y.cases.0.when.b", "unknown factor 'b'"),
    ("name: s\nbase: base.yaml\nkpis: [bookings_usd]\ndesign: half\nfactors: {a: {levels: {x: {}, y: {}}}}\n",
     "study.yaml:4: design", "at least three factors"),
])
def test_bad_study_files_name_file_line_and_key(tmp_path, body, where, message):
    path = _write_study(tmp_path, body)
    with pytest.raises(ScenarioError) as exc:
        load_study(path)
    text = str(exc.value)
    assert where in text and message in text, text


def test_unknown_kpi_is_a_usage_error(tmp_path):
    path = _write_study(tmp_path, KNOWN.replace("bookings_usd]", "bookngs_usd]"))
    (tmp_path / "pay.yaml").write_text("roles: {r1: {loaded_cost_per_year_usd: 130000}}\n")
    with pytest.raises(UsageError, match="did you mean 'bookings_usd'"):
        factorial(path, workers=1, progress=False)


def test_cli_study_bad_file_exits_2_and_writes_nothing(tmp_path, capsys):
    path = _write_study(tmp_path, "name: s\nbase: base.yaml\nkpis: [bookings_usd]\nfactors: {a: {}}\n")
    out = tmp_path / "out"
    assert main(["study", str(path), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "factors.a.levels" in err and "Traceback" not in err
    assert not out.exists()


def test_cli_study_prints_cell_means_and_findings(tmp_path, capsys):
    path = _write_study(tmp_path, KNOWN)
    (tmp_path / "pay.yaml").write_text("roles: {r1: {loaded_cost_per_year_usd: 130000}}\n")
    out = tmp_path / "out"
    assert main(["study", str(path), "--reps", "2", "--out", str(out), "--quiet", "--workers", "1"]) == 0
    text = capsys.readouterr().out
    assert "8 cells x 2 replication(s)" in text and "Cell means" in text and "# Findings: known" in text
    assert json.loads((out / "manifest.json").read_text())["reps"] == 2


@pytest.mark.parametrize("path", STUDIES, ids=lambda p: p.name)
def test_shipped_study_files_load(path):
    study = load_study(path)
    assert len(study.cells) >= 2


def test_type2_sums_of_squares_by_refits_agree_with_statsmodels_and_need_no_replication():
    """The fallback for a design with no residual degrees of freedom (one replication): type II sums of
    squares from nested fits equal statsmodels' anova_lm where that works (two replications), and
    exist where it fails (one)."""
    import numpy as np
    import pandas as pd
    import statsmodels.formula.api as smf
    from statsmodels.stats.anova import anova_lm

    from sim.experiments.study.effects import _type2_by_refits

    rng = np.random.default_rng(2)
    rows = [{"f0": a, "f1": b, "rep": r, "cell": f"{a}{b}", "y": 3 * a + 2 * b + a * b + rng.normal()}
            for a in range(2) for b in range(3) for r in range(2)]
    d = pd.DataFrame(rows)
    main, pairs, block = ["C(f0, Sum)", "C(f1, Sum)"], ["C(f0, Sum):C(f1, Sum)"], ["C(rep, Sum)"]
    fit = smf.ols("y ~ " + " + ".join(main + pairs + block), d).fit()
    ref = anova_lm(fit, typ=2)
    got = _type2_by_refits(d, main, pairs, block)
    for term in main + pairs + block:
        assert got[term] == pytest.approx(float(ref.loc[term, "sum_sq"]), rel=1e-9, abs=1e-9), term
    one = d[d["rep"] == 0]
    got1 = _type2_by_refits(one, main, pairs, [])
    assert all(np.isfinite(v) for v in got1.values()) and got1["C(f0, Sum)"] > 0


def test_a_study_with_one_replication_runs(tmp_path, capsys):
    """--reps 1 leaves a saturated design no residual degrees of freedom; the study still writes its
    findings (it once ended in a traceback from the analysis of variance)."""
    out = tmp_path / "st"
    assert main(["study", str(SCENARIOS / "studies" / "team_size.yaml"), "--reps", "1", "--weeks", "8",
                 "--workers", "1", "--quiet", "--out", str(out)]) == 0
    assert (out / "variance.csv").is_file() and (out / "findings.md").is_file()


def test_a_study_s_kpis_are_checked_without_running_a_simulation(tmp_path, monkeypatch):
    """The KPI names come from the world as built, never run: a typo is still refused with its
    suggestion, and a study that passes runs (below). Fails on a check that runs a probe simulation
    (it ran the world; here the world refuses to run)."""
    from sim.experiments.study.factorial import check_kpis
    from sim.model.world import World

    def no_run(*_a, **_k):
        raise AssertionError("a simulation ran to check the study's KPI names")

    monkeypatch.setattr(World, "run", no_run)
    (tmp_path / "pay.yaml").write_text("roles: {r1: {loaded_cost_per_year_usd: 130000}}\n")
    check_kpis(load_study(_write_study(tmp_path, KNOWN)))
    bad = _write_study(tmp_path, KNOWN.replace("bookings_usd]", "bookngs_usd]"))
    with pytest.raises(UsageError, match="did you mean 'bookings_usd'"):
        check_kpis(load_study(bad))


@pytest.mark.parametrize("study", [SCENARIOS / "studies" / "team_size.yaml",
                                   SCENARIOS / "studies" / "claims" / "four_points.yaml"], ids=lambda p: p.stem)
def test_a_study_that_passes_validation_runs_and_reports_its_kpis(study, tmp_path):
    from sim.experiments.study.factorial import check_kpis

    loaded = load_study(study)
    check_kpis(loaded)
    res = factorial(loaded, reps=1, weeks=2, workers=1, executor="serial", out=tmp_path / "out", progress=False)
    assert set(loaded.spec.kpis) <= set(res.replications.columns)
    assert res.replications["error"].isna().all()


def test_the_names_known_without_a_run_cover_what_a_run_reports():
    """Every flat KPI name and weekly column a (one-week) run of each shipped scenario reports is known
    without running it."""
    from sim.experiments.montecarlo.batch import report_names
    from sim.experiments.runner.flatten import flatten_kpis
    from sim.run import simulate
    from sim.scenario.loader import load_scenario

    for path in sorted(SCENARIOS.glob("*.yaml")):
        sc = load_scenario(path)
        names, weekly = report_names(sc)
        r = simulate(sc, seed=0, weeks=1, record="kpis")
        assert set(flatten_kpis(r.kpis)) <= set(names), path.name
        assert {c for c in r.weekly.columns if c != "week"} == set(weekly), path.name
