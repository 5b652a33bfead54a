"""Paired comparison of scenarios with common random numbers (CRN).

Why paired: replication ``i`` of every scenario runs under the same seed
(:mod:`sim.experiments.runner.seeds`), and the model draws each purpose from its own
named stream, so the two runs see the same arrivals, deal sizes and coin
flips wherever the scenarios agree. The difference ``B_i - A_i`` then carries
only the effect of what changed, and its variance is far below the
``var(A) + var(B)`` that independent seeds would give. We report, per KPI:

* the mean paired difference with a Student-t confidence interval and the
  paired t-test p-value (``scipy.stats.ttest_1samp`` on the differences);
* the share of replications where the challenger is higher / lower / tied
  ("probability of beating the baseline", for a higher-is-better KPI);
* the variance reduction CRN achieved: ``1 - var(B - A) / (var(A) + var(B))``,
  the latter being what independent seeds would have given for the same
  replications (estimated from the same runs, so it costs nothing extra);
* with more than one challenger, Bonferroni-adjusted p-values
  (``min(1, p * m)`` for ``m`` comparisons with the baseline).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.errors import ArgumentError
from sim.experiments.montecarlo.batch import agent_tables, as_scenario, resolved_yaml
from sim.experiments.montecarlo.fairness import (
    DEFAULT_TOLERANCE,
    headcount,
    planned_cost,
    report_lines,
    rescale_to_budget,
    with_headcount,
)
from sim.experiments.montecarlo.stats import default_metric, kpi_columns, ok_rows, paired_stats, summarize
from sim.experiments.runner.driver import Point, StudyResult, run_study
from sim.scenario.schema import Scenario


@dataclass
class CompareResult:
    """Paired comparison of ``labels[1:]`` against the baseline ``labels[0]``."""

    labels: list[str]
    replications: Any  # one row per (scenario, rep)
    weekly: Any
    summary: Any  # one row per (scenario, kpi)
    paired: Any  # one row per (challenger, kpi); empty when reps == 1
    side_by_side: Any  # KPI x scenario means, and differences to the baseline
    metric: str | None  # headline KPI for "beats the baseline"
    study: StudyResult
    fairness: str = ""  # what differs between the arms, Markdown (fairness.md)

    @property
    def baseline(self) -> str:
        return self.labels[0]

    @property
    def bonferroni_note(self) -> str | None:
        m = len(self.labels) - 1
        if m < 2:
            return None
        return (f"{m} scenarios are compared with the baseline: for a family-wise error rate of 5%, "
                f"read a difference as significant only if p < {0.05 / m:.4g} (Bonferroni; column "
                "p_bonferroni). Scanning many KPIs multiplies comparisons further.")

    def beats(self, metric: str | None = None) -> dict[str, float]:
        """Share of paired replications in which each challenger is higher on ``metric``."""
        metric = metric or self.metric
        if self.paired is None or not len(self.paired):
            return {}
        rows = self.paired[self.paired["kpi"] == metric]
        return dict(zip(rows["scenario"], rows["p_higher"], strict=True))


def unique_labels(names: Sequence[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}#{seen[name]}")
    return out


def compare(scenarios: Sequence[Scenario | str | os.PathLike], reps: int, *, seed: int | None = None,
            weeks: float | None = None, overrides: Iterable[str] = (), metric: str | None = None,
            confidence: float = 0.95, workers: int | None = None, executor: str = "auto",
            dask: str | None = None, out: str | os.PathLike | None = None, resume: bool = False,
            fail_fast: bool = False, chunk_size: int | None = None, progress: bool | None = None,
            weekly: bool = True, equal_budget: bool = False,
            budget_tolerance: float = DEFAULT_TOLERANCE) -> CompareResult:
    """Compare scenarios (the first is the baseline) over ``reps`` paired replications.

    ``seed`` defaults to the baseline's seed and is used for every scenario
    (common random numbers). ``overrides`` (``--set``) apply to every file.
    ``equal_budget`` declares the arms at equal budget: each challenger's starting
    headcount is rescaled to the baseline's planned cost a year (or the comparison is
    refused, saying why: :func:`.fairness.rescale_to_budget`), and the fairness block
    flags measured costs before commissions more than ``budget_tolerance`` apart.
    Other parameters as in :func:`sim.experiments.montecarlo.batch.run_batch`.
    """
    if len(scenarios) < 2:
        raise ArgumentError("scenarios", "compare needs at least two scenarios (the first is the baseline)")
    overrides = list(overrides)
    loaded = [as_scenario(s, overrides if not isinstance(s, Scenario) else ()) for s in scenarios]
    labels = unique_labels([s.name for s in loaded])
    if not 0 < budget_tolerance < 1:
        raise ArgumentError("budget_tolerance", "expected a fraction in (0, 1)", budget_tolerance)
    rescaled: dict[str, dict[str, int]] = {}
    if equal_budget:
        target = planned_cost(loaded[0])["total_usd"]
        for i in range(1, len(loaded)):
            seats = rescale_to_budget(loaded[i], target, budget_tolerance, labels[i])
            if seats != headcount(loaded[i]):
                rescaled[labels[i]] = seats
                loaded[i] = with_headcount(loaded[i], seats)
    if metric is not None:
        from sim.experiments.montecarlo.batch import kpi_names
        from sim.experiments.montecarlo.stats import did_you_mean

        names = kpi_names(loaded[0])
        if names is not None and metric not in names:
            raise ArgumentError("metric", f"no such KPI{did_you_mean(metric, names)}", metric)
    points = [Point(lab, sc) for lab, sc in zip(labels, loaded, strict=True)]
    files = {f"scenarios/{i}-{lab.replace('#', '_')}.resolved.yaml": resolved_yaml(sc)
             for i, (lab, sc) in enumerate(zip(labels, loaded, strict=True))}
    shaped: list[CompareResult] = []

    def outputs(res: StudyResult) -> dict[str, Any]:
        c = _analyse(res, labels, metric, confidence)
        means = {lab: c.side_by_side[lab].to_dict() for lab in labels}
        c.fairness = "\n".join(report_lines(loaded, labels, means, equal_budget=equal_budget,
                                            tolerance=budget_tolerance, rescaled=rescaled))
        shaped.append(c)
        tables = {"replications.parquet": c.replications, "summary.csv": c.summary,
                  "side_by_side.csv": c.side_by_side.reset_index(), "fairness.md": c.fairness}
        if len(c.paired):
            tables["comparison.csv"] = c.paired
        if weekly and len(c.weekly):
            tables["weekly.parquet"] = c.weekly
        tables.update(agent_tables(res, lambda df: _labelled(df, labels)))
        return tables

    res = run_study("compare", points, reps, seed=seed, weeks=weeks, workers=workers, executor=executor,
                    dask=dask, out=out, resume=resume, fail_fast=fail_fast, chunk_size=chunk_size,
                    progress=progress, weekly=weekly, files=files, outputs=outputs)
    shaped[-1].study = res
    return shaped[-1]


def _labelled(df, labels: list[str]):
    """An agent-level table with the ``scenario`` column in place of ``point``."""
    df = df.copy()
    df.insert(0, "scenario", [labels[p] for p in df["point"]])
    return df.drop(columns=["point"])


def _analyse(res: StudyResult, labels: list[str], metric: str | None, confidence: float) -> CompareResult:
    import pandas as pd

    rows = res.replications.copy()
    rows.insert(0, "scenario", [labels[p] for p in rows["point"]])
    weekly = res.weekly.copy()
    if len(weekly):
        weekly.insert(0, "scenario", [labels[p] for p in weekly["point"]])
    kpis = kpi_columns(rows)
    by = {lab: ok_rows(rows[rows["point"] == i]).set_index("rep") for i, lab in enumerate(labels)}
    summary = pd.concat({lab: summarize(df.reset_index(), confidence, kpis) for lab, df in by.items()},
                        names=["scenario", "kpi"]).reset_index()
    means = pd.DataFrame({lab: by[lab][kpis].mean().reindex(kpis) if len(by[lab]) else pd.Series(np.nan, index=kpis)
                          for lab in labels}, index=kpis, dtype=float)
    for lab in labels[1:]:
        means[f"{lab} - {labels[0]}"] = means[lab] - means[labels[0]]
    means.index.name = "kpi"
    paired = []
    base = by[labels[0]]
    reps = int(res.manifest["reps"])
    if reps >= 2:
        m = len(labels) - 1
        for lab in labels[1:]:
            other = by[lab]
            common = base.index.intersection(other.index)
            for k in kpis:
                s = paired_stats(base.loc[common, k].to_numpy(), other.loc[common, k].to_numpy(), confidence)
                s["p_bonferroni"] = min(1.0, s["p_value"] * m) if not math.isnan(s["p_value"]) else math.nan
                paired.append({"scenario": lab, "baseline": labels[0], "kpi": k, **s})
    paired_df = pd.DataFrame(paired)
    try:
        headline = metric or default_metric(kpis)
    except ArgumentError:
        headline = None
    return CompareResult(labels, rows.drop(columns=["point"]), weekly.drop(columns=["point"], errors="ignore"),
                         summary, paired_df, means, headline, res)
