"""Parameter sweeps: one row per (design point, replication), then sensitivity.

Why built this way: each point is the base scenario with ``--set``-style
overrides, validated like a file (so an out-of-range value is reported as a
scenario error naming the point, before anything runs). Every point uses the
same replication seeds (common random numbers across points), so differences
between points are differences of the parameters, not of luck -- which is
what sensitivity estimates need. The one-at-a-time points behind the tornado
(the base scenario, and each parameter at LOW and at HIGH with the others at
their base values) are added to the study unless ``tornado=False``.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.errors import ArgumentError, Located, ScenarioError
from sim.experiments.montecarlo.batch import agent_tables, kpi_names, resolved_yaml
from sim.experiments.montecarlo.design import Param, design_matrix, parse_param
from sim.experiments.montecarlo.sensitivity import sensitivity, tornado
from sim.experiments.montecarlo.stats import default_metric, did_you_mean, kpi_columns
from sim.experiments.runner.driver import Point, StudyResult, run_study
from sim.scenario.loader import apply_overrides, load_data, validate_data
from sim.scenario.schema import Scenario


@dataclass
class SweepResult:
    """A sweep's rows, its design points and the sensitivity of ``metric``."""

    params: list[Param]
    design: str
    replications: Any  # one row per (point, rep): point, design, param:<path>..., rep, KPIs
    points: Any  # one row per point: point, design, param values
    metric: str | None
    sensitivity: Any  # one row per parameter
    tornado: Any  # one row per parameter (empty with tornado=False)
    study: StudyResult

    def sensitivity_for(self, metric: str):
        """Sensitivity indices of another KPI, from the same runs."""
        return sensitivity(self.replications, self.params, self.design, metric, self.study.manifest)

    def tornado_for(self, metric: str):
        return tornado(self.replications, self.params, metric)


def _number(v: int | float) -> str:
    """A value as YAML reads it back exactly (no ``1e-05``, which YAML 1.1 reads as text)."""
    if isinstance(v, int):
        return str(v)
    return np.format_float_positional(float(v), unique=True, trim="0")


def _get(data: Any, path: str) -> Any:
    node = data
    for part in path.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def _numeric(value: Any) -> float | None:
    """A base value for the tables: a number, or None (absent, or a distribution)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value


def _point_scenario(data: dict, origins: dict, file: str, values: dict[Param, float], label: str) -> Scenario:
    sets = [f"{p.path}={_number(p.value(v))}" for p, v in values.items()]
    try:
        where = dict(origins)  # the swept keys are reported as "--set key=value"
        d = apply_overrides(copy.deepcopy(data), sets, where)
        return validate_data(d, where, file)
    except ScenarioError as exc:
        hint = ""
        if any("integer" in q.message or "whole number" in q.message for q in exc.problems):
            hint = " (for whole numbers give a STEP, e.g. roles.ae.headcount=1:4:1)"
        raise ScenarioError([Located(q.file, q.line, q.path, f"{q.message} -- at sweep point {label}{hint}")
                             for q in exc.problems]) from None


def build_points(base: Scenario | str | os.PathLike, params: list[Param], snapped: np.ndarray,
                 overrides: Iterable[str] = (), with_tornado: bool = True) -> tuple[list[Point], Scenario]:
    """Scenarios of the design points (then base and one-at-a-time points), all validated."""
    origins: dict[Any, Any]
    if isinstance(base, Scenario):
        data, origins, file = base.model_dump(mode="json", by_alias=True), {}, base.name
    else:
        data, origins = load_data(base, overrides)
        file = str(base)
    base_sc = validate_data(copy.deepcopy(data), origins, file)
    points = []
    for i, row in enumerate(snapped):
        values = dict(zip(params, row, strict=True))
        info = {"design": "design", "varied": None, **{p.column: p.value(v) for p, v in values.items()}}
        points.append(Point(f"point {i}", _point_scenario(data, origins, file, values, str(i)), info))
    if with_tornado:
        base_vals = {p.column: _numeric(_get(data, p.path)) for p in params}
        points.append(Point("base", base_sc, {"design": "base", "varied": None, **base_vals}))
        for p in params:
            for end, v in (("low", p.low), ("high", p.high)):
                info = {"design": f"oat_{end}", "varied": p.path, **base_vals, p.column: p.value(v)}
                points.append(Point(f"{p.path}={end}", _point_scenario(data, origins, file, {p: v},
                                                                       f"{p.path}={end}"), info))
    return points, base_sc


def sweep(scenario: Scenario | str | os.PathLike, params: Sequence[Param | str], *, design: str = "lhs",
          samples: int = 16, reps: int = 10, metric: str | None = None, tornado_points: bool = True,
          seed: int | None = None, weeks: float | None = None, overrides: Iterable[str] = (),
          workers: int | None = None, executor: str = "auto", dask: str | None = None,
          out: str | os.PathLike | None = None, resume: bool = False, fail_fast: bool = False,
          chunk_size: int | None = None, progress: bool | None = None) -> SweepResult:
    """Sweep ``params`` over a ``design`` ("grid", "lhs", "sobol", "morris") with
    ``reps`` replications per point; sensitivity of ``metric`` (default: the headline KPI).

    ``samples``: grid levels per parameter without a STEP; LHS points; Sobol
    base samples (a power of two; ``samples * (d + 2)`` points); Morris
    trajectories (``samples * (d + 1)`` points).
    """
    plist = [parse_param(p) if isinstance(p, str) else p for p in params]
    overrides = list(overrides)
    base_seed = seed
    if base_seed is None:  # the design's seed is the study's root seed
        base_seed = (scenario.seed if isinstance(scenario, Scenario)
                     else validate_data(*load_data(scenario, overrides)[:2], str(scenario)).seed)
    raw, snapped = design_matrix(plist, design, samples, int(base_seed))
    points, base_sc = build_points(scenario, plist, snapped, overrides, tornado_points)
    names = kpi_names(base_sc)
    if metric is not None and names is not None and metric not in names:
        raise ArgumentError("metric", f"no such KPI{did_you_mean(metric, names)}", metric)
    info = {"design": design, "samples": samples, "tornado": tornado_points,
            "params": [{"path": p.path, "low": p.low, "high": p.high, "step": p.step, "integer": p.integer}
                       for p in plist],
            "raw": raw.tolist() if design in ("sobol", "morris") else None}
    shaped: list[SweepResult] = []

    def outputs(res: StudyResult) -> dict[str, Any]:
        s = _analyse(res, plist, design, metric, points, info)
        shaped.append(s)
        tables = {"replications.parquet": s.replications, "points.csv": s.points,
                  **agent_tables(res, lambda df: s.points.merge(df, on="point", how="right"))}
        if s.sensitivity is not None:
            tables["sensitivity.csv"] = s.sensitivity
        if s.tornado is not None and len(s.tornado):
            tables["tornado.csv"] = s.tornado
        return tables

    res = run_study("sweep", points, reps, seed=base_seed, weeks=weeks, workers=workers, executor=executor,
                    dask=dask, out=out, resume=resume, fail_fast=fail_fast, chunk_size=chunk_size,
                    progress=progress, weekly=False, design=info,
                    files={"scenario.resolved.yaml": resolved_yaml(base_sc)}, outputs=outputs)
    shaped[-1].study = res
    return shaped[-1]


def _analyse(res: StudyResult, params: list[Param], design: str, metric: str | None, points: list[Point],
             info: dict) -> SweepResult:
    import pandas as pd

    pts = pd.DataFrame([{"point": i, **p.info} for i, p in enumerate(points)])
    rows = res.replications.merge(pts, on="point", how="left")
    first = ["point", "design", "varied", *(p.column for p in params), "rep"]
    rows = rows[first + [c for c in rows.columns if c not in first]]
    kpis = kpi_columns(rows)
    headline = metric
    if headline is None:
        try:
            headline = default_metric(kpis)
        except ArgumentError:
            headline = None
    manifest = dict(res.manifest, design=info)
    if headline not in rows.columns:  # e.g. every replication failed
        headline = None
    sens = sensitivity(rows, params, design, headline, manifest) if headline else None
    torn = tornado(rows, params, headline) if headline else None
    return SweepResult(params, design, rows, pts, headline, sens, torn, res)

