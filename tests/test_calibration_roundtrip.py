"""The round trip: simulate a scenario with known parameters, export it as a CRM
history, calibrate, and check the fit recovers the truth.

The truth has two segments, two sources entering at different stages (so
stages are skipped), gamma times in stage and a horizon that leaves deals
open (censoring). The check is a coverage rate across seeds, not a single
draw: every 95% interval of a conversion probability, and of a mean time in
stage, should cover the truth in (about) 95% of seeds. The fast version runs
a few seeds; the slow one enough to pin the rate down.
"""

from __future__ import annotations

import numpy as np
import pytest
import yaml

import sim
from sim.calibration.export import history_from_tables
from sim.calibration.fit import fit_history
from sim.calibration.io import load_history
from sim.calibration.scenario_writer import scenario_text

STAGES = ["lead", "mql", "sql", "proposal", "won"]
TRUTH = {  # segment -> step -> (conversion, mean days in the stage before)
    "smb": {"mql": (0.5, 3.0), "sql": (0.4, 5.0), "proposal": (0.7, 8.0), "won": (0.45, 12.0)},
    "ent": {"mql": (0.6, 4.0), "sql": (0.3, 9.0), "proposal": (0.6, 15.0), "won": (0.3, 25.0)},
}


def truth_scenario(weeks: float = 40, rate_scale: float = 1.0) -> sim.Scenario:
    segs = {seg: {"acv_usd": {"dist": "lognormal", "median": 20000 if seg == "smb" else 90000, "sigma": 0.5},
                  "discount_fraction": {"dist": "beta", "mean": 0.15, "concentration": 20},
                  "steps": {s: {"conversion_probability": p,
                                "elapsed_days": {"dist": "gamma", "mean": m, "cv": 0.6}}
                            for s, (p, m) in steps.items()}}
              for seg, steps in TRUTH.items()}
    return sim.validate_data({
        "name": "truth", "horizon_weeks": weeks, "stages": STAGES,
        "steps": {s: {"role": "rep"} for s in STAGES[1:]},
        "roles": {"rep": {"unlimited_capacity": True}},
        "post_sale": {"enabled": False},
        "segments": segs,
        "sources": {"ads": {"kind": "inbound", "entry_stage": "lead", "rate_per_week": 40 * rate_scale,
                            "segment_mix": {"smb": 0.7, "ent": 0.3}},
                    "referral": {"kind": "inbound", "entry_stage": "mql", "rate_per_week": 15 * rate_scale,
                                 "segment_mix": {"smb": 0.5, "ent": 0.5}}},
    })


def round_trip(seed: int, tmp_path, weeks: float = 40):
    scenario = truth_scenario(weeks)
    r = sim.simulate(scenario, seed=seed)
    hist = history_from_tables(r.events, r.leads, scenario.stages)
    path = tmp_path / f"h{seed}.csv"
    hist.to_csv(path, index=False)
    as_of = (np.datetime64("2024-01-01") + np.timedelta64(int(weeks * 7), "D")).astype(str)
    return fit_history(load_history(path, as_of=as_of))


def coverage(fits) -> tuple[float, float, int]:
    conv_hits, dur_hits, n = [], [], 0
    for fit in fits:
        c = fit.conversion[fit.conversion["source"] == "*"].set_index(["segment", "step"])
        for seg, steps in TRUTH.items():
            for step, (p, m) in steps.items():
                row = c.loc[(seg, step)]
                conv_hits.append(row["lo"] <= p <= row["hi"])
                d, _ = fit.durations[(seg, step)]
                dur_hits.append(d.mean_lo <= m <= d.mean_hi)
                n += 1
    return float(np.mean(conv_hits)), float(np.mean(dur_hits)), n


def test_round_trip_recovers_structure_and_writes_a_runnable_scenario(tmp_path):
    fit = round_trip(1, tmp_path)
    assert fit.order == STAGES  # read from the data
    entries = fit.entries.set_index("source")["entry_stage"]
    assert entries["ads"] == "lead" and entries["referral"] == "mql"  # the skipped stage is found
    assert not fit.multipliers["kept"].any()  # the truth's sources convert alike
    assert fit.paths.opps["outcome"].eq("open").sum() > 0  # the horizon censors deals
    assert any(d.n_censored > 0 for d, _ in fit.durations.values() if d is not None)
    a = fit.arrivals
    assert a["ads"]["lo"] <= 40 <= a["ads"]["hi"] and a["referral"]["lo"] <= 15 <= a["referral"]["hi"]
    assert fit.money["smb"]["acv"].median_lo <= 20000 <= fit.money["smb"]["acv"].median_hi
    assert fit.money["ent"]["discount"].mean_lo <= 0.15 <= fit.money["ent"]["discount"].mean_hi
    text = scenario_text(fit)
    fitted = sim.validate_data(yaml.safe_load(text))
    r = sim.simulate(fitted, seed=3, record="kpis")
    assert r.kpis["leads_won"] > 0
    assert "# n=" in text and "95% CI" in text


def _check(fits, min_conv: float, min_dur: float):
    conv, dur, n = coverage(fits)
    assert conv >= min_conv, f"conversion CIs covered the truth in {conv:.0%} of {n}"
    assert dur >= min_dur, f"mean-duration CIs covered the truth in {dur:.0%} of {n}"
    return conv, dur


def test_round_trip_coverage_fast(tmp_path):
    # 5 seeds x 8 intervals each; with >= 95% coverage, fewer than 34 of 40 is a < 1% event
    _check([round_trip(seed, tmp_path) for seed in range(5)], 34 / 40, 32 / 40)


@pytest.mark.slow
def test_round_trip_coverage_many_seeds(tmp_path):
    conv, dur = _check([round_trip(seed, tmp_path) for seed in range(40)], 0.91, 0.88)
    assert conv <= 1.0 and dur <= 1.0


def test_cli_run_export_calibrate_validate(tmp_path, capsys):
    from sim.cli.main import main
    from tests.conftest import SCENARIOS

    run_dir, hist, fitted = tmp_path / "run", tmp_path / "history.csv", tmp_path / "fitted.yaml"
    assert main(["run", str(SCENARIOS / "small_team.yaml"), "--weeks", "26", "--out", str(run_dir)]) == 0
    subs = tmp_path / "subs.csv"
    assert main(["export-crm", str(run_dir), "--out", str(hist), "--accounts-out", str(subs)]) == 0
    reps = tmp_path / "reps.csv"
    reps.write_text("rep,role,hired,left\nae_0,ae,2023-01-01,\nae_1,ae,2023-06-01,\nae_2,ae,2024-05-01,\n"
                    "ae_9,ae,2022-01-01,2023-01-01\n")  # three AEs now (one left before the history)
    assert main(["calibrate", str(hist), "--accounts", str(subs), "--reps", str(reps), "--out", str(fitted)]) == 0
    assert {p.name for p in tmp_path.iterdir()} >= {"fitted.yaml", "fit_report.md", "fit_durations.png"}
    assert main(["validate", str(fitted)]) == 0
    assert "ae: {headcount: 3}  # rep table" in fitted.read_text()
    report = (tmp_path / "fit_report.md").read_text()
    for part in ("## Data checks", "## Conversion", "## Time in stage", "## Arrivals", "## Deal value", "assumed",
                 "by tenure at the close"):
        assert part in report
    capsys.readouterr()


def _arrival_paths(profile, weeks=104, rate_per_day=3.0, seed=0):
    """Poisson arrivals with a monthly profile (thinning), as the fit sees them."""
    import pandas as pd

    from sim.calibration.paths import Paths

    rng = np.random.default_rng(seed)
    days = rng.uniform(0, weeks * 7, rng.poisson(rate_per_day * max(profile) * weeks * 7))
    t = pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(days, unit="D")
    keep = rng.uniform(0, max(profile), len(days)) < np.asarray(profile)[t.month - 1]
    t = t[keep]
    opps = pd.DataFrame({"opportunity_id": np.arange(len(t)), "source": "web", "segment": "smb", "created": t})
    opps.loc[0, "created"] = pd.Timestamp("2024-01-01", tz="UTC")  # the window starts on day 0
    return Paths(order=["a", "b"], opps=opps, entered=pd.DataFrame(),
                 as_of=pd.Timestamp("2024-01-01", tz="UTC") + pd.Timedelta(weeks=weeks))


def test_seasonality_found_when_present_and_not_invented():
    from sim.calibration.fit_arrivals import arrivals

    profile = [1.4, 1.4, 1.2, 1.0, 1.0, 0.8, 0.6, 0.6, 1.0, 1.0, 1.0, 1.0]
    a = arrivals(_arrival_paths(profile))["web"]
    assert a["seasonality_p"] < 1e-6 and a["seasonality"] is not None
    expected = np.asarray(profile) / np.mean(profile)
    assert np.max(np.abs(np.asarray(a["seasonality"]) - expected)) < 0.15
    flat = arrivals(_arrival_paths([1.0] * 12, seed=1))["web"]
    assert flat["seasonality"] is None and flat["seasonality_p"] > 0.05
    assert flat["lo"] <= 21.0 <= flat["hi"]  # 3 a day = 21 a week
