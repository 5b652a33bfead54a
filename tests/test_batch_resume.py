"""Nothing lost: a batch killed mid-way -- a worker process, or the driver itself --
then resumed, yields exactly the data of an uninterrupted batch.

These tests run ``python -m sim batch`` in a subprocess on a real process
pool, kill a process with SIGKILL once a few chunks are on disk, and resume
in-process. They take a few seconds each.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pandas.testing as pdt
import psutil
import pytest

from sim.experiments import run_batch
from tests.test_batch import deterministic, queued, write_scenario

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="SIGKILL and /proc-style process tree")

REPS = 48
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def reference():
    """The uninterrupted batch (in memory, 2-worker pool)."""
    return run_batch(queued(weeks=20), REPS, seed=9, workers=2, chunk_size=4, progress=False)


def start(tmp_path) -> tuple[subprocess.Popen, Path, str]:
    path = write_scenario(tmp_path, queued(weeks=20))
    out = tmp_path / "study"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-m", "sim", "batch", path, "--reps", str(REPS), "--seed", "9",
                             "--workers", "2", "--chunk-size", "1", "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
    return proc, out, path


def wait_for_parts(proc: subprocess.Popen, out: Path, n: int, timeout: float = 60.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = len(list((out / "parts").glob("*.kpis.parquet"))) if (out / "parts").exists() else 0
        if done >= n:
            return done
        if proc.poll() is not None:
            pytest.fail(f"the batch ended before {n} chunks were saved: {proc.communicate()}")
        time.sleep(0.02)
    proc.kill()
    pytest.fail("the batch saved no chunks in time")


@contextmanager
def reaped(proc: subprocess.Popen) -> Iterator[list[psutil.Process]]:
    """Yields a list to fill with the driver's descendants; at the end, whatever
    of them (and the driver) still runs is killed, so no test leaves a pool
    behind (a lingering pool would also hold our pipes open)."""
    family: list[psutil.Process] = []
    try:
        yield family
    finally:
        for p in family:
            try:
                p.kill()
            except psutil.NoSuchProcess:
                pass
        if proc.poll() is None:
            proc.kill()
        if proc.stdout is not None and not proc.stdout.closed:
            proc.communicate(timeout=30)


def pool_workers(driver: psutil.Process) -> list[psutil.Process]:
    """Workers are forked by the forkserver, itself a child of the driver."""
    servers = [c for c in driver.children() if "forkserver" in " ".join(c.cmdline())]
    return [w for s in servers for w in s.children()] or driver.children()


def check_no_partials(out: Path) -> int:
    parts = sorted((out / "parts").glob("*.kpis.parquet"))
    for p in parts:  # every part on disk is whole and readable
        assert len(pd.read_parquet(p)) == 1
    return len(parts)


def test_worker_killed_then_resumed_equals_uninterrupted(tmp_path, reference):
    proc, out, path = start(tmp_path)
    try:
        wait_for_parts(proc, out, 3)
        workers = pool_workers(psutil.Process(proc.pid))
        assert workers, "no pool workers found"
        os.kill(workers[0].pid, signal.SIGKILL)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 1, err
    assert "worker process died" in err and "--resume" in err and "Traceback" not in err
    saved = check_no_partials(out)
    assert 3 <= saved < REPS
    assert not list(out.rglob(".*.tmp-*"))  # the driver exited cleanly: nothing half-written

    resumed = run_batch(path, REPS, seed=9, workers=2, out=out, resume=True, progress=False)
    assert resumed.study.computed == REPS - saved
    pdt.assert_frame_equal(deterministic(resumed.replications), deterministic(reference.replications))
    pdt.assert_frame_equal(resumed.weekly, reference.weekly)
    on_disk = pd.read_parquet(out / "replications.parquet")
    assert on_disk["rep"].tolist() == list(range(REPS))  # no duplicates, none missing


def test_driver_killed_then_resumed_equals_uninterrupted(tmp_path, reference):
    proc, out, path = start(tmp_path)
    with reaped(proc) as family:
        wait_for_parts(proc, out, 3)
        family += psutil.Process(proc.pid).children(recursive=True)
        os.kill(proc.pid, signal.SIGKILL)  # no chance to clean up
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    saved = check_no_partials(out)
    assert saved < REPS and not (out / "replications.parquet").exists()
    # as if the driver had also died in the middle of writing a part:
    (out / "parts" / ".p00000-c000047.kpis.parquet.tmp-1-abcd").write_bytes(b"PAR1 half")
    orphan = out / "parts" / "p00000-c000046.weekly.parquet"
    if not (out / "parts" / "p00000-c000046.kpis.parquet").exists():
        reference.weekly.head(3).to_parquet(orphan)  # a weekly part whose chunk never completed

    resumed = run_batch(path, REPS, seed=9, executor="serial", out=out, resume=True, progress=False)
    assert resumed.study.computed == REPS - saved
    assert not list(out.rglob(".*.tmp-*"))
    pdt.assert_frame_equal(deterministic(resumed.replications), deterministic(reference.replications))
    pdt.assert_frame_equal(resumed.weekly, reference.weekly)
    assert len(list((out / "parts").glob("*.kpis.parquet"))) == REPS
