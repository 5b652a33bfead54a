"""``factorial``: run every cell of a study file under common random numbers and
analyse main effects, interactions and the split of variation.

Why on the shared driver: a factorial study is a study whose points are the
cells of a design, so it streams Parquet parts, resumes, runs on the process
pool or Dask and records failures exactly like ``batch``, ``compare`` and
``sweep``. Every cell runs replications ``0..reps-1`` under the same seeds,
so replication ``i`` is a block shared by all cells (see :mod:`.effects`).

Outputs (written next to the parts): ``replications.parquet`` (one row per
cell and replication, with a column per factor), ``cells.csv`` (cell means
with confidence intervals), ``effects.csv`` (main effects and two-way
interactions with confidence intervals), ``variance.csv`` (share of the
variation each factor, interaction and the noise explain) and
``findings.md`` (the same in plain language).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sim.errors import UsageError
from sim.experiments.montecarlo.batch import kpi_names, resolved_yaml
from sim.experiments.montecarlo.fairness import DEFAULT_TOLERANCE, study_lines
from sim.experiments.montecarlo.stats import did_you_mean
from sim.experiments.runner.driver import Point, StudyResult, run_study
from sim.experiments.study.effects import Effects, analyse
from sim.experiments.study.findings import findings_markdown
from sim.experiments.study.study_file import Study, load_study


@dataclass
class FactorialResult:
    """A finished factorial study: its file, every replication and the analysis."""

    study: Study
    replications: Any  # one row per (cell, rep): cell, <factors>, rep, KPIs
    effects: Effects
    findings: str
    run: StudyResult
    fairness: str = ""  # what differs between the arms, Markdown (fairness.md)


def check_kpis(study: Study) -> None:
    """Every KPI the study names must be one the base cell reports (known without running it)."""
    names = kpi_names(study.cells[0].scenario)
    if names is None:
        return
    bad = [k for k in study.spec.kpis if k not in names]
    if bad:
        raise UsageError(f"{study.path}: kpis: no such KPI {bad[0]!r}{did_you_mean(bad[0], names)}")


def fairness_lines(study: Study, rows, tolerance: float = DEFAULT_TOLERANCE) -> list[str]:
    """The study's fairness block (Markdown lines): what differs between each factor's levels and
    the flags of levels declared ``equal_budget``, with each cell's measured costs from ``rows``."""
    cols = [c for c in ("costs.total_usd", "costs.commissions_usd") if c in rows.columns]
    ok = rows[rows["error"].isna()] if "error" in rows.columns else rows
    by = ok.groupby("cell")[cols].mean() if cols else None
    means = [by.loc[c.index].to_dict() if by is not None and c.index in by.index else {} for c in study.cells]
    declared = [(f, lv, level.equal_budget) for f, fac in study.spec.factors.items()
                for lv, level in fac.levels.items() if level is not None and level.equal_budget]
    return study_lines([c.scenario for c in study.cells], [c.levels for c in study.cells], study.factors, means,
                       declared, tolerance)


def factorial(path: str | os.PathLike | Study, *, reps: int | None = None, seed: int | None = None,
              weeks: float | None = None, overrides: Iterable[str] = (), workers: int | None = None,
              executor: str = "auto", dask: str | None = None, out: str | os.PathLike | None = None,
              resume: bool = False, fail_fast: bool = False, chunk_size: int | None = None,
              progress: bool | None = None, confidence: float = 0.95,
              budget_tolerance: float = DEFAULT_TOLERANCE) -> FactorialResult:
    """Run the study file at ``path`` (or a loaded :class:`Study`).

    ``reps``, ``seed`` and ``weeks`` default to the file's values (``seed`` then
    to the first cell's scenario seed). ``budget_tolerance``: the relative gap in cost
    before commissions a level declared ``equal_budget`` may show before it is flagged
    (``fairness.md``, :mod:`sim.experiments.montecarlo.fairness`). Other parameters as in
    :func:`sim.experiments.montecarlo.batch.run_batch`.
    """
    study = path if isinstance(path, Study) else load_study(path, list(overrides))
    spec = study.spec
    check_kpis(study)
    reps = spec.reps if reps is None else reps
    seed = spec.seed if seed is None else seed
    weeks = spec.weeks if weeks is None else weeks
    factors = study.factors
    points = [Point(cell.label, cell.scenario, {"cell": cell.index, **cell.levels}) for cell in study.cells]
    files = {f"cells/{c.index}.resolved.yaml": resolved_yaml(c.scenario) for c in study.cells}
    files["study.yaml"] = study.path.read_text(encoding="utf-8")
    interactions = study.resolution is None or study.resolution >= 5
    design = {"study": spec.name, "design": spec.design, "factors": factors, "kpis": spec.kpis,
              "interactions": interactions}
    shaped: list[FactorialResult] = []

    def outputs(res: StudyResult) -> dict[str, Any]:
        import pandas as pd

        cells = pd.DataFrame([{"point": i, "cell": c.index, **c.levels} for i, c in enumerate(study.cells)])
        rows = res.replications.merge(cells, on="point", how="left").drop(columns=["point"])
        first = ["cell", *factors, "rep"]
        rows = rows[first + [c for c in rows.columns if c not in first]]
        eff = analyse(rows, factors, spec.kpis, interactions=interactions, confidence=confidence)
        text = findings_markdown(study, eff, int(res.manifest["reps"]), res.manifest["root_seed"], rows)
        fair = "\n".join(fairness_lines(study, rows, budget_tolerance))
        shaped.append(FactorialResult(study, rows, eff, text, res, fair))
        return {"replications.parquet": rows, "cells.csv": eff.cells, "effects.csv": eff.effects,
                "variance.csv": eff.variance, "findings.md": text, "fairness.md": fair}

    res = run_study("factorial", points, reps, seed=seed, weeks=weeks, workers=workers, executor=executor,
                    dask=dask, out=out, resume=resume, fail_fast=fail_fast, chunk_size=chunk_size,
                    progress=progress, weekly=False, design=design, files=files, outputs=outputs)
    shaped[-1].run = res
    return shaped[-1]
