"""What a worker does with one chunk of replications.

Why chunks: one task per replication would spend more time shipping tasks
than simulating when replications are short; a chunk is many consecutive
replications of one scenario (one *point* of a study), run back to back in
one worker, returned as two small tables. Workers never touch the output
folder: the driver alone writes, so there is one writer and nothing to lock
across machines, and a Dask worker needs no shared file system.

A replication that raises is caught here and becomes a row with its error
(and a short traceback) instead of KPIs, so one bad draw does not lose its
chunk. This module is imported by pool and Dask workers; it has no side
effects at import time.
"""

from __future__ import annotations

import os
import select
import signal
import threading
import time
import traceback
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.experiments.runner.flatten import LONG_TABLES, flatten_kpis, long_tables
from sim.experiments.runner.seeds import replication_seed
from sim.run import simulate
from sim.scenario.schema import Scenario

RESERVED = ("point", "rep", "error", "traceback", "runtime_s")


@dataclass(frozen=True)
class Task:
    """Replications ``rep_start <= i < rep_stop`` of one point of a study."""

    point: int
    chunk: int
    rep_start: int
    rep_stop: int
    scenario: Scenario = field(repr=False)
    root_seed: int = 0
    weeks: float | None = None
    weekly: bool = True

    @property
    def n(self) -> int:
        return self.rep_stop - self.rep_start


@dataclass
class ChunkResult:
    """A finished chunk: one row per replication, and optionally the weekly series."""

    point: int
    chunk: int
    rows: Any  # pandas.DataFrame
    weekly: Any | None  # pandas.DataFrame
    env: dict
    failed: list[tuple[int, str]]
    tables: dict = field(default_factory=dict)  # name -> pandas.DataFrame: agent-level long tables


    @property
    def n(self) -> int:
        return len(self.rows)


def environment() -> dict:
    """What must match between driver and workers for results to be reproducible."""
    import sim

    return {"salesim": sim.__version__, "numpy": np.__version__}


def init_worker(driver_pid: int | None = None, pids=None) -> None:
    """Pool initializer: Ctrl-C is the driver's business (it reaches the whole
    process group); a worker that died of it would read as a crash. A worker
    also exits when its driver is gone (see :func:`exit_with`). With ``pids``
    (a multiprocessing queue) it tells the driver its process id, so that an
    aborted study can stop the workers it started."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if pids is not None:
        pids.put(os.getpid())
    if driver_pid is not None:
        exit_with(driver_pid)


def exit_with(pid: int, poll_s: float = 1.0) -> threading.Thread:
    """Exit this process as soon as process ``pid`` (the driver) ends.

    Why: a pool worker's parent is the forkserver, not the driver, so a driver
    killed with SIGKILL (or out of memory) would leave idle workers holding
    memory for good. A daemon thread waits on a pidfd of the driver (woken
    the moment it exits, immune to pid reuse); where pidfds are missing it
    polls the pid every ``poll_s`` seconds."""

    def watch() -> None:
        try:
            fd = os.pidfd_open(pid)
        except (AttributeError, OSError):
            fd = None
        if fd is not None:
            select.select([fd], [], [])
            os._exit(1)
        while True:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                os._exit(1)
            except OSError:
                pass
            time.sleep(poll_s)

    thread = threading.Thread(target=watch, name="exit-with-driver", daemon=True)
    thread.start()
    return thread


def run_chunk(task: Task) -> ChunkResult:
    """Run the task's replications in order; never raises for a replication's error."""
    import pandas as pd

    rows: list[dict] = []
    weekly: list = []
    failed: list[tuple[int, str]] = []
    agents: dict[str, list[dict]] = {name: [] for name in LONG_TABLES}
    for rep in range(task.rep_start, task.rep_stop):
        t0 = time.perf_counter()
        try:
            result = simulate(task.scenario, seed=replication_seed(task.root_seed, rep),
                              weeks=task.weeks, record="kpis")
            row: dict[str, Any] = {k: v for k, v in flatten_kpis(result.kpis).items() if k not in RESERVED}
            row.update(point=task.point, rep=rep, error=None, traceback=None)
            for name, table in long_tables(result.kpis).items():
                agents[name] += [{"point": task.point, "rep": rep, **r} for r in table]
            if task.weekly:
                w = result.weekly
                w.insert(0, "rep", rep)
                w.insert(0, "point", task.point)
                weekly.append(w)
        except Exception as exc:  # recorded, not raised: the batch goes on
            message = f"{type(exc).__name__}: {exc}"
            row = {"point": task.point, "rep": rep, "error": message,
                   "traceback": "".join(traceback.format_exception(exc, limit=-6))}
            failed.append((rep, message))
        row["runtime_s"] = time.perf_counter() - t0
        rows.append(row)
    frame = pd.DataFrame(rows)
    kpi_cols = [c for c in frame.columns if c not in RESERVED]
    frame = frame[["point", "rep", *kpi_cols, "error", "traceback", "runtime_s"]]
    weekly_frame = pd.concat(weekly, ignore_index=True) if weekly else None
    tables = {name: pd.DataFrame(rows) for name, rows in agents.items()}
    return ChunkResult(task.point, task.chunk, frame, weekly_frame, environment(), failed, tables)
