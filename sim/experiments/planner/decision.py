"""``plan``: the cheapest organization and hiring plan that hits targets with probability P.

Why this layer exists on top of the search: a VP of Sales needs a decision
with its evidence, not a trace of the optimizer. So :func:`plan` returns the
recommended plan as ``--set`` lines, its objective (default: total cost
over the horizon) and P(targets met) with a Wilson interval, the runner-up
plans, the cost-vs-probability frontier of every plan evaluated, what binds
(the target closest to failing; which variables cannot go one step lower;
the roles' utilization), what one more or one fewer of each variable does,
an optional re-check on seeds the search never used, and what the search
cost (simulations, wall time, against the full grid at the same precision).

Everything is written to ``out`` (when given) as the study folders are: a
manifest, Parquet parts per block of replications, and the final tables,
each renamed into place; ``resume=True`` reloads the parts and replays the
(deterministic) search, running only what is missing.
"""

from __future__ import annotations

import copy
import json
import math
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.errors import UsageError
from sim.experiments.montecarlo.batch import report_names, resolved_yaml
from sim.experiments.planner.evaluate import Estimate, Evaluator, Key
from sim.experiments.planner.search import Search, Settings, status
from sim.experiments.planner.space import Space, count_text, make_space, make_targets, parse_window
from sim.experiments.runner.driver import scenario_hash
from sim.experiments.runner.seeds import BIT_GENERATOR, SCHEME
from sim.experiments.runner.store import FORMAT, FORMAT_VERSION, FolderStore, MemoryStore, versions
from sim.scenario.loader import load_data, validate_data
from sim.scenario.schema import Scenario
from sim.units import MAX_HORIZON_WEEKS

DEFAULT_OBJECTIVE = "costs.total_usd"
RUNNER_UPS = 3
MAX_INITIAL = 10_000  # Latin hypercube candidates to start from (as --initial allows)
MAX_GRID_PLANS = 100_000  # method="grid" lists every plan: the same cap as a sweep's grid


@dataclass
class PlanResult:
    """The decision and its evidence (pandas DataFrames for the tables)."""

    probability: float
    objective: str
    targets: list[str]
    variables: list[str]
    candidates: Any  # one row per plan evaluated
    recommended: dict | None  # the cheapest feasible plan's row
    set_lines: list[str]  # the recommended plan as --set overrides
    runner_ups: Any
    frontier: Any  # cost vs probability: plans no cheaper plan beats on P
    neighbours: Any  # one more / one fewer of each variable
    binding: dict
    best: dict | None  # the most probable plan (what to show when none is feasible)
    recheck: dict | None
    search: dict
    out: Path | None

    @property
    def feasible(self) -> bool:
        return self.recommended is not None


def _row(space: Space, e: Estimate, s: Settings, how: str = "") -> dict:
    row: dict[str, Any] = dict(space.values(e.key))
    row.update(n=e.n, hits=e.hits, probability=e.p, ci_low=e.lo, ci_high=e.hi, objective=e.objective,
               status=status(e, s), found_by=how, failed=e.failed)
    row.update({f"p[{k}]": v for k, v in e.by_target.items()})
    row.update({f"mean[{k}]": v for k, v in e.means.items()})
    row.update({f"utilization.{k}": v for k, v in e.utilization.items()})
    return row


def _frontier(cands):
    """Plans that no cheaper (or equally cheap) plan matches on P: the cost-vs-probability frontier."""
    rows, best = [], -1.0
    for _, r in cands.sort_values(["objective", "probability"], ascending=[True, False]).iterrows():
        if r["probability"] > best:
            rows.append(r)
            best = r["probability"]
    return cands.iloc[0:0] if not rows else type(cands)(rows).reset_index(drop=True)


def _neighbours(space: Space, search: Search, key: Key, s: Settings, base: Estimate):
    import pandas as pd

    rows = []
    for i, v in enumerate(space.variables):
        for d, word in ((-1, "one fewer" if v.levels[0] == int(v.levels[0]) else "one step lower"),
                        (1, "one more" if v.levels[0] == int(v.levels[0]) else "one step higher")):
            j = key[i] + d
            if not 0 <= j < len(v.levels):
                continue
            k = key[:i] + (j,) + key[i + 1:]
            e = search.est(k)
            rows.append({"variable": v.path, "change": word, "value": v.value(j), "objective": e.objective,
                         "objective_change": e.objective - base.objective, "probability": e.p,
                         "ci_low": e.lo, "ci_high": e.hi, "n": e.n, "status": status(e, s)})
    return pd.DataFrame(rows, columns=["variable", "change", "value", "objective", "objective_change",
                                       "probability", "ci_low", "ci_high", "n", "status"])


def _binding(e: Estimate, neighbours) -> dict:
    """The target closest to failing, the variables that cannot go one step lower, the busiest role."""
    out: dict[str, Any] = {}
    if e.by_target:
        label = min(e.by_target, key=lambda t: e.by_target[t])
        out["target"], out["target_probability"] = label, e.by_target[label]
    if len(neighbours):
        lower = neighbours[neighbours["change"].isin(["one fewer", "one step lower"])]
        out["variables"] = [r["variable"] for _, r in lower.iterrows() if r["status"] != "feasible"]
    if e.utilization:
        role = max(e.utilization, key=lambda r: e.utilization[r])
        out["role"], out["utilization"] = role, e.utilization[role]
        out["utilization_by_role"] = dict(sorted(e.utilization.items(), key=lambda kv: -kv[1]))
    return out


def _base(scenario: Scenario | str | os.PathLike, overrides: Iterable[str], weeks: float | None):
    origins: dict[Any, Any]
    if isinstance(scenario, Scenario):
        if list(overrides):
            raise UsageError("overrides apply to scenario files; change the Scenario object instead")
        data, origins, file = scenario.model_dump(mode="json", by_alias=True), {}, scenario.name
    else:
        data, origins = load_data(scenario, overrides)
        file = str(scenario)
    if weeks is not None:
        if not (isinstance(weeks, int | float) and 0 < weeks <= MAX_HORIZON_WEEKS):
            raise UsageError(f"--weeks: expected a number of weeks in (0, {MAX_HORIZON_WEEKS}], got {weeks!r}")
        data = dict(data, horizon_weeks=weeks)
    return data, origins, file, validate_data(copy.deepcopy(data), dict(origins), file)


def _check(probability: float, settings: Settings) -> None:
    if not (isinstance(probability, int | float) and 0 < probability < 1):
        raise UsageError(f"--probability: expected a number in (0, 1), got {probability!r}")
    for name, v, low in (("reps-start", settings.reps_start, 1), ("max-reps", settings.max_reps, 1),
                         ("patience", settings.patience, 0), ("budget", settings.budget, 1),
                         ("batch", settings.batch, 1)):
        if isinstance(v, bool) or not isinstance(v, int) or v < low:
            raise UsageError(f"--{name}: expected a whole number >= {low}, got {v!r}")
    if settings.initial is not None and (isinstance(settings.initial, bool) or not isinstance(settings.initial, int)
                                         or not 1 <= settings.initial <= MAX_INITIAL):
        raise UsageError(f"--initial: expected a whole number in [1, {MAX_INITIAL}], got {settings.initial!r}")
    if settings.max_reps < settings.reps_start:
        raise UsageError(f"--max-reps {settings.max_reps}: must be at least --reps-start {settings.reps_start}")


def plan(scenario: Scenario | str | os.PathLike, vary: Sequence[str], targets: Sequence[str], *,
         probability: float = 0.8, by_week: str | int | None = None, minimize: str = DEFAULT_OBJECTIVE,
         reps_start: int = 8, max_reps: int = 64, initial: int | None = None, patience: int = 8,
         batch: int = 4, budget: int = 5000, recheck: int = 0, seed: int | None = None,
         weeks: float | None = None, overrides: Iterable[str] = (), workers: int | None = None,
         executor: str = "auto", dask: str | None = None, out: str | os.PathLike | None = None,
         resume: bool = False, confidence: float = 0.95, method: str = "search") -> PlanResult:
    """Find the plan with the lowest mean ``minimize`` whose P(all ``targets`` met) >= ``probability``.

    ``vary``: ``key.path=LOW:HIGH[:STEP]`` or ``hires.ROLE.qN=LOW:HIGH`` (see
    :mod:`sim.experiments.planner.space`); ``targets``: ``KPI>=VALUE`` / ``KPI<=VALUE``;
    ``by_week``: read targets at the end of week W, or over ``"A:B"``.
    Replications come in blocks of ``reps_start // 2`` (common random numbers), up
    to ``max_reps`` per plan (rounded up to whole blocks); ``budget`` caps the
    simulations (search, neighbours and re-check alike: no block that would go over it
    runs); ``recheck`` re-runs the recommended plan on that many new seeds.
    ``method="grid"`` evaluates every plan with ``max_reps`` replications instead
    (the exhaustive baseline the search is measured against).
    """
    from sim.experiments.runner.executors import default_workers

    t0 = time.perf_counter()
    data, origins, file, base = _base(scenario, overrides, weeks)
    root_seed = int(base.seed if seed is None else seed)
    settings = Settings(probability, reps_start, max_reps, initial, patience, batch, budget, root_seed)
    _check(probability, settings)
    if method not in ("search", "grid"):
        raise UsageError(f"method: expected 'search' or 'grid', got {method!r}")
    block = settings.screen
    settings.max_reps = max_reps = block * math.ceil(max_reps / block)  # whole blocks
    if budget < block:
        raise UsageError(f"--budget {budget}: less than one block of {block} replications (half of --reps-start "
                         f"{reps_start}): no plan could be evaluated; give --budget {block} or more")
    if isinstance(recheck, bool) or not isinstance(recheck, int) or recheck < 0:
        raise UsageError(f"--recheck: expected a whole number >= 0, got {recheck!r}")
    # Everything that can be checked without a simulation is checked first: the ranges (counted,
    # never listed, against the level cap), the corners of the space, the targets' syntax.
    space = make_space(data, origins, file, base, list(vary))
    if method == "grid" and space.size > MAX_GRID_PLANS:
        raise UsageError(f"--vary: the full grid has {count_text(space.size)} plans, more than "
                         f"{MAX_GRID_PLANS} (method='grid'); use the search or fewer levels")
    space.check()  # a bad --vary path or an out-of-range level fails before anything runs
    window = parse_window(None if by_week is None else str(by_week), float(base.horizon_weeks))
    make_targets(list(targets), window, None, None, float(base.horizon_weeks))
    if not isinstance(minimize, str) or not minimize.strip():
        raise UsageError(f"--minimize {minimize!r}: expected a KPI name, e.g. {DEFAULT_OBJECTIVE}")
    found = report_names(base)  # the KPI names a run reports, without running one
    names, weekly_cols = found if found else (None, None)
    goals = make_targets(list(targets), window, names, weekly_cols, float(base.horizon_weeks))
    if names is not None and minimize not in names:
        from sim.experiments.montecarlo.stats import did_you_mean

        raise UsageError(f"--minimize {minimize}: no such KPI{did_you_mean(minimize, names)}")
    from sim.extras import require

    require("plan")
    import optuna

    design = {"vary": [{"path": v.path, "levels": list(v.levels)} for v in space.variables],
              "targets": [g.label() for g in goals], "probability": probability, "minimize": minimize,
              "reps_start": reps_start, "max_reps": max_reps, "initial": initial, "patience": patience,
              "batch": batch, "method": method, "base_scenario_hash": scenario_hash(base),
              "optuna_version": optuna.__version__}
    manifest = {"format": FORMAT, "format_version": FORMAT_VERSION, "kind": "plan", "root_seed": root_seed,
                "reps": max_reps, "weekly": False, "chunk_size": block, "seeding": SCHEME,
                "bit_generator": BIT_GENERATOR, "points": [], "design": design,
                **versions()}
    store = FolderStore(out) if out is not None else MemoryStore()
    ev = None
    ok = False
    try:
        store.open(manifest, resume)
        store.write_text("scenario.resolved.yaml", resolved_yaml(base))
        ev = Evaluator(space, goals, minimize, root_seed, None, store, block, confidence,
                       workers or default_workers(), executor, dask, budget=budget)
        search = Search(ev, settings)
        search.run_grid() if method == "grid" else search.run()
        inc = search.incumbent()
        if inc is not None:
            search.finish_neighbours(inc.key)
            if recheck:
                ev.recheck(inc.key, recheck)
        result = _assemble(space, ev, search, inc, settings, goals, minimize, recheck, t0, store.out)
        _write(store, result, space, inc)
        store.finish(simulations=result.search["simulations"], feasible=result.feasible)
        ok = True
        return result
    except BaseException:
        store.discard_if_unused()
        raise
    finally:
        if ev is not None:
            ev.close(abort=not ok)
        store.close()


def _assemble(space: Space, ev: Evaluator, search: Search, inc: Estimate | None, s: Settings, goals,
              minimize: str, recheck: int, t0: float, out) -> PlanResult:
    import pandas as pd

    rows = [_row(space, search.est(k), s, search.log.found_by.get(k, "")) for k in search.log.order]
    cands = pd.DataFrame(rows).sort_values(["objective", "probability"], ascending=[True, False],
                                           kind="stable").reset_index(drop=True)
    feas = cands[cands["status"] == "feasible"]
    rec = None if inc is None else _row(space, inc, s, search.log.found_by.get(inc.key, ""))
    neighbours = _neighbours(space, search, inc.key, s, inc) if inc is not None else pd.DataFrame()
    best_est = max((search.est(k) for k in search.log.order), key=lambda e: (e.p, -e.objective))
    check = None
    if inc is not None and recheck:
        e = ev.estimate(inc.key, recheck=True)
        check = {"n": e.n, "probability": e.p, "ci_low": e.lo, "ci_high": e.hi, "objective": e.objective,
                 "feasible": e.p >= s.probability, "within_search_ci": inc.lo <= e.p <= inc.hi}
    sims = ev.simulations + ev.resumed
    info = {"simulations": sims, "simulations_run_here": ev.simulations, "simulations_resumed": ev.resumed,
            "wall_s": time.perf_counter() - t0, "simulation_s": ev.seconds,
            "simulation_cpu_s": ev.cpu_seconds, "candidates": len(search.log.order),
            "plans_in_space": space.size, "grid_simulations": space.size * s.max_reps,
            "share_of_grid": sims / (space.size * s.max_reps), "stop": search.log.stop,
            "executor": ev.executor_name, "reps_start": s.reps_start, "max_reps": s.max_reps,
            "root_seed": s.seed}
    return PlanResult(s.probability, minimize, [g.label() for g in goals], [v.path for v in space.variables],
                      cands, rec, space.set_lines(inc.key) if inc is not None else [],
                      feas.iloc[1:1 + RUNNER_UPS].reset_index(drop=True), _frontier(cands), neighbours,
                      _binding(inc, neighbours) if inc is not None else {},
                      _row(space, best_est, s, search.log.found_by.get(best_est.key, "")),
                      check, info, out)


def _write(store, r: PlanResult, space: Space, inc: Estimate | None) -> None:
    store.write_frame("candidates.csv", r.candidates)
    store.write_frame("frontier.csv", r.frontier)
    if len(r.neighbours):
        store.write_frame("neighbours.csv", r.neighbours)
    if len(r.runner_ups):
        store.write_frame("runner_ups.csv", r.runner_ups)
    if inc is not None:
        store.write_text("recommended.scenario.yaml", resolved_yaml(space.scenario(inc.key)))
    doc = {"feasible": r.feasible, "probability_required": r.probability, "objective": r.objective,
           "targets": r.targets, "recommended": r.recommended, "set": r.set_lines, "binding": r.binding,
           "best_if_infeasible": None if r.feasible else r.best, "recheck": r.recheck, "search": r.search}
    store.write_text("plan.json", json.dumps(doc, indent=2, default=_json) + "\n")


def _json(x):
    try:
        return float(x)
    except (TypeError, ValueError):
        return str(x)
