"""The shipped sample export: its documented dirt is found, and its hidden
parameters (scenarios/crm_sample_truth.yaml) are recovered, including a
source that converts better at one step (a multiplier, not a double count)."""

from __future__ import annotations

import pytest
import yaml

import sim
from sim.calibration.fit import fit_history
from sim.calibration.io import load_history
from sim.calibration.mapping import load_mapping
from sim.calibration.scenario_writer import scenario_text
from tests.conftest import ROOT, SCENARIOS

CRM = ROOT / "data" / "crm"


@pytest.fixture(scope="module")
def fit():
    m = load_mapping(CRM / "sample_mapping.yaml")
    return fit_history(load_history(CRM / "sample_history.csv", m), m)


def test_sample_dirt_is_reported_as_documented(fit):
    counts = {i.kind: i.count for i in fit.history.issues}
    assert counts == {"duplicate rows": 32, "unknown stage": 4, "timestamps out of order": 9,
                      "mixed time zones": 20, "negative or bad amount": 3}
    assert "proposal" in set(fit.history.rows["stage"])  # the renamed stage was merged back
    assert "proposal_quote" not in set(fit.history.rows["stage"])


def test_sample_recovers_the_hidden_parameters(fit):
    truth = sim.load_scenario(SCENARIOS / "crm_sample_truth.yaml")
    assert fit.order == truth.stages
    assert fit.entries.set_index("source").loc["referral", "entry_stage"] == "qualified"  # skips a stage
    kept = fit.multipliers[fit.multipliers["kept"]]
    assert list(zip(kept["source"], kept["step"], strict=True)) == [("referral", "demo")]
    assert 1.1 < kept["multiplier"].iloc[0] < 1.5  # truth 1.3
    fitted = sim.validate_data(yaml.safe_load(scenario_text(fit)))
    ref = fit.reference_rates.set_index(["segment", "step"])
    pooled = fit.conversion[fit.conversion["source"] == "*"].set_index(["segment", "step"])
    for seg, s in truth.segments.items():
        for step, spec in s.steps.items():
            row = ref.loc[(seg, step)] if (seg, step) in ref.index else pooled.loc[(seg, step)]
            assert row["lo"] <= spec.conversion_probability <= row["hi"], (seg, step)
            assert fitted.segments[seg].steps[step].conversion_probability == pytest.approx(row["p"], abs=1e-4)
    assert fit.headcount["ae"][0] == 3 and fit.headcount["mdr"][0] == 2
    assert fit.arrivals["website"]["lo"] <= 12 <= fit.arrivals["website"]["hi"]
    # the truth's +-15% seasonality is within the noise of ~900 leads: not significant, not written
    assert fit.arrivals["website"]["seasonality_p"] > 0.05 and fit.arrivals["website"]["seasonality"] is None
