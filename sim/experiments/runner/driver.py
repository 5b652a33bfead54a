"""The driver every study shares: points x replications -> chunks -> store.

Why one driver: a batch is one scenario, a comparison is a few scenarios, a
sweep is many design points -- all are "run replications 0..N-1 of each
point, with the same seeds for every point". Sharing the driver means all
three stream to disk, resume, report progress, record failures and run on
any executor in exactly the same way.

The driver is the only writer: chunks come back from the executor as they
complete, are checked (same package and numpy versions as the manifest --
a Dask worker with other versions would not reproduce), saved, and counted.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim.errors import ArgumentError, UsageError
from sim.experiments.runner.executors import WorkerLost, default_workers, make_executor
from sim.experiments.runner.progress import progress_bar
from sim.experiments.runner.seeds import BIT_GENERATOR, SCHEME
from sim.experiments.runner.store import FORMAT, FORMAT_VERSION, FolderStore, MemoryStore, versions
from sim.experiments.runner.worker import Task, environment, run_chunk
from sim.scenario.schema import Scenario
from sim.units import MAX_HORIZON_WEEKS

MAX_CHUNK = 100
MIN_CHUNK = 5
MAX_REPS = 10_000_000


class ReplicationFailed(RuntimeError):
    """``fail_fast``: a replication raised; the chunks finished so far are saved."""

    def __init__(self, point: int, rep: int, message: str, out: Path | None):
        self.point, self.rep, self.message, self.out = point, rep, message, out
        super().__init__(f"replication {rep} (point {point}) failed: {message}")


class StudyInterrupted(RuntimeError):
    """Workers were lost mid-study; what finished is saved and ``resume`` finishes it."""


@dataclass
class Point:
    """One scenario of a study, with the labels that describe it (e.g. sweep values)."""

    name: str
    scenario: Scenario = field(repr=False)
    info: dict[str, Any] = field(default_factory=dict)


@dataclass
class StudyResult:
    """All replications of all points, plus how they were run."""

    replications: Any  # pandas.DataFrame: one row per (point, rep)
    weekly: Any  # pandas.DataFrame: one row per (point, rep, week), or empty
    manifest: dict
    out: Path | None
    executor: str
    workers: int
    elapsed_s: float
    computed: int  # replications run by this call (the rest were resumed)
    tables: dict = field(default_factory=dict)  # agent-level long tables: name -> DataFrame (point, rep, ...)


def scenario_hash(scenario: Scenario) -> str:
    """SHA-256 of the scenario's canonical JSON: what ``resume`` checks against."""
    data = scenario.model_dump(mode="json", by_alias=True)
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def auto_chunk_size(reps: int, points: int, workers: int) -> int:
    """About 16 chunks per worker overall (load balance, frequent checkpoints),
    at most ``MAX_CHUNK`` replications each; small studies keep at least 8
    chunks per worker but not fewer than ``MIN_CHUNK`` replications per chunk
    when that is possible (a part file has a fixed cost, ~10-20 ms)."""
    chunks_per_point = max(1, (16 * workers) // max(1, points))
    size = math.ceil(reps / chunks_per_point)
    floor = min(MIN_CHUNK, math.ceil(reps * points / (8 * max(1, workers))))
    return max(1, min(MAX_CHUNK, max(size, floor)))


def check_counts(reps: Any, workers: Any = None, chunk_size: Any = None) -> None:
    """Reject impossible counts as usage errors (exit 2), before any work."""
    for name, value, low, high in (("reps", reps, 1, MAX_REPS), ("workers", workers, 1, 4096),
                                   ("chunk_size", chunk_size, 1, MAX_REPS)):
        if value is None and name != "reps":
            continue
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ArgumentError(name, f"expected a whole number in [{low}, {high}], got {value!r}")


def run_study(kind: str, points: Sequence[Point], reps: int, *, seed: int | None = None,
              weeks: float | None = None, workers: int | None = None, executor: str = "auto",
              dask: str | None = None, out: str | os.PathLike | None = None, resume: bool = False,
              fail_fast: bool = False, chunk_size: int | None = None, progress: bool | None = None,
              weekly: bool = True, design: dict | None = None, files: dict[str, str] | None = None,
              outputs: Callable[[StudyResult], dict[str, Any]] | None = None,
              progress_unit: tuple[str, int] = ("replications", 1)) -> StudyResult:
    """Run ``reps`` replications of every point and return them as tables.

    ``progress_unit``: what the progress bar counts and how many replications make one
    (a robust study counts worlds: ``("worlds", designs x reps)``).

    ``files`` are written before any replication runs (resolved scenarios);
    ``outputs(result)`` returns the derived tables (``name -> DataFrame or
    text``) written once everything is in. See :func:`sim.experiments.montecarlo.batch.run_batch`
    for the parameters.
    """
    check_counts(reps, workers, chunk_size)
    if not points:
        raise UsageError("a study needs at least one scenario")
    if weeks is not None and not (isinstance(weeks, int | float) and 0 < weeks <= MAX_HORIZON_WEEKS):
        raise ArgumentError("weeks", f"expected a number of weeks in (0, {MAX_HORIZON_WEEKS}], got {weeks!r}")
    root_seed = int(points[0].scenario.seed if seed is None else seed)
    if root_seed < 0:
        raise ArgumentError("seed", f"expected a whole number >= 0, got {root_seed}")
    workers = workers or default_workers()
    manifest = {
        "format": FORMAT, "format_version": FORMAT_VERSION, "kind": kind,
        "root_seed": root_seed, "reps": reps, "weekly": weekly,
        "chunk_size": chunk_size or auto_chunk_size(reps, len(points), workers),
        "seeding": SCHEME, "bit_generator": BIT_GENERATOR,
        "points": [{"point": i, "name": p.name, "scenario_hash": scenario_hash(p.scenario),
                    "horizon_weeks": float(weeks if weeks is not None else p.scenario.horizon_weeks),
                    **p.info} for i, p in enumerate(points)],
        "design": design,
        **versions(),
    }
    store = FolderStore(out) if out is not None else MemoryStore()
    try:
        # an automatic chunk size is the folder's on resume; one asked for must match it
        manifest = store.open(manifest, resume, unset=("chunk_size",) if chunk_size is None else ())
        done = store.done()  # every part on disk checked against the manifest, before other files are written
        for name, text in (files or {}).items():
            store.write_text(name, text)
        size = manifest["chunk_size"]
        tasks = [Task(p, c, start, min(start + size, reps), pt.scenario, root_seed, weeks, weekly)
                 for p, pt in enumerate(points)
                 for c, start in enumerate(range(0, reps, size)) if (p, c) not in done]
        t0 = time.perf_counter()
        ran, name, used = _execute(tasks, store, manifest, workers, executor, dask, fail_fast, progress,
                                   total=reps * len(points), unit=progress_unit)
        rows, weekly_rows = store.load()
        result = StudyResult(rows, weekly_rows, store.manifest, store.out, name, used,
                             time.perf_counter() - t0, ran, store.tables())
        if outputs is not None:
            for fname, table in outputs(result).items():
                if isinstance(table, str):
                    store.write_text(fname, table)
                else:
                    store.write_frame(fname, table)
        failed = int(rows["error"].notna().sum()) if "error" in rows else 0
        store.finish(failed_replications=failed)
        result.manifest = store.manifest
        return result
    except BaseException:
        store.discard_if_unused()
        raise
    finally:
        store.close()


def _execute(tasks: list[Task], store, manifest: dict, workers: int, executor: str, dask: str | None,
             fail_fast: bool, progress: bool | None, total: int,
             unit: tuple[str, int] = ("replications", 1)) -> tuple[int, str, int]:
    """Run ``tasks`` and save each chunk as it completes; return (replications run, executor, workers)."""
    if not tasks:
        return 0, "none (all chunks were already done)", 0
    remaining = sum(t.n for t in tasks)
    ex = make_executor(min(workers, len(tasks)) if dask is None else workers, executor, dask)
    desc, per = unit
    bar = progress_bar(total // per, initial=(total - remaining) // per, enabled=progress, desc=desc)
    expected = environment()
    ran = 0
    ok = False
    try:
        for result in ex.run(run_chunk, tasks):
            if result.env != expected:
                raise UsageError(f"a worker runs salesim {result.env.get('salesim')} with numpy "
                                 f"{result.env.get('numpy')}, this driver salesim {expected['salesim']} with "
                                 f"numpy {expected['numpy']}: results would not be reproducible")
            store.save(result)
            ran += result.n
            bar.update(result.n / per)
            if fail_fast and result.failed:
                rep, message = result.failed[0]
                raise ReplicationFailed(result.point, rep, message, store.out)
        ok = True
    except WorkerLost as exc:
        if ran == 0:  # nothing ever came back: most likely the workers could not start
            exc = WorkerLost(f"{exc} (worker processes import the main module: in a script, call this "
                             "under `if __name__ == \"__main__\":`)")
        if store.out is None:
            where = "pass out=... to keep finished chunks on disk"
        elif ran == 0 and getattr(store, "fresh", False):
            where = "nothing was saved"
        else:
            where = f"the finished chunks are saved in {store.out}; run the same command with --resume to finish"
        raise StudyInterrupted(f"{exc}: {where}") from exc
    finally:
        bar.close()
        ex.close(abort=not ok)
    return ran, ex.name, ex.workers
