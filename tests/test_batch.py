"""Batch studies: seeds per replication, executors, the store, summaries, the CLI.

The reproducibility contract (replication i always runs under
``SeedSequence(root, spawn_key=(i,))``) is checked against direct calls of
``simulate``; executors and chunk sizes must not change a single number;
statistics are checked against known means at their stated coverage.
Interrupt-and-resume with real processes killed is in ``test_batch_resume.py``,
Dask in ``test_batch_dask.py``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest
import yaml
from scipy import stats

import sim
from sim.cli.main import main
from sim.errors import UsageError
from sim.experiments import ReplicationFailed, run_batch, summarize
from sim.experiments.montecarlo.stats import (
    fan,
    parse_target,
    probability_of_target,
    select_kpis,
    t_interval,
    wilson_interval,
)
from sim.experiments.runner.driver import auto_chunk_size
from sim.experiments.runner.flatten import flatten_kpis
from sim.experiments.runner.seeds import purpose_seed, replication_seed
from sim.experiments.runner.store import FolderStore
from tests.conftest import build, chain

TIMING = ["runtime_s"]


def queued(weeks: float = 6, **kw) -> sim.Scenario:
    """A small funnel with queues (so capacity matters), a few ms per replication."""
    base = dict(headcount=[2, 2, 1], work_hours=[1.0, 2.0, {"dist": "exponential", "mean": 4.0}],
                rate_per_week=40, hours_per_week=40)
    base.update(kw)
    return build(chain([0.5, 0.6, 0.7], **base), horizon_weeks=weeks)


def deterministic(df: pd.DataFrame) -> pd.DataFrame:
    return df.drop(columns=TIMING, errors="ignore")


@pytest.fixture(scope="module")
def serial_batch():
    return run_batch(queued(), 10, seed=5, executor="serial", progress=False)


# ------------------------------------------------------------------ seeds and flattening


def test_replication_seed_is_the_spawned_child():
    root = np.random.SeedSequence(42)
    children = root.spawn(5)
    for i, child in enumerate(children):
        mine = replication_seed(42, i)
        assert mine.spawn_key == child.spawn_key and mine.entropy == child.entropy
        assert (mine.generate_state(4) == child.generate_state(4)).all()
    assert purpose_seed(42, "design/lhs").spawn_key != replication_seed(42, 0).spawn_key


def test_replication_i_equals_a_direct_run_with_its_seed(serial_batch):
    sc = queued()
    for rep in (0, 7):
        direct = sim.simulate(sc, seed=np.random.SeedSequence(5, spawn_key=(rep,)), record="kpis")
        row = serial_batch.replications.set_index("rep").loc[rep]
        flat = flatten_kpis(direct.kpis)
        for key in ("leads_created", "leads_won", "bookings_usd", "roles.r3.utilization", "stages.s1.conversion"):
            assert row[key] == pytest.approx(flat[key], nan_ok=True), key
        weekly = serial_batch.weekly[serial_batch.weekly["rep"] == rep].drop(columns="rep").reset_index(drop=True)
        pdt.assert_frame_equal(weekly, direct.weekly, check_dtype=False)
    # replications differ from one another (no seed reuse)
    assert serial_batch.replications["leads_created"].nunique() > 5


def test_flatten_names_nested_kpis_by_dotted_path():
    flat = flatten_kpis({"scenario": "x", "seed": [1, 2], "a": 1, "b": None, "ok": True,
                         "stages": [{"stage": "sql", "conversion": 0.5, "open": None}],
                         "roles": {"ae": {"utilization": 0.7, "busy_hours_per_rep": [1.0, 2.0]}},
                         "rows": [{"x": 1}, {"x": 2}], "by_segment": {"smb": np.float64(3.5)},
                         "same_label": [{"role": "ae", "w": 1}, {"role": "ae", "w": 2}]})
    assert flat["a"] == 1 and math.isnan(flat["b"]) and flat["ok"] == 1
    assert flat["stages.sql.conversion"] == 0.5 and math.isnan(flat["stages.sql.open"])
    assert flat["roles.ae.utilization"] == 0.7 and flat["by_segment.smb"] == 3.5
    assert flat["rows.0.x"] == 1 and flat["rows.1.x"] == 2
    # rows sharing their first string (reps of one role) must not overwrite each other
    assert flat["same_label.0.w"] == 1 and flat["same_label.1.w"] == 2
    assert not any(k.startswith(("scenario", "seed")) or "busy_hours" in k for k in flat)


# ------------------------------------------------------------------ executors


def test_one_and_two_workers_and_any_chunking_give_identical_results(serial_batch):
    one = run_batch(queued(), 10, seed=5, executor="process", workers=1, chunk_size=3, progress=False)
    two = run_batch(queued(), 10, seed=5, executor="process", workers=2, chunk_size=2, progress=False)
    assert two.study.workers == 2 and one.study.workers == 1
    for other in (one, two):
        pdt.assert_frame_equal(deterministic(serial_batch.replications), deterministic(other.replications))
        pdt.assert_frame_equal(serial_batch.weekly, other.weekly)
        pdt.assert_frame_equal(serial_batch.summary, other.summary)


def test_notebooks_default_to_one_in_process_worker(monkeypatch):
    import sys
    import types

    from sim.experiments.runner import executors

    assert not executors.in_notebook()

    class ZMQInteractiveShell:  # what a Jupyter kernel's get_ipython() returns
        pass

    fake = types.ModuleType("IPython")
    fake.get_ipython = lambda: ZMQInteractiveShell()
    monkeypatch.setitem(sys.modules, "IPython", fake)
    assert executors.in_notebook() and executors.default_workers() == 1
    b = run_batch(queued(weeks=1), 3, progress=False)
    assert b.study.executor == "serial" and b.study.workers == 1
    assert sim.run_batch is run_batch  # exported lazily from the package


def test_auto_chunk_size_balances_work_and_caps_chunks():
    assert auto_chunk_size(1000, 1, 2) == 32      # 16 chunks per worker
    assert auto_chunk_size(10**6, 1, 2) == 100    # checkpoints stay frequent
    assert auto_chunk_size(10, 200, 2) == 10      # sweeps: one chunk per point
    for reps in (1, 2, 4, 20, 32, 100):           # small batches: several chunks per worker
        size = auto_chunk_size(reps, 1, 2)
        assert math.ceil(reps / size) >= min(reps, 8)


def test_a_failing_replication_is_recorded_and_the_batch_goes_on(monkeypatch, tmp_path):
    import sim.experiments.runner.worker as worker

    real = worker.simulate

    def flaky(scenario, seed, **kw):
        if seed.spawn_key == (3,):
            raise ValueError("boom at 3")
        return real(scenario, seed, **kw)

    monkeypatch.setattr(worker, "simulate", flaky)
    b = run_batch(queued(), 6, seed=5, executor="serial", progress=False, out=tmp_path / "b", chunk_size=2)
    assert list(b.errors["rep"]) == [3] and b.errors["error"][0] == "ValueError: boom at 3"
    assert "boom at 3" in b.errors["traceback"][0]
    assert b.summary.loc["leads_won", "n"] == 5
    assert (tmp_path / "b" / "errors.csv").exists()
    assert json.loads((tmp_path / "b" / "manifest.json").read_text())["failed_replications"] == 1

    with pytest.raises(ReplicationFailed) as info:
        run_batch(queued(), 6, seed=5, executor="serial", progress=False, out=tmp_path / "f", chunk_size=2,
                  fail_fast=True)
    assert info.value.rep == 3
    parts = sorted(p.name for p in (tmp_path / "f" / "parts").glob("*.kpis.parquet"))
    assert parts == ["p00000-c000000.kpis.parquet", "p00000-c000001.kpis.parquet"]  # stopped at rep 3's chunk
    assert not (tmp_path / "f" / "replications.parquet").exists()


# ------------------------------------------------------------------ the store


def test_outputs_and_manifest(tmp_path, serial_batch):
    out = tmp_path / "study"
    b = run_batch(queued(), 10, seed=5, executor="serial", progress=False, out=out, targets=["leads_won=50"])
    names = {p.name for p in out.iterdir()}
    assert {"manifest.json", "parts", "replications.parquet", "weekly.parquet", "summary.csv", "fan.csv",
            "targets.csv", "scenario.resolved.yaml"} <= names
    assert not [n for n in names if ".tmp-" in n]
    m = json.loads((out / "manifest.json").read_text())
    assert m["root_seed"] == 5 and m["reps"] == 10 and m["bit_generator"] == "PCG64"
    assert m["numpy_version"] == np.__version__ and m["salesim_version"] == sim.__version__
    assert len(m["points"][0]["scenario_hash"]) == 64 and m["completed_utc"]
    pdt.assert_frame_equal(deterministic(pd.read_parquet(out / "replications.parquet")),
                           deterministic(serial_batch.replications), check_dtype=False)
    resolved = sim.validate_data(yaml.safe_load((out / "scenario.resolved.yaml").read_text()))
    assert resolved == queued()
    assert b.targets["n"][0] == 10


def test_resume_skips_completed_chunks_and_refuses_another_study(tmp_path, monkeypatch, serial_batch):
    out = tmp_path / "study"
    saved = []
    real_save = FolderStore.save

    def save_then_die(self, result):
        real_save(self, result)
        saved.append(result.chunk)
        if len(saved) == 2:
            raise KeyboardInterrupt  # the driver stops between chunks

    monkeypatch.setattr(FolderStore, "save", save_then_die)
    with pytest.raises(KeyboardInterrupt):
        run_batch(queued(), 10, seed=5, executor="serial", progress=False, out=out, chunk_size=3)
    monkeypatch.setattr(FolderStore, "save", real_save)
    assert len(list((out / "parts").glob("*.kpis.parquet"))) == 2
    with pytest.raises(UsageError, match=r"^out='.*': folder exists and is not empty; add resume=True"):
        run_batch(queued(), 10, seed=5, executor="serial", progress=False, out=out)
    with pytest.raises(UsageError, match="root_seed: folder has 5, this study 6"):
        run_batch(queued(), 10, seed=6, executor="serial", progress=False, out=out, resume=True)
    with pytest.raises(UsageError, match="scenario_hash"):
        run_batch(queued(weeks=7), 10, seed=5, executor="serial", progress=False, out=out, resume=True)
    done = run_batch(queued(), 10, seed=5, executor="serial", progress=False, out=out, resume=True)
    assert done.study.computed == 10 - 6
    pdt.assert_frame_equal(deterministic(done.replications), deterministic(serial_batch.replications))
    pdt.assert_frame_equal(done.weekly, serial_batch.weekly)


def test_resume_without_a_folder_starts_and_a_folder_without_manifest_is_refused(tmp_path):
    b = run_batch(queued(weeks=2), 2, executor="serial", progress=False, out=tmp_path / "new", resume=True)
    assert b.study.computed == 2
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    with pytest.raises(UsageError, match="no manifest.json"):
        run_batch(queued(weeks=2), 2, executor="serial", progress=False, out=tmp_path / "other", resume=True)


# ------------------------------------------------------------------ statistics


def test_confidence_intervals_cover_a_known_mean_at_the_stated_rate():
    """Student-t intervals of ``summarize`` must cover the true mean of a synthetic
    KPI in 95% (and 80%) of datasets: 3000 datasets of 8 normal draws each."""
    rng = np.random.default_rng(np.random.SeedSequence(2024))
    data = pd.DataFrame(rng.normal(3.0, 2.0, size=(8, 3000)), columns=[f"k{i}" for i in range(3000)])
    for level in (0.95, 0.80):
        s = summarize(data, confidence=level)
        lo, hi = s.columns[4], s.columns[5]
        covered = ((s[lo] <= 3.0) & (3.0 <= s[hi])).mean()
        sd = math.sqrt(level * (1 - level) / 3000)
        assert abs(covered - level) < 4 * sd, (level, covered)
    # a z-interval on 8 draws (the classic mistake) would cover only ~0.90 at "95%"
    z_cover = ((data.mean() - 1.96 * data.std() / math.sqrt(8) <= 3) & (3 <= data.mean() + 1.96 * data.std()
                                                                         / math.sqrt(8))).mean()
    assert z_cover < 0.95 - 4 * math.sqrt(0.95 * 0.05 / 3000)


def test_wilson_interval_covers_a_known_probability():
    rng = np.random.default_rng(np.random.SeedSequence(7))
    hits = rng.binomial(40, 0.3, size=4000)
    covered = np.mean([lo <= 0.3 <= hi for lo, hi in (wilson_interval(int(h), 40) for h in hits)])
    assert 0.93 <= covered <= 0.97
    assert wilson_interval(0, 20)[0] == 0.0 and wilson_interval(20, 20)[1] == 1.0


def test_batch_leads_created_is_poisson_with_the_known_mean():
    """A real KPI with a known distribution: an inbound source at 50 leads/week over
    2 weeks creates Poisson(100) leads. The batch's 99% CI covers 100 and the
    dispersion is Poisson's -- replications that shared seeds would fail both."""
    sc = build(chain([0.5], rate_per_week=50), horizon_weeks=2)
    b = run_batch(sc, 120, seed=4, executor="serial", progress=False, weekly=False, confidence=0.99)
    s = b.summary.loc["leads_created"]
    assert s["ci99_low"] <= 100 <= s["ci99_high"]
    assert s["ci99_high"] - s["ci99_low"] < 6  # ~ 2 * 2.6 * 10 / sqrt(120)
    x = b.replications["leads_created"].to_numpy()
    dispersion = (len(x) - 1) * x.var(ddof=1) / 100
    assert stats.chi2.ppf(0.001, len(x) - 1) < dispersion < stats.chi2.ppf(0.999, len(x) - 1)


def test_percentiles_targets_and_fan(serial_batch):
    s = serial_batch.summary
    x = serial_batch.replications["leads_won"]
    assert s.loc["leads_won", "p50"] == pytest.approx(np.percentile(x, 50))
    assert s.loc["leads_won", "mean"] == pytest.approx(x.mean())
    lo, hi = t_interval(x.to_numpy())
    assert (s.loc["leads_won", "ci95_low"], s.loc["leads_won", "ci95_high"]) == pytest.approx((lo, hi))
    t = probability_of_target(serial_batch.replications, "leads_won", float(x.median()))
    assert t["hits"] == int((x >= x.median()).sum()) and t["ci_low"] <= t["probability"] <= t["ci_high"]
    assert parse_target("arr_end_usd=5e6") == ("arr_end_usd", ">=", 5e6)
    assert parse_target("leads_lost <= 3") == ("leads_lost", "<=", 3.0)
    for bad in ("nothing", "x=abc", "x=inf"):
        with pytest.raises(UsageError):
            parse_target(bad)
    # the fan: any weekly column; cumulative bookings when asked
    w = serial_batch.weekly
    f = fan(w, "bookings_usd", cumulative=True)
    last = w.groupby("rep")["bookings_usd"].sum()
    assert f["p50"].iloc[-1] == pytest.approx(np.percentile(last, 50))
    assert (f["p5"] <= f["p50"]).all() and (f["p50"] <= f["p95"]).all()
    q = fan(w, "queue_r3")
    assert q.attrs["series"] == "queue_r3" and len(q) == w["week"].nunique()
    default = fan(w)
    assert default.attrs["series"] in ("arr_usd", "cumulative bookings_usd")
    with pytest.raises(UsageError, match="did you mean"):
        fan(w, "bookings_us")


def test_fan_defaults_to_cumulative_bookings_without_arr():
    w = pd.DataFrame({"rep": [0, 0, 1, 1], "week": [0, 1, 0, 1], "bookings_usd": [1.0, 2.0, 3.0, 4.0]})
    f = fan(w, percentiles=(50,))
    assert f.attrs["series"] == "cumulative bookings_usd"
    assert list(f["p50"]) == [2.0, 5.0]
    w["arr_usd"] = [10.0, 20.0, 30.0, 40.0]
    assert list(fan(w, percentiles=(50,))["p50"]) == [20.0, 30.0]


# ------------------------------------------------------------------ the CLI


def write_scenario(tmp_path, scenario: sim.Scenario, name: str = "q.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(scenario.model_dump(mode="json", by_alias=True), sort_keys=False))
    return str(path)


def test_cli_batch_prints_summaries_and_writes_the_study(tmp_path, capsys):
    path = write_scenario(tmp_path, queued())
    out = tmp_path / "b"
    rc = main(["batch", path, "--reps", "6", "--workers", "1", "--seed", "5", "--out", str(out),
               "--target", "leads_won=40", "--kpi", "stages.*.conversion", "--fan", "queue_r3"])
    text, err = capsys.readouterr()
    assert rc == 0, err
    assert "6 replications (0 failed), root seed 5" in text
    assert "stages.s1.conversion" in text and "P(leads_won >= 40)" in text and "Weekly fan: queue_r3" in text
    assert err == ""  # no progress bar when stderr is not a terminal
    assert (out / "replications.parquet").exists() and (out / "summary.csv").exists()
    rc = main(["batch", path, "--reps", "6", "--workers", "1", "--seed", "5", "--out", str(out), "--resume"])
    assert rc == 0 and "6 were already done" in capsys.readouterr()[0]


def test_api_errors_speak_python_and_the_cli_speaks_flags(tmp_path, capsys):
    """A Python caller sees its own argument names; the command line, its flags."""
    with pytest.raises(UsageError) as info:
        run_batch(queued(), 0, executor="serial", progress=False)
    assert str(info.value) == "reps: expected a whole number in [1, 10000000], got 0"
    with pytest.raises(UsageError) as info:
        select_kpis(["leads_won"], ["nothing.*"])
    assert str(info.value) == "kpis='nothing.*': matches no KPI"
    assert info.value.render(lambda p: {"kpis": "--kpi"}[p]) == "--kpi nothing.*: matches no KPI"


@pytest.mark.parametrize("args, message", [
    (["--reps", "0"], "--reps: expected a whole number in [1, 10000000], got '0'"),
    (["--reps", "ten"], "--reps: expected a whole number"),
    (["--reps", "2", "--workers", "0"], "--workers: expected a whole number"),
    (["--reps", "2", "--resume"], "--resume needs --out DIR"),
    (["--reps", "2", "--target", "leads_wonn=3"], "did you mean 'leads_won'"),
    (["--reps", "2", "--target", "leads_won"], "expected KPI=VALUE"),
    (["--reps", "2", "--kpi", "nothing.*"], "--kpi nothing.*: matches no KPI"),
    (["--reps", "2", "--fan", "bookings"], "--fan bookings: no such weekly column"),
    (["--reps", "2", "--set", "roles.r1.headcont=3"], "unknown key 'headcont'"),
    (["--reps", "2", "--dask", " "], "--dask: expected 'local' or a scheduler address"),
])
def test_cli_batch_bad_input_exits_2_with_a_message(tmp_path, capsys, args, message):
    path = write_scenario(tmp_path, queued(weeks=1))
    where = [] if "--resume" in args else ["--out", str(tmp_path / "o")]
    rc = main(["batch", path, *where, "--quiet", *args])
    out, err = capsys.readouterr()
    assert rc == 2, (out, err)
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()  # nothing half-written


def test_cli_batch_refuses_a_non_empty_out_and_a_missing_scenario(tmp_path, capsys):
    path = write_scenario(tmp_path, queued(weeks=1))
    (tmp_path / "o").mkdir()
    (tmp_path / "o" / "x").write_text("x")
    assert main(["batch", path, "--reps", "2", "--out", str(tmp_path / "o")]) == 2
    assert "add --resume" in capsys.readouterr()[1]
    assert main(["batch", str(tmp_path / "nope.yaml"), "--reps", "2", "--out", str(tmp_path / "p")]) == 2
    assert "no such file" in capsys.readouterr()[1]


def test_cli_fail_fast_exits_1_with_where_the_results_are(tmp_path, capsys, monkeypatch):
    import sim.experiments.runner.worker as worker

    def broken(*a, **k):
        raise RuntimeError("model bug")

    monkeypatch.setattr(worker, "simulate", broken)
    path = write_scenario(tmp_path, queued(weeks=1))
    rc = main(["batch", path, "--reps", "3", "--workers", "1", "--out", str(tmp_path / "o"), "--fail-fast"])
    err = capsys.readouterr()[1]
    assert rc == 1 and "replication 0 (point 0) failed: RuntimeError: model bug" in err
    assert "Traceback" not in err
    rc = main(["batch", path, "--reps", "3", "--workers", "1", "--out", str(tmp_path / "p")])
    out = capsys.readouterr()[0]
    assert rc == 1 and "3 replication(s) failed" in out  # without --allow-failures a failed replication fails the study


def test_progress_bar_shows_rate_when_enabled(capsys):
    run_batch(queued(weeks=1), 3, executor="serial", progress=True)
    err = capsys.readouterr()[1]
    assert "3/3" in err and "rep/s" in err


def test_cli_batch_streams_to_runs_by_default(tmp_path, capsys, monkeypatch):
    path = write_scenario(tmp_path, queued(weeks=1))
    monkeypatch.chdir(tmp_path)
    assert main(["batch", path, "--reps", "2", "--workers", "1"]) == 0
    (folder,) = (tmp_path / "runs").iterdir()
    assert folder.name.startswith("batch-chain-") and (folder / "replications.parquet").exists()
    assert f"results in {Path('runs') / folder.name}/" in capsys.readouterr()[0]


def test_a_study_where_every_replication_fails_still_reports(monkeypatch):
    import sim.experiments.runner.worker as worker
    from sim.experiments import compare, sweep

    def broken(*a, **k):
        raise RuntimeError("model bug")

    monkeypatch.setattr(worker, "simulate", broken)
    b = run_batch(queued(weeks=1), 3, executor="serial", progress=False, targets=[("leads_won", ">=", 1.0)])
    assert len(b.errors) == 3 and b.summary.empty and b.targets["n"][0] == 0 and b.fan is None
    c = compare([queued(weeks=1), queued(weeks=2)], 2, executor="serial", progress=False)
    assert c.paired.empty and c.metric is None
    s = sweep(queued(weeks=1), ["roles.r1.headcount=1:2:1"], design="grid", reps=1, metric="leads_won",
              executor="serial", progress=False)
    assert s.sensitivity is None and len(s.replications) == 2 + 3
