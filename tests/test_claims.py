"""The claims of docs/background.md#the-argument as experiments
(scenarios/studies/claims/README.md): one
test per claim, asserting the direction or value the catalogue states. Fast
versions run by default (fewer replications, shorter horizons); the full
studies are marked slow."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.experiments.study.factorial import factorial
from sim.experiments.study.study_file import load_study
from sim.metrics.revenue import revenue_through
from sim.model.vocab import AccountKind
from tests.conftest import SCENARIOS
from tests.test_revenue import YEAR, _facts_with_accounts

CLAIMS = SCENARIOS / "studies" / "claims"
STUDIES = sorted(p for p in CLAIMS.glob("*.yaml") if "factors:" in p.read_text())


def _cell_mean(res, kpi, **levels):
    c = res.effects.cells
    sel = c["kpi"] == kpi
    for f, lv in levels.items():
        sel &= c[f] == lv
    assert sel.sum() == 1
    return float(c[sel]["mean"].iloc[0])


def _run(name, **kw):
    return factorial(CLAIMS / f"{name}.yaml", workers=1, progress=False, **kw)


@pytest.mark.parametrize("path", STUDIES, ids=lambda p: p.name)
def test_claim_studies_load(path):
    assert len(load_study(path).cells) >= 2


def test_compound_effect_ten_percent_at_seven_steps_is_about_1_95x():
    res = _run("compound_effect", reps=4)
    ratio = _cell_mean(res, "leads_won", every_step="ten_percent_better") / _cell_mean(
        res, "leads_won", every_step="as_is")
    assert ratio == pytest.approx(1.1 ** 7, rel=0.08)


def test_four_points_better_at_three_stages_is_about_1_9x():
    res = _run("four_points", reps=4)
    ratio = _cell_mean(res, "leads_won", company="four_points_better") / _cell_mean(
        res, "leads_won", company="industry_average")
    assert ratio == pytest.approx(0.34 * 0.24 * 0.14 / (0.30 * 0.20 * 0.10), rel=0.1)


def test_speed_to_lead_answering_within_the_hour_qualifies_more():
    # 8 paired replications: one MDR who leaves (and a vacancy) moves a 3-replication interval a lot
    res = _run("speed_to_lead", reps=8, weeks=26)
    e = res.effects.effects.set_index("kpi")
    assert e.loc["stages.mql.conversion", "ci_low"] > 0  # more leads qualify (the step into sql)
    assert e.loc["leads_won", "ci_low"] > 0


def test_a_contract_signed_at_the_start_of_q4_recognizes_a_quarter_in_year_one():
    acv, start = 100_000.0, 0.75 * YEAR
    f = _facts_with_accounts([(start, 0, 0, int(AccountKind.SIGNED), 0.0, acv),
                              (start, 0, 0, int(AccountKind.LIVE), acv, acv),
                              (start + YEAR, 0, 0, int(AccountKind.CHURNED), -acv, 0.0)],  # a one-year term
                             horizon_days=2 * YEAR)
    year1 = float(revenue_through(f, np.array([YEAR]))[0])
    assert year1 == pytest.approx(acv / 4, rel=1e-6)
    assert float(revenue_through(f, np.array([2 * YEAR]))[0]) - year1 == pytest.approx(3 * acv / 4, rel=1e-6)


def test_steady_growth_beats_a_boom_that_stalls():
    """Compounding: 55% a year for five years multiplies ARR by 8.9; 200% then
    100% is 6x after two years and must keep growing ~14% a year for three more to
    catch up (docs/background.md#steady-compound-growth)."""
    steady = 1.55 ** 5
    boom = 3 * 2
    assert steady > boom
    catch_up = (steady / boom) ** (1 / 3) - 1
    assert 0.13 < catch_up < 0.15


# -- claims measured on the organization studies: fast versions, then the full studies (slow)


def test_a_leaving_generalist_takes_accounts_a_leaving_specialist_does_not():
    star = sim.simulate(sim.load_scenario(SCENARIOS / "variants" / "inverted_triangle_star_leaves.yaml"),
                        seed=1, weeks=60, record="kpis").kpis
    spec = sim.simulate(sim.load_scenario(SCENARIOS / "upright_triangle.yaml"), seed=1, weeks=60,
                        record="kpis").kpis
    assert star["key_person_exposure"]["max_arr_usd"] > 0
    assert spec["key_person_exposure"]["max_arr_usd"] == 0


def test_every_motion_fits_its_tier_but_cost_of_sale_does_not_fall_with_acv():
    k = sim.simulate(sim.load_scenario(SCENARIOS / "three_tier.yaml"), seed=3, record="kpis").kpis
    tiers = sorted(k["cost_of_sale_by_segment"].values(), key=lambda t: t["average_deal_usd"])
    ratios = [t["cost_to_acv_ratio"] for t in tiers]
    assert all(r < 1 for r in ratios)  # each motion costs less than the deals it wins
    assert ratios[-1] > ratios[0]  # measured: the field motion costs more per $ of ACV than self-serve


def test_splitting_grows_arr_and_costs_over_three_years():
    split = sim.simulate(sim.load_scenario(SCENARIOS / "pods_split.yaml"), seed=5, record="kpis").kpis
    never = sim.simulate(sim.load_scenario(SCENARIOS / "pods_no_split.yaml"), seed=5,
                         record="kpis").kpis
    assert split["arr_end_usd"] > never["arr_end_usd"]
    assert split["costs"]["total_usd"] > never["costs"]["total_usd"]


@pytest.fixture(scope="module")
def org_design():
    return factorial(SCENARIOS / "studies" / "org_design_factorial.yaml", reps=4, progress=False)


@pytest.fixture(scope="module")
def pod_split():
    return factorial(SCENARIOS / "studies" / "pod_split.yaml", reps=4, progress=False)


@pytest.mark.slow
def test_star_departure_exposes_accounts_but_does_not_dip_the_stars_bookings_more(org_design):
    """Measured (claims README, row 4): a leaving generalist holds far more ARR than any
    specialist, but the stars' bookings dip after their top rep leaves is not larger: the
    structure's main effect on the dip (specialists minus stars, over the study's cells) is not
    negative. Cell by cell, at 4 replications, the sign varies (since the studies run in office
    hours with the milder speed-to-lead default, the stars' dip is the larger one without the
    process layer at the same cost), so the claim is read from the main effect."""
    e = org_design.effects.effects
    d = e[(e["kpi"] == "top_departure.dip") & (e["factor"] == "structure") & (e["kind"] == "main")].iloc[0]
    assert d["level"] == "specialists" and d["reference"] == "star"
    assert d["estimate"] >= 0
    kp = e[(e["kpi"] == "key_person_exposure.max_arr_usd") & (e["factor"] == "structure")
           & (e["kind"] == "main")].iloc[0]
    assert kp["ci_high"] < 0


@pytest.mark.slow
def test_specialists_win_rate_is_not_steadier(org_design):
    """Not only "not resolved" (which a broken KPI or a study without power would
    also give): the KPI is measured in every cell at a plausible size, the study
    could resolve a 2-point difference, and it rules out specialists being
    steadier by 2 points or more (measured: +0.007 [-0.004, +0.018])."""
    c = org_design.effects.cells
    stab = c[c["kpi"] == "win_rate_stability"]
    assert len(stab) == 8 and (stab["n"] == 4).all()
    # a quarter's win rate from a few dozen decisions has a binomial spread of a few points:
    # the standard deviation across quarters is between 1 and 15 points in every cell (measured 0.044-0.066)
    assert stab["mean"].between(0.01, 0.15).all(), stab["mean"].tolist()
    e = org_design.effects.effects
    s = e[(e["kpi"] == "win_rate_stability") & (e["kind"] == "main") & (e["factor"] == "structure")].iloc[0]
    assert s["level"] == "specialists" and s["reference"] == "star"  # negative: specialists steadier
    assert s["ci_high"] > 0  # a steadier win rate (a negative effect) is not resolved
    assert s["ci_high"] - s["ci_low"] < 0.04  # the study could resolve a 2-point effect
    assert s["ci_low"] > -0.02  # specialists are not steadier by 2 points or more


@pytest.mark.slow
def test_org_design_process_explains_more_arr_than_structure(org_design):
    v = org_design.effects.variance
    v = v[v["kpi"] == "arr_end_usd"].set_index("source")["sum_sq"]
    assert v["process"] > v["structure"]


@pytest.mark.slow
def test_pod_fission_grows_arr_with_a_customer_team_and_pods_without_one_fail(pod_split):
    mean = lambda **lv: _cell_mean(pod_split, "arr_end_usd", maturity="late", **lv)  # noqa: E731
    assert mean(policy="split", customer_team="with") > mean(policy="never", customer_team="with")
    for policy in ("never", "split"):
        assert mean(policy=policy, customer_team="without") < 0.5 * mean(policy=policy, customer_team="with")
