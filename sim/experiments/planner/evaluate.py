"""Running a plan's replications, on demand, with common random numbers.

Why not :func:`sim.experiments.runner.driver.run_study`: a study knows its points and
replications up front; the planner discovers candidates as it searches and
adds replications to a candidate only while its feasibility is uncertain. So
replications come in *blocks* of a fixed size: block ``k`` of a candidate is
replications ``k*B .. (k+1)*B - 1``, run as one chunk of the ordinary
worker (:func:`sim.experiments.runner.worker.run_chunk`) on the ordinary executors
and saved as an ordinary part of a study folder (:class:`FolderStore`, with
its manifest, lock and atomic renames). Replication ``i`` of every candidate
runs under the same seed (common random numbers), so two plans differ by
their headcounts, not by their luck.

Resume: every saved row carries the candidate's variable values
(``plan:<key.path>`` columns); a resumed planner reloads them, keyed by the
candidate, and only runs blocks it does not have. The search is
deterministic (seeded designs and sampler), so it replays the same path.

Independent re-checks use replications from ``RECHECK_REP`` on: seeds no
search replication ever used.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from sim.errors import UsageError
from sim.experiments.planner.space import Space, Target, window_value
from sim.experiments.runner.executors import DaskExecutor, ProcessExecutor, SerialExecutor, make_executor
from sim.experiments.runner.worker import RESERVED, ChunkResult, Task, environment, run_chunk

RECHECK_REP = 1_000_000
RECHECK_CHUNK = 100_000

Key = tuple[int, ...]


@dataclass
class Estimate:
    """What the replications of one candidate say so far."""

    key: Key
    n: int
    hits: int
    p: float
    lo: float
    hi: float
    objective: float
    by_target: dict[str, float] = field(default_factory=dict)
    means: dict[str, float] = field(default_factory=dict)  # mean of each target's value
    utilization: dict[str, float] = field(default_factory=dict)
    failed: int = 0


def wilson(hits: int, n: int, confidence: float) -> tuple[float, float]:
    """Wilson score interval (scipy's ``binomtest``)."""
    from scipy.stats import binomtest

    if n == 0:
        return 0.0, 1.0
    ci = binomtest(hits, n).proportion_ci(confidence_level=confidence, method="wilson")
    return float(ci.low), float(ci.high)


class Evaluator:
    """Runs and remembers replications of candidate plans; counts simulations."""

    def __init__(self, space: Space, targets: list[Target], objective: str, root_seed: int,
                 weeks: float | None, store, block: int, confidence: float = 0.95,
                 workers: int = 1, executor: str = "auto", dask: str | None = None,
                 budget: int | None = None) -> None:
        self.space, self.targets, self.objective = space, targets, objective
        self.budget = budget  # at most this many simulations, resumed ones included; None: no cap
        self.exhausted = False  # a block was left out because it would have gone over the budget
        self.root_seed, self.weeks, self.store, self.block = root_seed, weeks, store, block
        self.confidence = confidence
        self.workers, self.executor_kind, self.dask = workers, executor, dask
        self._ex: SerialExecutor | ProcessExecutor | DaskExecutor | None = None
        self.ids: dict[Key, int] = {}
        self.rows: dict[Key, list] = {}  # key -> row frames (search replications)
        self.checks: dict[Key, list] = {}  # key -> row frames (re-check replications)
        self._scenarios: dict[Key, Any] = {}
        self._estimates: dict[tuple[Key, bool], tuple[int, Estimate]] = {}
        self.simulations = 0  # run by this call
        self.resumed = 0  # reloaded from the folder
        self.seconds = 0.0
        self.cpu_seconds = 0.0  # this process's CPU time while simulations ran (all of it on a serial executor)
        self.executor_name = "none"
        self._weekly = any(t.window is not None for t in targets)
        self._load()

    # ------------------------------------------------------------------ bookkeeping
    def _load(self) -> None:
        rows, _ = self.store.load()
        if not len(rows):
            return
        cols = [f"plan:{v.path}" for v in self.space.variables]
        missing = [c for c in cols if c not in rows.columns]
        if missing:
            raise UsageError(f"--resume: the folder's parts lack {missing[0]}: a different plan")
        for point, part in rows.groupby("point", sort=True):
            first = part.iloc[0]
            key = tuple(v.levels.index(_same(v.levels, first[c])) for v, c in
                        zip(self.space.variables, cols, strict=True))
            self.ids[key] = int(point)
            main = part[part["rep"] < RECHECK_REP]
            check = part[part["rep"] >= RECHECK_REP]
            if len(main):
                self.rows.setdefault(key, []).append(main)
            if len(check):
                self.checks.setdefault(key, []).append(check)
            self.resumed += len(part)

    def n(self, key: Key) -> int:
        return sum(len(f) for f in self.rows.get(key, []))

    def seen(self) -> list[Key]:
        return [k for k in self.ids if self.n(k) > 0]

    def scenario(self, key: Key):
        if key not in self._scenarios:
            self._scenarios[key] = self.space.scenario(key)
        return self._scenarios[key]

    # ------------------------------------------------------------------ running
    def ensure(self, wants: dict[Key, int]) -> None:
        """Run what is missing so each candidate has at least ``wants[key]`` replications."""
        tasks = []
        for key, want in wants.items():
            cid = self.ids.setdefault(key, len(self.ids))
            have = self.n(key)
            sc = self.scenario(key)
            for k in range(math.ceil(have / self.block), math.ceil(want / self.block)):
                tasks.append(Task(cid, k, k * self.block, (k + 1) * self.block, sc, self.root_seed,
                                  self.weeks, self._weekly))
        self._run(tasks, self.rows)

    def recheck(self, key: Key, reps: int) -> None:
        """``reps`` replications on seeds the search never used."""
        cid = self.ids.setdefault(key, len(self.ids))
        have = sum(len(f) for f in self.checks.get(key, []))
        sc = self.scenario(key)
        tasks = [Task(cid, RECHECK_CHUNK + k, RECHECK_REP + k * self.block,
                      RECHECK_REP + min((k + 1) * self.block, reps), sc, self.root_seed, self.weeks, self._weekly)
                 for k in range(math.ceil(have / self.block), math.ceil(reps / self.block))]
        self._run(tasks, self.checks)

    def _within_budget(self, tasks: list[Task]) -> list[Task]:
        """The tasks, in order, that fit in what is left of the budget (whole blocks): the
        budget is a cap on simulations, not a point at which the search stops asking."""
        if self.budget is None:
            return tasks
        left = self.budget - self.simulations - self.resumed
        kept = []
        for task in tasks:
            if task.n > left:
                self.exhausted = True
                break
            kept.append(task)
            left -= task.n
        return kept

    def _run(self, tasks: list[Task], into: dict[Key, list]) -> None:
        tasks = self._within_budget(tasks)
        if not tasks:
            return
        ex = self._ex
        if ex is None:
            ex = self._ex = make_executor(self.workers, self.executor_kind, self.dask)
            self.executor_name = ex.name + (f" ({ex.workers} workers)" if ex.workers > 1 else "")
        by_id = {cid: key for key, cid in self.ids.items()}
        expected = environment()
        t0, c0 = time.perf_counter(), time.process_time()
        # In a round of fewer blocks than twice the workers (the planner's rounds are often one
        # or two blocks), a block goes to the workers one replication per task, so that every
        # worker is kept busy; its replications are put back together, in order, before the block
        # is saved and counted. Larger rounds keep whole blocks (less to ship and merge).
        size = {(t.point, t.chunk): t.n for t in tasks}
        pieces: dict[tuple[int, int], list[ChunkResult]] = {}
        split = 1 < ex.workers and len(tasks) < 2 * ex.workers
        singles = [replace(t, rep_start=r, rep_stop=r + 1) for t in tasks
                   for r in range(t.rep_start, t.rep_stop)] if split else tasks
        for piece in ex.run(run_chunk, singles):
            if piece.env != expected:
                raise UsageError(f"a worker runs salesim {piece.env.get('salesim')} with numpy "
                                 f"{piece.env.get('numpy')}, this driver {expected}: results would not "
                                 "be reproducible")
            got = pieces.setdefault((piece.point, piece.chunk), [])
            got.append(piece)
            if sum(p.n for p in got) < size[(piece.point, piece.chunk)]:
                continue
            result = _whole_block(pieces.pop((piece.point, piece.chunk)))
            key = by_id[result.point]
            rows = self._reduce(result, key)
            self.store.save(ChunkResult(result.point, result.chunk, rows, None, result.env, result.failed))
            into.setdefault(key, []).append(rows)
            self.simulations += len(rows)
        self.seconds += time.perf_counter() - t0
        self.cpu_seconds += time.process_time() - c0

    def _reduce(self, result: ChunkResult, key: Key):
        """The chunk's rows with the plan's values and the windowed target values (no weekly table)."""
        rows = result.rows.copy()
        for v, i in zip(self.space.variables, key, strict=True):
            rows[f"plan:{v.path}"] = v.value(i)
        for t in self.targets:
            if t.window is None or t.weekly is None:
                continue
            if result.weekly is None or not len(result.weekly):
                rows[t.column] = np.nan
                continue
            got = window_value(result.weekly, t.weekly, t.window)
            rows[t.column] = rows["rep"].map(got).astype(float)
        return rows

    def close(self, abort: bool = False) -> None:
        if self._ex is not None:
            self._ex.close(abort=abort)
            self._ex = None

    # ------------------------------------------------------------------ estimates
    def frame(self, key: Key, recheck: bool = False):
        import pandas as pd

        parts = (self.checks if recheck else self.rows).get(key, [])
        if not parts:
            return pd.DataFrame()
        return pd.concat(parts, ignore_index=True).sort_values("rep").reset_index(drop=True)

    def estimate(self, key: Key, recheck: bool = False) -> Estimate:
        """P(every target met) with its Wilson interval, the mean objective, P per target, utilization."""
        size = sum(len(f) for f in (self.checks if recheck else self.rows).get(key, []))
        hit = self._estimates.get((key, recheck))
        if hit is not None and hit[0] == size:
            return hit[1]
        e = self._estimate(key, recheck)
        self._estimates[(key, recheck)] = (size, e)
        return e

    def _estimate(self, key: Key, recheck: bool) -> Estimate:
        df = self.frame(key, recheck)
        failed = int(df["error"].notna().sum()) if "error" in df else 0
        ok = df[df["error"].isna()] if "error" in df else df
        n = len(ok)
        met = np.ones(n, dtype=bool)
        by_target, means = {}, {}
        for t in self.targets:
            x = ok[t.column].to_numpy(dtype=float) if t.column in ok else np.full(n, np.nan)
            m = t.met(x)
            by_target[t.label()] = float(m.mean()) if n else math.nan
            means[t.column] = float(np.nanmean(x)) if n and not np.isnan(x).all() else math.nan
            met &= m
        hits = int(met.sum())
        lo, hi = wilson(hits, n, self.confidence)
        obj = float(ok[self.objective].astype(float).mean()) if n and self.objective in ok else math.nan
        util = {c.split(".")[1]: float(ok[c].astype(float).mean()) for c in ok.columns
                if c.startswith("roles.") and c.endswith(".utilization")} if n else {}
        return Estimate(key, n, hits, hits / n if n else math.nan, lo, hi, obj, by_target, means, util, failed)


def _whole_block(pieces: list[ChunkResult]) -> ChunkResult:
    """One block's replications, run one per task, as the one chunk a block is: rows and weekly
    series in replication order, columns in :func:`~sim.experiments.runner.worker.run_chunk`'s order."""
    import pandas as pd

    pieces = sorted(pieces, key=lambda p: int(p.rows["rep"].iloc[0]))
    first = pieces[0]
    if len(pieces) == 1:
        return first
    rows = pd.concat([p.rows for p in pieces], ignore_index=True)
    kpis = [c for c in rows.columns if c not in RESERVED]
    rows = rows[["point", "rep", *kpis, "error", "traceback", "runtime_s"]]
    weekly = [p.weekly for p in pieces if p.weekly is not None]
    return ChunkResult(first.point, first.chunk, rows, pd.concat(weekly, ignore_index=True) if weekly else None,
                       first.env, [f for p in pieces for f in p.failed])


def _same(levels: tuple, value) -> float | int:
    """The level equal to a value read back from Parquet (floats compare with a tolerance)."""
    for lv in levels:
        if math.isclose(float(lv), float(value), rel_tol=1e-12, abs_tol=1e-12):
            return lv
    raise UsageError(f"--resume: the folder holds a plan value {value} outside this command's --vary levels")
