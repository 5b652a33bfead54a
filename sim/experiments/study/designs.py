"""A design at its best: a structure, a budget and the choices it may make, optimised.

Why: "stars vs specialists" compared at one hand-picked layout each says as
much about the layout as about the structure (one AM moved to a second CSM
can flip it). A *design* is a structure (its scenario), a budget (USD a year,
read from a cost KPI over the horizon, commissions included) and decision
variables with bounds (seats per role, POD sizes: ``vary`` in the study
file). Each design is optimised for the study's objective (e.g. ARR at the
end, maximised) under its budget with the capacity planner's search
(:class:`sim.experiments.planner.search.Search`: Latin hypercube start,
screening with half the replications, local moves and one-for-one swaps,
Optuna TPE proposals), every candidate under the same replications (common
random numbers), then polished: every one-seat move and swap of the optimum is
evaluated with the optimum's own replications, and the search moves while one
beats it. So no one-seat move of the reported optimum beats it on those
replications, and its *flatness* -- the objective change of each one-seat move
-- is reported with it.

The search maximises by minimising the objective's negative (a column the
evaluator adds to each replication's row); the budget is the planner's target
``cost <= budget x years`` met in at least ``budget_probability`` of the
replications.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from sim.experiments.planner.evaluate import Evaluator, Key
from sim.experiments.planner.search import Search, Settings, status
from sim.experiments.planner.space import Space, Target
from sim.experiments.planner.vary import parse_var
from sim.scenario.schema import Scenario
from sim.units import DAYS_PER_WEEK, DAYS_PER_YEAR

NEG = "design:-"  # prefix of the negated objective's column


@dataclass
class DesignSpec:
    """What one design may choose, and within which budget."""

    label: str
    scenario: Scenario
    vary: dict[str, str]
    budget_usd_per_year: float | None
    objective: str
    cost_kpi: str = "costs.total_usd"


@dataclass
class Optimum:
    """A design's best layout, what it costs, and how flat the optimum is."""

    label: str
    values: dict[str, Any]
    set_lines: list[str]
    scenario: Scenario = field(repr=False)
    objective: float
    cost_per_year: float
    p_within_budget: float
    n: int
    feasible: bool
    flatness: Any  # DataFrame: move, objective, change, cost_per_year, within budget
    simulations: int
    resumed: int
    candidates: int
    stop: str


class _MaxEvaluator(Evaluator):
    """The planner's evaluator with the objective's negative added to each row (the search minimises)."""

    def __init__(self, *args, maximise: str, **kw) -> None:
        self.maximise = maximise
        super().__init__(*args, **kw)

    def _reduce(self, result, key):
        rows = super()._reduce(result, key)
        rows[NEG + self.maximise] = -rows[self.maximise].astype(float) if self.maximise in rows else math.nan
        return rows


def short(path: str) -> str:
    """A decision variable as a reader names it: the role for ``roles.ROLE.headcount``, else the path."""
    parts = path.split(".")
    return parts[1] if len(parts) == 3 and parts[0] == "roles" and parts[2] == "headcount" else path


def years(scenario: Scenario) -> float:
    return float(scenario.horizon_weeks) * DAYS_PER_WEEK / DAYS_PER_YEAR


def make_space(spec: DesignSpec) -> Space:
    data = spec.scenario.model_dump(mode="json", by_alias=True, exclude_none=True)
    variables = [parse_var(f"{path}={rng}", spec.scenario, data) for path, rng in spec.vary.items()]
    space = Space(data, {}, spec.label, variables)
    space.check()
    return space


def optimise(spec: DesignSpec, *, reps: int, simulations: int, patience: int, probability: float,
             seed: int, store, workers: int = 1, executor: str = "auto", dask: str | None = None) -> Optimum:
    """The design's best layout under its budget (see the module's docstring)."""
    space = make_space(spec)
    span = years(spec.scenario)
    targets = ([Target(spec.cost_kpi, "<=", spec.budget_usd_per_year * span)]
               if spec.budget_usd_per_year is not None else [])
    block = max(1, reps // 2)
    settings = Settings(probability, reps_start=reps, max_reps=reps, patience=patience, budget=simulations,
                        seed=seed)
    ev = _MaxEvaluator(space, targets, NEG + spec.objective, seed, None, store, block, 0.95, workers,
                       executor, dask, budget=simulations, maximise=spec.objective)
    ok = False
    try:
        search = Search(ev, settings)
        search.run_grid() if space.size <= 1 else search.run()
        inc = search.incumbent()
        if inc is None:  # nothing within budget: report the cheapest plan seen, marked infeasible
            inc = min((search.est(k) for k in search.log.order), key=lambda e: _cost(ev, e.key, spec))
            key = inc.key
        else:
            key = search.polish(inc.key)
            search.log.stop += "; polished: no one-seat move or swap beats it on the same replications"
        e = search.est(key)
        flat = _flatness(space, search, ev, key, spec, settings, span)
        ok = True
        return Optimum(spec.label, space.values(key), space.set_lines(key), ev.scenario(key), -e.objective,
                       _cost(ev, key, spec) / span, e.p, e.n, status(e, settings) == "feasible", flat,
                       ev.simulations, ev.resumed, len(search.log.order), search.log.stop)
    finally:
        ev.close(abort=not ok)


def _cost(ev: Evaluator, key: Key, spec: DesignSpec) -> float:
    df = ev.frame(key)
    if not len(df) or spec.cost_kpi not in df:
        return math.inf
    return float(df[spec.cost_kpi].astype(float).mean())


def _flatness(space: Space, search: Search, ev: Evaluator, key: Key, spec: DesignSpec, settings: Settings,
              span: float):
    """Every one-seat move (one more, one fewer, one of a role for one of another) of the optimum:
    the objective and cost it gives on the optimum's replications."""
    import pandas as pd

    names = [v.path for v in space.variables]
    here = search.est(key)
    rows = []
    for k in search.neighbours(key):
        e = search.est(k)
        if e.n == 0:
            continue
        steps = [(names[i], space.variables[i].value(k[i]) - space.variables[i].value(key[i]))
                 for i in range(len(key)) if k[i] != key[i]]
        text = ", ".join(f"{short(n)} {d:+g}" for n, d in sorted(steps, key=lambda s: s[1]))
        rows.append({"move": text, "objective": -e.objective, "change": -e.objective + here.objective,
                     "cost_per_year": _cost(ev, k, spec) / span, "within_budget": status(e, settings) == "feasible",
                     "n": e.n})
    cols = ["move", "objective", "change", "cost_per_year", "within_budget", "n"]
    return pd.DataFrame(rows, columns=cols).sort_values("change", ascending=False, kind="stable").reset_index(drop=True)
