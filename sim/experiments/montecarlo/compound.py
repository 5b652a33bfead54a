"""The compound-effect study: lift every stage conversion by u, compare with (1+u)^k.

Why it is built in: the arithmetic of funnels says a small lift at every
stage compounds -- ``k`` stages each converting ``(1+u)`` times better
multiply wins by ``(1+u)^k`` -- and it is the first thing people get wrong.
The simulator shows when it holds (unlimited capacity: stages are
independent coin flips) and when capacity, SLAs, hand-off leakage, outbound
attempts or the horizon bend it (a team that cannot work the extra leads
does not win them).

How: the base scenario and one lifted copy per ``u`` (every
``segments.<tier>.steps.<stage>.conversion_probability`` times ``1+u``) run
as one study with common random numbers. For each ``u`` we estimate the
ratio of mean wins (lifted / base) with a delta-method confidence interval
for a ratio of paired means, and set it against ``(1+u)^k``, where ``k`` is
the number of steps from a source's entry stage to the win (a range when
sources enter at different stages).
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.errors import ArgumentError
from sim.experiments.montecarlo.batch import as_scenario, kpi_names, resolved_yaml
from sim.experiments.montecarlo.stats import did_you_mean, ok_rows
from sim.experiments.runner.driver import Point, StudyResult, run_study
from sim.scenario.loader import validate_data
from sim.scenario.schema import Scenario


@dataclass
class CompoundResult:
    """One row per lift: observed ratio of wins with its CI against (1+u)^k."""

    table: Any
    replications: Any
    study: StudyResult


def stages_to_win(scenario: Scenario) -> list[int]:
    """Steps between each source's entry stage and the win (the ``k`` of (1+u)^k)."""
    stages = scenario.stages
    ks = []
    for src in scenario.sources.values():
        entry = getattr(src, "entry_stage", None) or stages[0]
        ks.append(len(stages) - 1 - stages.index(entry) if entry in stages else len(stages) - 1)
    return sorted(set(ks))


def lifted(scenario: Scenario, u: float) -> Scenario:
    """The scenario with every step's conversion probability multiplied by ``1+u``."""
    data = scenario.model_dump(mode="json", by_alias=True)
    for tier, seg in data["segments"].items():
        for stage, step in seg["steps"].items():
            p = float(step["conversion_probability"]) * (1.0 + u)
            if p > 1.0:
                raise ArgumentError("lifts", f"segments.{tier}.steps.{stage}.conversion_probability "
                                    f"would be {p:.4g} > 1; use a smaller lift", f"{u:g}")
            step["conversion_probability"] = p
    data["name"] = f"{scenario.name}_lift_{str(u).replace('.', '_').replace('-', 'm')}"[:40]
    return validate_data(data, {}, f"{scenario.name} lifted by {u:g}")


def ratio_of_means(x: np.ndarray, y: np.ndarray, confidence: float = 0.95) -> tuple[float, float, float]:
    """``mean(y) / mean(x)`` for paired samples, with a delta-method t interval."""
    from scipy import stats

    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    n = len(x)
    mx, my = x.mean(), y.mean()
    if n < 2 or mx == 0:
        return (my / mx if mx else math.nan), math.nan, math.nan
    r = my / mx
    cov = np.cov(x, y, ddof=1)
    var = (cov[1, 1] - 2 * r * cov[0, 1] + r * r * cov[0, 0]) / (n * mx * mx)
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1)) * math.sqrt(max(var, 0.0))
    return r, r - half, r + half


def compound_study(scenario: Scenario | str | os.PathLike, lifts: Sequence[float] = (0.05, 0.1, 0.2),
                   reps: int = 30, *, metric: str = "leads_won", confidence: float = 0.95,
                   overrides: Sequence[str] = (), **study_kw: Any) -> CompoundResult:
    """Run the base and lifted scenarios with common random numbers; see the module doc.

    ``study_kw`` are passed to the study driver (``seed``, ``weeks``,
    ``workers``, ``executor``, ``dask``, ``out``, ``resume``, ``progress``...).
    """
    base = as_scenario(scenario, overrides)
    lifts = [float(u) for u in lifts]
    if not lifts or any(not (-1 < u) or not math.isfinite(u) for u in lifts):
        raise ArgumentError("lifts", f"lifts must be numbers above -1, got {lifts}")
    names = kpi_names(base)
    if names is not None and metric not in names:
        raise ArgumentError("metric", f"no such KPI{did_you_mean(metric, names)}", metric)
    ks = stages_to_win(base)
    points = [Point("base", base, {"lift": 0.0})]
    points += [Point(f"lift {u:g}", lifted(base, u), {"lift": u}) for u in lifts]
    shaped: list[CompoundResult] = []

    def outputs(res: StudyResult) -> dict[str, Any]:
        c = _analyse(res, lifts, ks, metric, confidence)
        shaped.append(c)
        return {"compound.csv": c.table, "replications.parquet": c.replications}

    res = run_study("compound", points, reps, weekly=False, outputs=outputs,
                    design={"lifts": lifts, "metric": metric},
                    files={"scenario.resolved.yaml": resolved_yaml(base)}, **study_kw)
    shaped[-1].study = res
    return shaped[-1]


def _analyse(res: StudyResult, lifts: list[float], ks: list[int], metric: str, confidence: float) -> CompoundResult:
    import pandas as pd

    rows = res.replications.copy()
    rows.insert(1, "lift", [([0.0] + lifts)[p] for p in rows["point"]])
    if metric not in rows.columns:
        raise ArgumentError("metric", "no such KPI in the results", metric)
    ok = ok_rows(rows)
    base = ok[ok["point"] == 0].set_index("rep")[metric]
    table = []
    for i, u in enumerate(lifts, start=1):
        lift = ok[ok["point"] == i].set_index("rep")[metric]
        common = base.index.intersection(lift.index)
        r, lo, hi = ratio_of_means(base.loc[common].to_numpy(), lift.loc[common].to_numpy(), confidence)
        e_lo, e_hi = (1 + u) ** min(ks), (1 + u) ** max(ks)
        table.append({"lift": u, "k": min(ks) if len(ks) == 1 else f"{min(ks)}-{max(ks)}",
                      "expected": e_lo if len(ks) == 1 else math.nan,
                      "expected_low": e_lo, "expected_high": e_hi, "metric": metric,
                      "base_mean": base.loc[common].mean(), "lifted_mean": lift.loc[common].mean(),
                      "ratio": r, "ci_low": lo, "ci_high": hi, "n": len(common),
                      "within_ci": bool(lo <= e_hi and e_lo <= hi) if not math.isnan(lo) else None})
    return CompoundResult(pd.DataFrame(table), rows, res)
