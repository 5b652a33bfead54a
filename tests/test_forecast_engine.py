"""``salesim forecast --engine``: the forecast run through the simulation engine, from the fitted
scenario with the open pipeline at --as-of as its initial_pipeline (sim/calibration/forecast_engine.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import sim
from sim.cli.main import main

pytest.importorskip("scipy")

ROOT = Path(__file__).resolve().parents[1]
SNAP = ROOT / "data" / "crm" / "snapshot"
ARGS = [str(SNAP / "sales_pipeline.csv"), "--mapping", str(SNAP / "mapping.yaml")]


@pytest.fixture(scope="module")
def history():
    from sim.calibration.io import load_history
    from sim.calibration.mapping import load_mapping

    m = load_mapping(SNAP / "mapping.yaml")
    return load_history(SNAP / "sales_pipeline.csv", m), m


def test_the_open_pipeline_enters_the_fitted_world(history):
    from sim.calibration.forecast import prepare
    from sim.calibration.forecast_engine import _pipeline, _scenario

    h, m = history
    cut, end, fit, _months, d = prepare(h, "2017-10-01", m)
    data = _scenario(fit, cut, end)
    rows, kept = _pipeline(d, fit, data, cut)
    assert len(rows) == len(d) > 100 and kept == list(range(len(d)))
    assert data["calendar"]["start_date"] == "2017-10-01" and not data.get("roles")
    data["initial_pipeline"] = rows
    s = sim.validate_data(data)
    # ages in the stage, from the deals' entry into it
    ages = np.array([r["age_days"] for r in rows])
    assert ages.min() >= 0 and ages.max() <= fit.stale.after_days + 1
    res = sim.simulate(s, seed=1)
    p = res.kpis["initial_pipeline"]
    assert p["deals"] == len(rows) and p["won"] > 0 and p["bookings_usd"] > 0


def test_without_the_open_pipeline_the_engine_forecasts_less(history, monkeypatch):
    """The open deals are what the first months' bookings rest on: switched off (no initial pipeline),
    the first month's median bookings fall."""
    from sim.calibration import forecast_engine
    from sim.calibration.forecast_engine import run_engine_forecast

    h, m = history
    on = run_engine_forecast(h, "2017-10-01", m, until="2017-11-01", runs=8, seed=3)
    monkeypatch.setattr(forecast_engine, "_pipeline", lambda *a: ([], []))
    off = run_engine_forecast(h, "2017-10-01", m, until="2017-11-01", runs=8, seed=3)
    assert np.median(off.bookings[:, 0]) < 0.8 * np.median(on.bookings[:, 0])
    assert on.open_deals["p_win"].max() > 0 and off.open_deals["p_win"].max() == 0


def test_forecast_engine_prints_the_same_report(tmp_path, capsys):
    plan = tmp_path / "plan.csv"
    plan.write_text("quarter,bookings_usd\n2017Q4,5000000\n")
    rc = main(["forecast", *ARGS, "--as-of", "2017-10-01", "--until", "2017-11-01", "--plan", str(plan),
               "--runs", "10", "--engine", "--out", str(tmp_path / "fc")])
    out, err = capsys.readouterr()
    assert rc == 0, err
    assert "simulations of the fitted scenario from the open pipeline" in out
    for part in ("Bookings (new ARR) by quarter", "p_hit_plan", "Pipeline coverage", "Forecast categories",
                 "Backtest: monthly bookings", "last quarter's run rate"):
        assert part in out, part
    assert (tmp_path / "fc" / "forecast.md").exists()
