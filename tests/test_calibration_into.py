"""A fit written into an organization scenario (``calibrate --into``), and capacity from data."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

import sim
from sim.cli.main import main

pytest.importorskip("scipy")

ROOT = Path(__file__).resolve().parents[1]
HIST = ROOT / "data" / "crm" / "sample_history.csv"
MAPPING = ROOT / "data" / "crm" / "sample_mapping.yaml"
ORG = ROOT / "scenarios" / "small_team.yaml"


def test_calibrate_into_an_organization_runs_with_arr_utilization_and_costs(tmp_path, capsys):
    out = tmp_path / "merged.yaml"
    rc = main(["calibrate", str(HIST), "--mapping", str(MAPPING), "--into", str(ORG), "--out", str(out)])
    err = capsys.readouterr().err
    assert rc == 0, err
    assert "--into" in err and "headcount" in err  # the decisions are said
    data = yaml.safe_load(out.read_text())
    org = yaml.safe_load(ORG.read_text())
    assert data["stages"] == ["lead", "qualified", "demo", "proposal", "won"]  # the fitted funnel
    assert set(data["roles"]) == set(org["roles"])  # the organization's roles, with their costs
    assert data["roles"]["csm"]["loaded_cost_per_year_usd"] == org["roles"]["csm"]["loaded_cost_per_year_usd"]
    assert data["segments"]["smb"]["customer"] == org["segments"]["smb"]["customer"]  # the customer side
    assert str(data["calendar"]["start_date"]) == "2024-01-01" and data["calendar"]["hours"] == "09:00-17:30"
    k = sim.simulate(sim.load_scenario(out)).kpis
    assert k["arr_end_usd"] > 0 and k["costs"]["total_usd"] > 0 and k["leads_won"] > 0
    worked = {r for r in (s["role"] for s in data["steps"].values())}
    assert all(k["roles"][r]["utilization"] > 0.05 for r in worked), k["roles"]


def test_the_stand_alone_fit_has_capacity_from_owners_throughput(tmp_path, capsys):
    out = tmp_path / "fitted.yaml"
    assert main(["calibrate", str(HIST), "--mapping", str(MAPPING), "--out", str(out)]) == 0
    capsys.readouterr()
    data = yaml.safe_load(out.read_text())
    hours = [st.get("work_hours", 0) for seg in data["segments"].values() for st in seg["steps"].values()]
    assert all(h > 0 for h in hours)
    k = sim.simulate(sim.load_scenario(out)).kpis
    util = {r: v["utilization"] for r, v in k["roles"].items()}
    assert all(0.05 < u < 1.0 for u in util.values()), util


def test_into_a_scenario_that_cannot_take_the_fit_is_a_clear_error(tmp_path, capsys):
    bad = tmp_path / "org.yaml"
    bad.write_text("name: x\n")
    rc = main(["calibrate", str(HIST), "--mapping", str(MAPPING), "--into", str(bad), "--out",
               str(tmp_path / "m.yaml")])
    err = capsys.readouterr().err
    assert rc == 2 and str(bad) in err and "Traceback" not in err
