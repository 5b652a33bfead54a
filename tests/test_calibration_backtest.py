"""Backtest: held-out months scored against runs of the scenario fitted before the cut.

The decisive check is the regime change: the same truth, once steady and once
with a market shock after the training window (inbound falls to a third);
the fit cannot know about the shock, so its bands must cover the held-out
months worse. The CRPS is checked by hand on a tiny ensemble.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import sim
from sim.calibration.backtest import crps, monthly, run_backtest, train_part
from sim.calibration.export import history_from_tables
from sim.calibration.io import load_history
from tests.test_calibration_roundtrip import truth_scenario

WEEKS, CUT_WEEK = 60, 40
CUT = "2024-10-07"  # day 280 = week 40 after 2024-01-01


def history(tmp_path, shock: bool, seed: int = 5):
    s = truth_scenario(WEEKS, rate_scale=0.5)
    if shock:
        s = sim.validate_data({**s.model_dump(mode="json", by_alias=True),
                               "timeline": [{"week": CUT_WEEK + 1, "action": "market_shock", "source": "ads",
                                             "rate_multiplier": 0.3, "weeks": 30},
                                            {"week": CUT_WEEK + 1, "action": "market_shock", "source": "referral",
                                             "rate_multiplier": 0.3, "weeks": 30}]})
    r = sim.simulate(s, seed=seed)
    path = tmp_path / f"h_{shock}.csv"
    history_from_tables(r.events, r.leads, s.stages).to_csv(path, index=False)
    return load_history(path, as_of=str(pd.Timestamp("2024-01-01") + pd.Timedelta(weeks=WEEKS)))


def test_crps_by_hand():
    # ensemble {0, 2}, y = 1: E|X-y| = 1, E|X-X'| = (0+2+2+0)/4 = 1 -> 1 - 0.5 = 0.5
    assert crps(np.array([0.0, 2.0]), 1.0) == pytest.approx(0.5)
    # a point ensemble is the absolute error
    assert crps(np.array([3.0, 3.0, 3.0]), 1.0) == pytest.approx(2.0)


def test_train_part_hides_the_future(tmp_path):
    h = history(tmp_path, shock=False)
    cut = pd.Timestamp(CUT, tz="UTC")
    t = train_part(h, cut)
    assert t.as_of == cut and (t.rows["entered_at"] <= cut).all()
    assert not (t.rows["closed_at"] > cut).any()
    later = h.rows[(h.rows["closed_at"] > cut) & (h.rows["entered_at"] <= cut)]["opportunity_id"]
    assert set(t.rows.loc[t.rows["opportunity_id"].isin(later), "outcome"]) <= {"open"}


def test_monthly_counts_by_hand():
    t = pd.Timestamp
    rows = pd.DataFrame({
        "opportunity_id": ["a", "a", "b", "c"], "stage": ["mql", "won", "mql", "mql"],
        "entered_at": [t("2024-01-02", tz="UTC"), t("2024-02-03", tz="UTC"), t("2024-01-20", tz="UTC"),
                       t("2024-02-10", tz="UTC")],
        "created_at": [t("2024-01-02", tz="UTC")] * 2 + [t("2024-01-20", tz="UTC"), t("2024-02-10", tz="UTC")],
        "closed_at": [t("2024-02-03", tz="UTC")] * 2 + [t("2024-02-15", tz="UTC"), pd.NaT],
        "outcome": ["won", "won", "lost", "open"], "amount": [100.0, 100.0, 50.0, 70.0]})
    m = monthly(rows, ["mql", "won"], t("2024-01-01", tz="UTC"), t("2024-03-01", tz="UTC"))
    assert list(m["month"]) == ["2024-01", "2024-02"]
    assert list(m["created"]) == [2, 1] and list(m["wins"]) == [0, 1] and list(m["bookings_usd"]) == [0, 100]
    assert list(m["pipeline_mql"]) == [2, 1]  # end of Jan: a and b open; end of Feb: only c


def test_regime_change_worsens_coverage(tmp_path):
    steady = run_backtest(history(tmp_path, shock=False), CUT, runs=12)
    shocked = run_backtest(history(tmp_path, shock=True), CUT, runs=12)
    assert steady.coverage(95) > shocked.coverage(95)
    assert steady.coverage(80) > shocked.coverage(80)
    created = lambda b: b.summary().set_index("metric").loc["created", "crps_relative"]  # noqa: E731
    assert created(shocked) > 2 * created(steady)
    assert steady.coverage(95) >= 0.6  # few runs and point estimates: below nominal, but not far


def test_cli_backtest_on_the_sample_and_bad_dates(tmp_path, capsys):
    from sim.cli.main import main
    from tests.conftest import ROOT

    sample, mapping = ROOT / "data" / "crm" / "sample_history.csv", ROOT / "data" / "crm" / "sample_mapping.yaml"
    out = tmp_path / "bt"
    assert main(["backtest", str(sample), "--mapping", str(mapping), "--train-until", "1999-01-01",
                 "--out", str(out)]) == 2
    assert "must fall inside the history (2024-01-01 to 2025-06-29)" in capsys.readouterr().err
    assert not out.exists()
    assert main(["backtest", str(sample), "--mapping", str(mapping), "--train-until", "2025-03-01", "--runs", "1",
                 "--out", str(out)]) == 2
    assert "--runs: expected a whole number in [2, 100000]" in capsys.readouterr().err
    assert main(["backtest", str(sample), "--mapping", str(mapping), "--train-until", "2025-03-01", "--runs", "3",
                 "--out", str(out)]) == 0
    assert {p.name for p in out.iterdir()} == {"backtest.md", "backtest_cells.csv", "backtest_forecast.csv",
                                               "backtest_fitted.yaml", ".salesim-output.json"}
    cells = pd.read_csv(out / "backtest_cells.csv")
    assert set(cells["metric"]) >= {"created", "wins", "bookings_usd", "pipeline_demo"}
    assert "coverage of the 80% band" in capsys.readouterr().out


def test_runs_draw_parameters_from_the_posterior(tmp_path):
    import yaml

    from sim.calibration.backtest import posterior_draw
    from sim.calibration.scenario_writer import scenario_text
    from tests.test_calibration_roundtrip import round_trip

    fit = round_trip(1, tmp_path)
    data = yaml.safe_load(scenario_text(fit))
    rng = np.random.default_rng(0)
    draws = [posterior_draw(data, fit, rng) for _ in range(400)]
    p = np.array([d["segments"]["ent"]["steps"]["sql"]["conversion_probability"] for d in draws])
    row = fit.conversion.set_index(["segment", "source", "step"]).loc[("ent", "*", "sql")]
    assert p.mean() == pytest.approx(row["p"], abs=0.02)
    assert p.std() == pytest.approx(np.sqrt(row["p"] * (1 - row["p"]) / row["n"]), rel=0.2)
    rates = np.array([d["sources"]["ads"]["rate_per_week"] for d in draws])
    a = fit.arrivals["ads"]
    assert rates.mean() == pytest.approx(a["rate_per_week"], rel=0.02)
    assert rates.std() == pytest.approx(a["rate_per_week"] / np.sqrt(a["n"]), rel=0.2)
    assert data["segments"]["ent"]["steps"]["sql"]["conversion_probability"] == pytest.approx(row["p"], abs=1e-4)
