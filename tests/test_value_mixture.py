"""Deal values as a mixture of lognormals (``acv_usd: {dist: lognormal_mixture, ...}``): the engine
draws each component at its weight, and ``salesim calibrate`` writes one lognormal per product when a
segment sells products of different sizes (the snapshot sample read as one segment: $55 to $25k)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
import yaml

import sim
from tests.conftest import ROOT, chain

SNAP = ROOT / "data" / "crm" / "snapshot"
MIX = {"dist": "lognormal_mixture", "components": [{"weight": 0.7, "median": 100.0, "sigma": 0.1},
                                                   {"weight": 0.3, "median": 3000.0, "sigma": 0.2}]}


def test_the_engine_draws_each_component_at_its_weight():
    data = chain([1.0], rate_per_week=300.0)
    data["horizon_weeks"] = 10
    data["segments"]["only"]["acv_usd"] = MIX
    s = sim.validate_data(data)
    v = sim.simulate(s, seed=1).leads["acv_list_usd"].to_numpy()
    small = v < 500
    assert abs(small.mean() - 0.7) < 4 * np.sqrt(0.21 / len(v))
    assert np.median(v[small]) == pytest.approx(100, rel=0.05)
    assert np.median(v[~small]) == pytest.approx(3000, rel=0.05)
    assert v.mean() == pytest.approx(s.segments["only"].acv_usd.mean(), rel=0.08)


def test_weights_that_do_not_sum_to_one_are_refused(capsys, tmp_path):
    data = chain([1.0])
    data["segments"]["only"]["acv_usd"] = {**MIX, "components": [dict(MIX["components"][0], weight=0.5)]}
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(data))
    from sim.cli.main import main

    assert main(["validate", str(tmp_path / "s.yaml")]) == 2
    assert "segments.only.acv_usd: the components' weights must sum to 1, got 0.5" in capsys.readouterr().err


def test_calibrate_writes_one_lognormal_per_product(tmp_path):
    """The snapshot sample with its products in one segment: the mixture's mean is the won deals' mean
    booked value (pandas) within 5%; one lognormal over all the products overshoots it by more than 40%."""
    import pandas as pd

    from sim.calibration.fit import fit_history
    from sim.calibration.io import load_history
    from sim.calibration.mapping import load_mapping
    from sim.calibration.scenario_writer import scenario_text

    for f in SNAP.glob("*.csv"):
        shutil.copy(f, tmp_path)
    text = (SNAP / "mapping.yaml").read_text()
    (tmp_path / "mapping.yaml").write_text("\n".join(x for x in text.splitlines() if not x.startswith("  segment:")))
    m = load_mapping(tmp_path / "mapping.yaml")
    fit = fit_history(load_history(tmp_path / "sales_pipeline.csv", m), m)
    s = sim.validate_data(yaml.safe_load(scenario_text(fit)))
    (seg,) = s.segments.values()
    raw = pd.read_csv(tmp_path / "sales_pipeline.csv")
    truth = raw.loc[raw["deal_stage"] == "Won", "close_value"].mean()
    assert seg.acv_usd.dist == "lognormal_mixture" and len(seg.acv_usd.components) == 7
    assert seg.acv_usd.mean() == pytest.approx(truth, rel=0.05)
    one = next(iter(fit.money.values()))["acv"]
    assert one.median * np.exp(one.sigma**2 / 2) > 1.4 * truth
