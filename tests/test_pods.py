"""PODs: routing by slice, one POD = the horizontal organization, splits only
when mature, conservation through splits, and the prerequisite capability."""

from __future__ import annotations

import numpy as np
import pytest

import sim
from tests.conftest import SCENARIOS

NO_SPLIT = SCENARIOS / "pods_no_split.yaml"
SPLIT = SCENARIOS / "pods_split.yaml"


def test_leads_go_to_the_pod_owning_their_slice():
    k = sim.simulate(sim.load_scenario(NO_SPLIT), seed=1, weeks=40, record="kpis").kpis
    pods = {p["name"]: p for p in k["pods"]}
    assert pods["smb_pod"]["wins"] == k["wins_by_segment"]["smb"] > 0
    assert pods["mid_pod"]["wins"] == k["wins_by_segment"]["mid_market"] > 0


def test_one_pod_without_splitting_is_the_horizontal_organization():
    """Same seats, one POD owning every slice, no POD hand-off discount: with the
    same random numbers every lead ends exactly as in the horizontal company."""
    data = sim.load_scenario(NO_SPLIT).model_dump(by_alias=True)
    data["pods"]["initial"] = [{"name": "all", "owns": ["smb", "mid_market"], "headcount": {"sdr": 4, "ae": 2}}]
    data["pods"]["inside_handoff_delay_days"] = None
    data["pods"]["inside_handoff_leakage"] = None
    one_pod = sim.validate_data(data)
    data["pods"] = None
    horizontal = sim.validate_data(data)
    a = sim.simulate(one_pod, seed=2, weeks=40)
    b = sim.simulate(horizontal, seed=2, weeks=40)
    assert a.leads.outcome.equals(b.leads.outcome)
    assert a.kpis["arr_end_usd"] == b.kpis["arr_end_usd"]


def test_splits_wait_for_maturity_and_conserve_people_and_leads():
    scenario = sim.load_scenario(SPLIT)
    k = sim.simulate(scenario, seed=3, record="kpis").kpis
    fission = scenario.pods.fission
    splits = k["pod_genealogy"]
    assert splits, "the scenario should split at least once in three years"
    assert all(s["t_days"] >= fission.maturity.min_age_days for s in splits)
    assert len(k["pods"]) == 2 + len(splits) <= fission.max_pods
    # every split promotes one AE (backfilled) and hires the rest of the new POD
    hires = sum(fission.new_pod_headcount.values()) - 1
    heads = sum(sum(p["headcount_end"].values()) for p in k["pods"])
    assert heads <= 6 + len(splits) * (hires + 1)
    assert k["leads_created"] == k["leads_won"] + k["leads_lost"] + k["leads_open"]
    assert sum(p["wins"] for p in k["pods"]) == k["leads_won"]
    # accounts: every new logo is live, churned, or still being onboarded, and POD ARR adds up
    stages = {r["stage"]: r for r in k["customer_stages"]}
    onboarding = k["new_logos"] - stages["go_live"]["entered"]
    assert k["new_logos"] == k["customers_end"] + k["churned_logos"] + k["onboarding_churned"] + onboarding
    assert sum(p["arr_end_usd"] for p in k["pods"]) == pytest.approx(k["arr_end_usd"], abs=1.0)
    names = {p["name"] for p in k["pods"]}
    assert all(s["parent"] in names and s["child"] in names for s in splits)


def test_pods_without_customer_capability_churn_more():
    data = sim.load_scenario(NO_SPLIT).model_dump(by_alias=True)
    capable = sim.validate_data(data)
    data["post_sale"]["onboarding_role"] = None
    data["post_sale"]["csm_role"] = None
    data["roles"]["onb"]["headcount"] = 0
    data["roles"]["csm"]["headcount"] = 0
    incapable = sim.validate_data(data)
    grr = [np.mean([sim.simulate(s, seed=k, record="kpis").kpis["grr_trailing_12m"] for k in range(2)])
           for s in (capable, incapable)]
    assert grr[1] < grr[0]
