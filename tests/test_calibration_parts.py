"""Fits that need no simulation: retention from a subscription table, rep
heterogeneity, censored durations and the AIC choice, checked by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.calibration.fit_durations import fit_durations
from sim.calibration.fit_reps import fit_reps
from sim.calibration.fit_retention import fit_retention
from sim.calibration.mapping import DataError
from sim.calibration.paths import Paths

AS_OF = pd.Timestamp("2026-01-01", tz="UTC")


def test_retention_by_hand(tmp_path):
    rows = ["account_id,event,at,arr_delta,segment"]
    for i in range(10):  # 10 accounts of 1000, signed 2024-01-01; a decision a year later
        rows.append(f"a{i},new,2024-01-01,1000,smb")
        if i < 6:
            rows.append(f"a{i},renewal,2025-01-01,50,smb")  # +5% uplift
        elif i < 8:
            rows.append(f"a{i},contraction,2025-01-01,-200,smb")  # renews 20% smaller
        else:
            rows.append(f"a{i},churn,2025-01-01,-1000,smb")
    rows.append("a0,expansion,2025-06-01,210,smb")  # +20% of 1050
    p = tmp_path / "subs.csv"
    p.write_text("\n".join(rows) + "\n")
    r = fit_retention(str(p), AS_OF)["smb"]
    assert r["renewal_probability"] == pytest.approx(8 / 10)
    assert r["renewal_lo"] < 0.8 < r["renewal_hi"]
    assert r["contraction_probability"] == pytest.approx(2 / 8)
    assert r["contraction_fraction"] == pytest.approx(0.2)
    assert r["price_uplift_fraction"] == pytest.approx(0.05)
    assert r["expansion_fraction"] == pytest.approx(0.2)
    # account-years: 8 live for 2 years to the extraction date, 2 churned after 1 year
    assert r["account_years"] == pytest.approx(8 * 2.0 + 2 * 1.0, rel=0.01)
    assert r["expansions_per_year"] == pytest.approx(1 / 18, rel=0.01)
    assert r["term_years"] == 1


def test_retention_bad_table(tmp_path):
    p = tmp_path / "subs.csv"
    p.write_text("account_id,event,at,arr_delta\na1,upgrade,2024-01-01,5\n")
    with pytest.raises(DataError, match="rows 2: event must be one of new, renewal"):
        fit_retention(str(p), AS_OF)
    p.write_text("account_id,at\na1,2024-01-01\n")
    with pytest.raises(DataError, match=r"missing column\(s\) event, arr_delta"):
        fit_retention(str(p), AS_OF)


def _rep_paths(rates, deals, seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for i, (p, n) in enumerate(zip(rates, deals, strict=True)):
        wins = rng.binomial(n, p)
        rows += [{"owner": f"ae_{i}", "owner_role": "ae", "outcome": "won" if k < wins else "lost", "reached": 2}
                 for k in range(n)]
    opps = pd.DataFrame(rows)
    return Paths(order=["a", "b", "won"], opps=opps, entered=pd.DataFrame(), as_of=AS_OF)


def test_rep_spread_and_shrinkage():
    rng = np.random.default_rng(3)
    spread = fit_reps(_rep_paths(rng.beta(3, 6, 30), [60] * 30), from_stage=1, role="ae")
    alike = fit_reps(_rep_paths([1 / 3] * 30, [60] * 30), from_stage=1, role="ae")
    assert spread.logit_sd > 0.5 > alike.logit_sd  # Beta(3, 6) has log-odds sd ~0.75
    assert spread.mean == pytest.approx(1 / 3, abs=0.05)
    t = spread.table
    raw_dev = (t["raw"] - spread.mean).abs()
    shrunk_dev = (t["shrunk"] - spread.mean).abs()
    assert (shrunk_dev <= raw_dev + 1e-12).all()  # every rep is pulled toward the mean
    assert fit_reps(_rep_paths([0.3] * 2, [10] * 2), from_stage=1) is None  # too few reps to tell


def test_durations_censoring_and_aic():
    rng = np.random.default_rng(0)
    true = rng.gamma(4.0, 2.5, 3000)  # mean 10, cv 0.5
    cutoff = rng.uniform(0, 30, 3000)  # open deals: seen for a while, not to their exit
    seen = np.minimum(true, cutoff)
    censored = true > cutoff
    fit = fit_durations(seen, censored)
    assert fit.family == "gamma" and fit.mean_lo <= 10 <= fit.mean_hi
    assert fit.cv == pytest.approx(0.5, abs=0.05)
    naive = fit_durations(seen, np.zeros_like(censored))  # treating open deals as exits biases short
    assert naive.mean_hi < 10
    ln = fit_durations(rng.lognormal(np.log(5), 1.0, 3000), np.zeros(3000, bool))
    assert ln.family == "lognormal" and ln.spec()["median"] == pytest.approx(5, rel=0.1)
    assert fit_durations(np.zeros(10), np.zeros(10, bool)).family == "constant"


def test_retention_round_trip_through_a_run(tmp_path):
    import yaml

    import sim
    from sim.calibration.export import subscriptions_from_accounts
    from sim.calibration.fit import fit_history
    from sim.calibration.io import load_history
    from sim.calibration.scenario_writer import scenario_text
    from tests.conftest import SCENARIOS

    truth = sim.load_scenario(SCENARIOS / "small_team.yaml")
    r = sim.simulate(truth, weeks=156, seed=2)
    subs = subscriptions_from_accounts(r.accounts)
    assert set(subs["event"]) <= {"new", "renewal", "churn", "expansion", "contraction"}
    path = tmp_path / "subs.csv"
    subs.to_csv(path, index=False)
    fitted = fit_retention(str(path), AS_OF)
    for seg in ("smb", "mid_market"):
        p = truth.segments[seg].customer.renewal.probability
        assert fitted[seg]["renewal_lo"] <= p <= fitted[seg]["renewal_hi"], seg
    assert fitted["mid_market"]["price_uplift_fraction"] == pytest.approx(0.03, abs=1e-6)
    assert fitted["smb"]["term_years"] == 1
    # and into a scenario: the customer section is written, valid, and runs
    from sim.calibration.export import history_from_tables

    hist = tmp_path / "h.csv"
    history_from_tables(r.events, r.leads, truth.stages).to_csv(hist, index=False)
    fit = fit_history(load_history(hist), accounts_file=str(path))
    text = scenario_text(fit)
    assert "renewal: {probability:" in text
    s = sim.validate_data(yaml.safe_load(text))
    assert s.segments["smb"].customer.renewal.probability == pytest.approx(fitted["smb"]["renewal_probability"],
                                                                           abs=1e-4)
    assert sim.simulate(s, seed=1, weeks=60, record="kpis").kpis["customer_stages"]


def test_ramp_by_tenure_by_hand(tmp_path):
    from sim.calibration.fit_reps import ramp_by_tenure, read_reps

    reps_csv = tmp_path / "reps.csv"
    reps_csv.write_text("rep,role,hired,left\nae_0,AE,2024-01-01,\nae_1,AE,2023-01-01,2024-06-01\n")
    reps = read_reps(str(reps_csv))
    assert list(reps["role"]) == ["ae", "ae"]
    t = pd.Timestamp
    opps = pd.DataFrame({  # ae_0: 4 deals at ~30 days, 2 won; ae_1: 3 deals at ~400 days, all won
        "owner": ["ae_0"] * 4 + ["ae_1"] * 3, "owner_role": "ae", "reached": 2,
        "outcome": ["won", "won", "lost", "lost", "won", "won", "won"],
        "closed": [t("2024-01-31", tz="UTC")] * 4 + [t("2024-02-05", tz="UTC")] * 3})
    r = ramp_by_tenure(Paths(order=["a", "b", "won"], opps=opps, entered=pd.DataFrame(), as_of=AS_OF),
                       reps, from_stage=1, role="ae").set_index("tenure_days")
    assert (r.loc["0-90", "deals"], r.loc["0-90", "wins"]) == (4, 2) and r.loc["0-90", "win_rate"] == 0.5
    assert (r.loc["365-", "deals"], r.loc["365-", "wins"]) == (3, 3)
    assert r.loc["90-180", "deals"] == 0
