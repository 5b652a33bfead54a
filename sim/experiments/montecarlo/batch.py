"""``run_batch``: many replications of one scenario, summarized.

Why a thin layer over :mod:`sim.experiments.runner.driver`: a batch is a study with
one point; what it adds is the user-facing shape -- tables without the
``point`` column, per-KPI summaries, the weekly fan and target odds, written
next to the parts as ordinary files (``replications.parquet``,
``weekly.parquet``, ``summary.csv``, ``fan.csv``, ``targets.csv``,
``errors.csv``, and the agent-level long tables ``reps.parquet``,
``departures.parquet`` and ``staff.parquet``: one row per replication x rep).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import yaml

from sim.errors import ArgumentError
from sim.experiments.montecarlo.stats import did_you_mean, fan, parse_target, probability_of_target, summarize
from sim.experiments.runner.driver import Point, StudyResult, run_study
from sim.experiments.runner.flatten import flatten_kpis
from sim.run import report_shape
from sim.scenario.loader import load_scenario
from sim.scenario.schema import Scenario

Target = str | tuple[str, str, float]


@dataclass
class BatchResult:
    """What :func:`run_batch` returns: pandas DataFrames and how they were made."""

    replications: Any  # one row per replication: rep, KPIs (dotted names), error, runtime_s
    weekly: Any  # one row per (rep, week)
    summary: Any  # one row per KPI
    fan: Any  # percentile bands of the default weekly series, or None
    targets: Any  # one row per target
    study: StudyResult
    reps: Any = None  # one row per (replication, rep) of the roles that close: rep, role, rep_id, wins, ...
    departures: Any = None  # one row per (replication, rep who left)
    staff: Any = None  # one row per (replication, person) of the staffed roles that do not close

    @property
    def errors(self):
        """Replications that raised, with their error and a short traceback."""
        df = self.replications
        return df.loc[df["error"].notna(), ["rep", "error", "traceback"]].reset_index(drop=True)

    @property
    def manifest(self) -> dict:
        return self.study.manifest

    @property
    def out(self) -> Path | None:
        return self.study.out

    def fan_of(self, column: str | None = None, cumulative: bool | None = None, **kw):
        """Percentile bands of any weekly column (see :func:`sim.experiments.montecarlo.stats.fan`)."""
        return fan(self.weekly, column, cumulative=cumulative, **kw)


def as_scenario(scenario: Scenario | str | os.PathLike, overrides: Iterable[str] = ()) -> Scenario:
    """A validated scenario from an object or a file (with ``--set`` overrides)."""
    if isinstance(scenario, Scenario):
        if list(overrides):
            raise ArgumentError("overrides", "overrides apply to scenario files; change the Scenario object instead")
        return scenario
    return load_scenario(scenario, overrides)


def resolved_yaml(scenario: Scenario) -> str:
    return yaml.safe_dump(scenario.model_dump(mode="json", by_alias=True), sort_keys=False)


def report_names(scenario: Scenario) -> tuple[list[str], list[str]] | None:
    """The flat KPI names and weekly columns a run of ``scenario`` reports, known without running it
    (:func:`sim.run.report_shape`), so a bad ``--target``, ``--kpi``, ``--fan`` or study KPI fails
    before anything runs; None if they cannot be told (the batch then records the error per
    replication)."""
    try:
        kpis, weekly = report_shape(scenario)
    except Exception:
        return None
    return list(flatten_kpis(kpis)), weekly


def kpi_names(scenario: Scenario) -> list[str] | None:
    found = report_names(scenario)
    return found[0] if found else None


def parse_targets(targets: Iterable[Target], names: list[str] | None) -> list[tuple[str, str, float]]:
    parsed = [parse_target(t) if isinstance(t, str) else cast(tuple[str, str, float], tuple(t)) for t in targets]
    for kpi, _, _ in parsed:
        if names is not None and kpi not in names:
            raise ArgumentError("targets", f"no such KPI{did_you_mean(kpi, names)}", kpi)
    return parsed


def run_batch(scenario: Scenario | str | os.PathLike, reps: int, *, seed: int | None = None,
              weeks: float | None = None, overrides: Iterable[str] = (), workers: int | None = None,
              executor: str = "auto", dask: str | None = None, out: str | os.PathLike | None = None,
              resume: bool = False, fail_fast: bool = False, chunk_size: int | None = None,
              progress: bool | None = None, weekly: bool = True, targets: Iterable[Target] = (),
              confidence: float = 0.95) -> BatchResult:
    """Run ``reps`` replications of a scenario and summarize them.

    * ``seed``: the root seed (default: the scenario's ``seed``); replication
      ``i`` runs under ``SeedSequence(seed, spawn_key=(i,))``, so results do
      not depend on ``workers``, ``executor``, ``dask`` or ``chunk_size``.
    * ``workers``: default all cores, or 1 (in-process) inside a notebook;
      ``executor``: ``"auto"`` (serial for 1 worker, else a process pool),
      ``"serial"`` or ``"process"``; ``dask``: ``"local"`` for a LocalCluster
      or a scheduler address.
    * ``out``: a folder to stream results to (parts, manifest, final tables);
      ``resume=True`` finishes an interrupted batch there. Without ``out``
      results are kept in memory only.
    * ``fail_fast``: stop at the first replication that raises (otherwise it
      is recorded in ``errors`` and the batch goes on).
    * ``targets``: ``"kpi=value"`` (at least), ``"kpi<=value"``... -> ``targets`` table.
    """
    sc = as_scenario(scenario, overrides)
    goals = parse_targets(targets, kpi_names(sc) if targets else None)

    shaped: list[BatchResult] = []

    def outputs(res: StudyResult) -> dict[str, Any]:
        b = _shape(res, goals, confidence)
        shaped.append(b)
        tables: dict[str, Any] = {"replications.parquet": b.replications, "summary.csv": b.summary.reset_index()}
        if weekly:
            tables["weekly.parquet"] = b.weekly
        if b.fan is not None:
            tables["fan.csv"] = b.fan.reset_index()
        if goals:
            tables["targets.csv"] = b.targets
        if len(b.errors):
            tables["errors.csv"] = b.errors
        tables.update(agent_tables(res))
        return tables

    res = run_study("batch", [Point(sc.name, sc)], reps, seed=seed, weeks=weeks, workers=workers,
                    executor=executor, dask=dask, out=out, resume=resume, fail_fast=fail_fast,
                    chunk_size=chunk_size, progress=progress, weekly=weekly,
                    files={"scenario.resolved.yaml": resolved_yaml(sc)}, outputs=outputs)
    shaped[-1].study = res  # the manifest as finished
    return shaped[-1]


def _shape(res: StudyResult, goals: list[tuple[str, str, float]], confidence: float) -> BatchResult:
    import pandas as pd

    reps = res.replications.drop(columns=["point"], errors="ignore")
    weekly = res.weekly.drop(columns=["point"], errors="ignore")
    has_series = "bookings_usd" in weekly.columns or "arr_usd" in weekly.columns
    fan_df = fan(weekly) if len(weekly) and has_series else None
    targets = pd.DataFrame([probability_of_target(reps, k, v, op, confidence) for k, op, v in goals],
                           columns=["kpi", "op", "target", "n", "hits", "probability", "ci_low", "ci_high"])
    agents = agent_tables(res)
    return BatchResult(reps, weekly, summarize(reps, confidence), fan_df, targets, res,
                       agents["reps.parquet"], agents["departures.parquet"], agents["staff.parquet"])


def agent_tables(res: StudyResult, point_columns=None) -> dict[str, Any]:
    """The agent-level long tables as output files: ``reps.parquet``,
    ``departures.parquet`` and ``staff.parquet``, labelled by ``point_columns(df)`` (a frame with the
    point's label columns, e.g. the scenario or sweep values) or, for a batch, with
    the ``point`` column dropped."""
    import pandas as pd

    from sim.experiments.runner.flatten import LONG_TABLES

    out = {}
    for name in LONG_TABLES:
        df = res.tables.get(name)
        if df is None:
            df = pd.DataFrame(columns=["point", "rep"])
        if point_columns is None:
            df = df.drop(columns=["point"])
        else:
            df = point_columns(df)
        out[f"{name}.parquet"] = df.reset_index(drop=True)
    return out
