"""Faults around a run or a study (issue 10): outputs that cannot be written,
full disks, replications that all fail, and a driver killed or terminated.
Every case ends with a message (and the resume command where there is
something to resume), never a traceback, and leaves no process behind.
"""

from __future__ import annotations

import errno
import os
import signal
import sys
import time
from pathlib import Path

import pandas as pd
import psutil
import pytest

from sim.cli.main import main
from sim.experiments import run_batch
from tests.test_batch_resume import REPS, reaped, start, wait_for_parts

REPO = Path(__file__).resolve().parents[1]
SMALL = str(REPO / "scenarios" / "small_team.yaml")
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="signals and /proc")


def cli(capsys, *argv) -> tuple[int, str, str]:
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


def disk_full(*args, **kw):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


# --------------------------------------------------------------------------- run --out


@linux_only
def test_run_out_where_nothing_can_be_written(capsys):
    rc, out, err = cli(capsys, "run", SMALL, "--weeks", "1", "--out", "/proc/salesim-out")
    assert rc == 2
    assert "--out /proc/salesim-out: cannot write" in err and "Traceback" not in err
    assert not Path("/proc/salesim-out").exists()


def test_run_out_on_a_full_disk_leaves_nothing(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(pd.DataFrame, "to_csv", disk_full)
    rc, out, err = cli(capsys, "run", SMALL, "--weeks", "1", "--out", tmp_path / "o")
    assert rc == 2
    assert "cannot write (No space left on device; free some space" in err
    assert list(tmp_path.iterdir()) == []  # no output folder, no hidden temporary one


# --------------------------------------------------------------------------- failed replications


@pytest.fixture
def failing_replications(monkeypatch):
    import sim.experiments.runner.worker as worker

    def boom(*args, **kw):
        raise RuntimeError("boom")

    monkeypatch.setattr(worker, "simulate", boom)


def test_batch_whose_replications_failed_exits_non_zero(capsys, tmp_path, failing_replications):
    argv = ["batch", SMALL, "--reps", "2", "--weeks", "1", "--workers", "1", "--quiet"]
    rc, out, err = cli(capsys, *argv, "--out", tmp_path / "a")
    assert rc == 1
    assert "2 of 2 replications failed; first: rep 0: RuntimeError: boom" in err
    assert "--allow-failures" in err and "Traceback" not in err
    rc, out, err = cli(capsys, *argv, "--out", tmp_path / "b", "--allow-failures")
    assert rc == 0
    assert "2 replication(s) failed" in out


def test_compare_whose_replications_failed_exits_non_zero(capsys, tmp_path, failing_replications):
    rc, _, err = cli(capsys, "compare", SMALL, SMALL, "--reps", "2", "--weeks", "1", "--workers", "1", "--quiet",
                     "--out", tmp_path / "c")
    assert rc == 1 and "4 of 4 replications failed" in err


# --------------------------------------------------------------------------- full disk in a study


def test_batch_on_a_full_disk_says_how_to_resume(capsys, tmp_path, monkeypatch):
    from sim.experiments.runner.store import FolderStore

    real_save = FolderStore.save
    saved = []

    def save_then_fill_up(self, result):
        if len(saved) == 2:
            disk_full()
        real_save(self, result)
        saved.append(result.chunk)

    monkeypatch.setattr(FolderStore, "save", save_then_fill_up)
    out = tmp_path / "study"
    argv = ["batch", SMALL, "--reps", "5", "--weeks", "1", "--workers", "1", "--chunk-size", "1", "--quiet",
            "--out", out]
    rc, _, err = cli(capsys, *argv)
    assert rc == 2
    assert f"cannot write to {out} (No space left on device); the chunks finished before are kept: free some " \
           f"space, then run the same command with --out {out} --resume" in err
    assert "Traceback" not in err
    monkeypatch.setattr(FolderStore, "save", real_save)
    rc, stdout, err = cli(capsys, *argv, "--resume")
    assert rc == 0, err
    assert "3 were" not in stdout and len(pd.read_parquet(out / "replications.parquet")) == 5


# --------------------------------------------------------------------------- a killed or terminated driver


def _gone(processes: list[psutil.Process], timeout: float = 30.0) -> list[psutil.Process]:
    """The processes still running after ``timeout`` seconds."""
    _, alive = psutil.wait_procs(processes, timeout=timeout)
    return [p for p in alive if p.status() != psutil.STATUS_ZOMBIE]


def _family(pid: int) -> list[psutil.Process]:
    return psutil.Process(pid).children(recursive=True)


@linux_only
def test_workers_exit_when_their_driver_is_killed(tmp_path):
    proc, out, _ = start(tmp_path)
    with reaped(proc) as family:
        wait_for_parts(proc, out, 2)
        family += _family(proc.pid)
        assert any("forkserver" in " ".join(p.cmdline()) for p in family)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        left = _gone(family)
    assert not left, f"still running after the driver died: {[p.cmdline()[-1][:60] for p in left]}"


@linux_only
def test_sigterm_is_handled_like_ctrl_c(tmp_path):
    proc, out, path = start(tmp_path)
    with reaped(proc) as family:
        wait_for_parts(proc, out, 2)
        family += _family(proc.pid)
        time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
        left = _gone(family)
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert f"finished chunks are in {out}: run the same command with --out {out} --resume" in err
    assert "Traceback" not in err and not left
    saved = len(list((out / "parts").glob("*.kpis.parquet")))
    resumed = run_batch(path, REPS, seed=9, executor="serial", out=out, resume=True, progress=False)
    assert resumed.study.computed == REPS - saved


def test_an_aborted_process_pool_stops_the_workers_it_started():
    """close(abort=True) stops the pool's workers (known by the ids they report as they start,
    not by the pool's private process table) instead of waiting for chunks nobody will read."""
    import threading
    import time

    from sim.experiments.runner.executors import ProcessExecutor, _alive

    ex = ProcessExecutor(2)

    def drive():
        try:
            list(ex.run(time.sleep, [60, 60]))
        except Exception:  # the pool is shut down under it
            pass

    threading.Thread(target=drive, daemon=True).start()
    deadline = time.monotonic() + 60
    while len(ex.worker_pids()) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    pids = ex.worker_pids()
    assert len(pids) == 2 and all(_alive(p) for p in pids)
    t0 = time.monotonic()
    ex.close(abort=True)
    assert time.monotonic() - t0 < 10
    assert not any(_alive(p) for p in pids)
