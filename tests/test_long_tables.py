"""Agent-level results survive studies: one row per replication x rep.

The per-rep rows of ``reps`` (and ``departures``) all start with the role, so
naming flat columns by a row's first string collapsed every rep of a role into
one set of columns holding the last rep only. They are long tables now.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import sim
from sim.experiments import compare, run_batch
from sim.experiments.runner.flatten import flatten_kpis
from tests.conftest import SCENARIOS

INVERTED = SCENARIOS / "inverted_triangle.yaml"


def test_rows_with_a_shared_label_are_not_collapsed():
    flat = flatten_kpis({"rows": [{"role": "ae", "wins": 1}, {"role": "ae", "wins": 2}],
                         "stages": [{"stage": "a", "n": 3}, {"stage": "b", "n": 4}]})
    assert flat["rows.0.wins"] == 1 and flat["rows.1.wins"] == 2  # nothing overwritten
    assert flat["stages.a.n"] == 3 and flat["stages.b.n"] == 4  # distinct labels still name rows


def test_a_batch_writes_one_row_per_rep_per_replication(tmp_path):
    sc = sim.load_scenario(INVERTED, ["horizon_weeks=12"])
    b = run_batch(sc, 3, seed=4, out=tmp_path / "b", executor="serial", progress=False)
    reps = pd.read_parquet(tmp_path / "b" / "reps.parquet")
    for rep in range(3):
        direct = sim.simulate(sc, seed=np.random.SeedSequence(4, spawn_key=(rep,)), record="kpis").kpis["reps"]
        mine = reps[reps["rep"] == rep]
        assert len(mine) == len(direct) and len(direct) >= 6
        assert mine["bookings_usd"].tolist() == [r["bookings_usd"] for r in direct]
        assert mine["rep_id"].tolist() == [r["rep"] for r in direct]
    assert {"role", "wins", "bookings_usd", "hired_days", "left_days", "skill"} <= set(reps.columns)
    assert (tmp_path / "b" / "departures.parquet").exists()
    assert not any(c.startswith("reps.") for c in b.replications.columns)
    assert len(b.reps) == len(reps)


def test_compare_and_sweep_label_their_long_tables(tmp_path):
    sc = sim.load_scenario(INVERTED, ["horizon_weeks=6"])
    compare([sc, sim.load_scenario(INVERTED, ["horizon_weeks=6", "name=other"])], 2, seed=1,
            out=tmp_path / "c", executor="serial", progress=False)
    reps = pd.read_parquet(tmp_path / "c" / "reps.parquet")
    assert set(reps["scenario"]) == {sc.name, "other"} and "point" not in reps
    assert reps.groupby(["scenario", "rep"]).size().min() >= 6
    sim.sweep(sc, ["roles.rep.headcount=6:7:1"], design="grid", reps=1, out=tmp_path / "s",
              executor="serial", progress=False, tornado_points=False)
    reps = pd.read_parquet(tmp_path / "s" / "reps.parquet")
    assert reps.groupby("param:roles.rep.headcount").size().to_dict() == {6: 6, 7: 7}


@pytest.mark.parametrize("name", ["reps", "departures", "staff"])
def test_agent_tables_are_not_flat_columns(name):
    assert not any(k.startswith(name + ".") for k in flatten_kpis({name: [{"role": "x", "wins": 1}]}))


def test_rep_rows_name_their_pod(tmp_path):
    sc = sim.load_scenario(SCENARIOS / "pods_split.yaml", ["horizon_weeks=30"])
    run_batch(sc, 1, seed=2, out=tmp_path / "p", executor="serial", progress=False)
    reps = pd.read_parquet(tmp_path / "p" / "reps.parquet")
    pods = {p["name"] for p in sim.simulate(sc, seed=2, record="kpis").kpis["pods"]}
    assert len(reps) >= 2 and set(reps["pod"]) <= pods and reps["pod"].nunique() >= 2


def test_the_roles_that_do_not_close_have_their_own_table(tmp_path):
    """small_team's MDR and two SDRs (managed, with a people section) are in staff.parquet with
    their manager and coverage; reps.parquet keeps the AEs, who close."""
    sc = sim.load_scenario(SCENARIOS / "small_team.yaml", ["horizon_weeks=8"])
    b = run_batch(sc, 2, seed=3, out=tmp_path / "b", executor="serial", progress=False)
    staff = pd.read_parquet(tmp_path / "b" / "staff.parquet")
    reps = pd.read_parquet(tmp_path / "b" / "reps.parquet")
    assert set(reps["role"]) == {"ae"}
    assert staff.groupby("rep")["role"].apply(lambda r: sorted(r.unique())).tolist() == [["mdr", "sdr"]] * 2
    assert (staff[staff["left_days"].isna()].groupby(["rep", "role"]).size() >= 1).all()
    assert {"seat", "hired_days", "skill", "manager", "manager_coverage"} <= set(staff.columns)
    assert set(staff["manager"]) == {0} and staff["manager_coverage"].between(0, 1).all()
    assert len(b.staff) == len(staff)
    direct = sim.simulate(sc, seed=np.random.SeedSequence(3, spawn_key=(0,)), record="kpis").kpis["staff"]
    assert staff[staff["rep"] == 0]["skill"].tolist() == [r["skill"] for r in direct]
