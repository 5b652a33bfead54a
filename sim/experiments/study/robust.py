"""A robust study: designs at their best, compared across plausible worlds.

Why: a factorial study compares the layouts it is given, in the one world
its scenario assumes. A robust study file (``vary`` and a budget on the levels
of its factors, ``objective:``, ``uncertain:``) asks instead "is the best
team of one structure better than the best team of another at the same
budget, and in which worlds?":

1. **Designs** (:mod:`.designs`): every cell of the study (e.g. structure x
   budget) is a design, optimised for the objective under its budget with the
   planner's search, in the *nominal* world (the scenario as written), under
   common random numbers. Its optimum's layout, cost and flatness are kept.
2. **Worlds** (:mod:`.worlds`): N worlds are sampled from the uncertain
   assumptions; every optimum is evaluated in every world with the same
   replications (common random numbers across designs and worlds). The
   optima are not re-optimised per world: the question is whether the layout
   chosen on today's best guess still wins when the guess is wrong.
3. **Verdicts** (:mod:`.discovery`): within each group of cells (each budget),
   every design is compared with the design factor's first level: P(B beats
   A) over the worlds with a Wilson interval, the sensitivity index of the
   margin to each assumption, and the flip conditions.

Files: ``designs/<cell>/`` (each design's search: a resumable part store),
``worlds/`` (the evaluations across worlds: a resumable part store; the
progress bar counts worlds), and in the folder itself ``designs.csv``,
``flatness.csv``, ``worlds.csv`` (per world and design: the objective's mean),
``verdicts.csv``, ``sensitivity.csv``, ``flips.csv``, ``findings.md`` and
``run.json`` (the simulation count, how many ran in this process rather than
being resumed, the wall time, workers, replications and root seed).
``resume`` reloads every saved block and replays the (deterministic) searches.
"""

from __future__ import annotations

import copy
import json
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sim.errors import UsageError
from sim.experiments.montecarlo.batch import kpi_names, resolved_yaml
from sim.experiments.montecarlo.stats import did_you_mean
from sim.experiments.runner.driver import Point, run_study, scenario_hash
from sim.experiments.runner.seeds import BIT_GENERATOR, SCHEME
from sim.experiments.runner.store import FORMAT, FORMAT_VERSION, FolderStore, MemoryStore, versions
from sim.experiments.study.designs import DesignSpec, Optimum, make_space, optimise
from sim.experiments.study.discovery import Beats, Flip, Index, flip_conditions, p_beats, sensitivity
from sim.experiments.study.study_file import Study
from sim.experiments.study.worlds import Worlds, check_paths, sample, set_lines
from sim.scenario.loader import apply_overrides, validate_data


@dataclass
class Verdict:
    """B against A in one group of cells (e.g. one budget), over the worlds."""

    group: dict[str, str]
    a: str
    b: str
    beats: Beats
    indices: list[Index]
    flip: Flip
    margin_mean: float


@dataclass
class RobustResult:
    study: Study
    design_factor: str
    optima: list[Optimum]
    worlds: Worlds | None
    per_world: Any  # DataFrame: world, design, objective mean
    verdicts: list[Verdict]
    findings: str
    simulations: int
    wall_s: float
    out: Path | None
    info: dict = field(default_factory=dict)


def design_factor(study: Study) -> str:
    """The factor whose levels are the alternatives compared: the one with ``vary`` or whole scenarios."""
    spec = study.spec
    for f, fac in spec.factors.items():
        if any(lv is not None and (lv.vary or lv.scenario) for lv in fac.levels.values()):
            return f
    return next(iter(spec.factors))


def _specs(study: Study) -> list[DesignSpec]:
    spec = study.spec
    out = []
    for cell in study.cells:
        vary: dict[str, str] = {}
        budget = None
        for f, lv in cell.levels.items():
            level = spec.factors[f].levels[lv]
            if level is not None:
                vary.update(level.vary)
                budget = level.budget_usd_per_year if level.budget_usd_per_year is not None else budget
        out.append(DesignSpec(cell.label, cell.scenario, vary, budget, spec.objective or "",
                              spec.search.cost_kpi))
    return out


def check(study: Study) -> None:
    """What can be checked before any simulation: the objective and cost KPIs, every design's
    variables (their corners validated), every assumption's key in every design."""
    spec = study.spec
    if spec.objective is None:
        raise UsageError(f"{study.path}: objective: a study of designs or uncertain assumptions needs the KPI "
                         "to maximise (e.g. objective: arr_end_usd)")
    names = kpi_names(study.cells[0].scenario)
    for what, k in (("objective", spec.objective), ("search.cost_kpi", spec.search.cost_kpi)):
        if names is not None and k not in names:
            raise UsageError(f"{study.path}: {what}: no such KPI {k!r}{did_you_mean(k, names)}")
    specs = _specs(study)
    for s in specs:
        try:
            make_space(s) if s.vary else None
        except UsageError as exc:
            raise UsageError(f"{study.path}: cell {s.label}: {exc}") from None
    if spec.uncertain is not None:
        check_paths(spec.uncertain, {s.label: s.scenario.model_dump(mode="json", by_alias=True, exclude_none=True)
                                     for s in specs})


def robust_study(study: Study, *, reps: int | None = None, seed: int | None = None, workers: int | None = None,
                 executor: str = "auto", dask: str | None = None, out: str | os.PathLike | None = None,
                 resume: bool = False, progress: bool | None = None, worlds: int | None = None) -> RobustResult:
    """Run the robust study (see the module's docstring); ``worlds`` overrides the file's count."""
    from sim.experiments.runner.executors import default_workers

    t0 = time.perf_counter()
    spec = study.spec
    check(study)
    reps = spec.reps if reps is None else reps
    chosen = seed if seed is not None else spec.seed
    root = int(study.cells[0].scenario.seed if chosen is None else chosen)
    workers = workers or default_workers()
    out = None if out is None else Path(out)
    _open_folder(out, resume)
    factor = design_factor(study)

    optima: list[Optimum] = []
    for cell, ds in zip(study.cells, _specs(study), strict=True):
        store = _design_store(out, cell.index, ds, root, spec, resume)
        try:
            if ds.vary:
                opt = optimise(ds, reps=spec.search.reps, simulations=spec.search.simulations,
                               patience=spec.search.patience, probability=spec.search.budget_probability,
                               seed=root, store=store, workers=workers, executor=executor, dask=dask)
            else:
                opt = _fixed(ds, spec.search.reps, root, store, workers, executor, dask, spec)
            store.finish(simulations=opt.simulations + opt.resumed)
        except BaseException:
            store.discard_if_unused()
            raise
        finally:
            store.close()
        optima.append(opt)

    ws = None
    per_world = None
    verdicts: list[Verdict] = []
    sims = sum(o.simulations + o.resumed for o in optima)
    here = sum(o.simulations for o in optima)
    if spec.uncertain is not None:
        n = spec.uncertain.worlds if worlds is None else worlds
        ws = sample_worlds(study, optima[0].scenario, root, n)
        points = world_points(study, [(o.label, o.scenario) for o in optima], ws)
        res = run_study("robust", points, reps, seed=root, workers=workers, executor=executor, dask=dask,
                        out=None if out is None else out / "worlds", resume=resume, progress=progress,
                        weekly=False, design={"study": spec.name, "worlds": n, "assumptions": ws.names,
                                              "values": ws.values.tolist(), "designs": [o.label for o in optima]},
                        progress_unit=("worlds", len(optima) * reps))
        sims += len(res.replications)
        here += res.computed
        meta = {p: (pt.info["world"], pt.info["design"]) for p, pt in enumerate(points)}
        cols = ["point", spec.objective] + (["error"] if "error" in res.replications else [])
        rows = res.replications[cols].copy()  # the two columns used, not the many-column frame
        rows["world"] = rows["point"].map(lambda p: meta[p][0])
        rows["design"] = rows["point"].map(lambda p: meta[p][1])
        ok = rows[rows["error"].isna()] if "error" in rows else rows
        per_world = (ok.groupby(["world", "design"])[spec.objective].mean().unstack("design")
                     .reindex(index=range(len(ws)), columns=range(len(optima))))
        verdicts = _verdicts(study, factor, optima, ws, per_world, root)
    from sim.experiments.study.robust_findings import findings_markdown

    result = RobustResult(study, factor, optima, ws, per_world, verdicts, "", sims, time.perf_counter() - t0, out,
                          {"reps": reps, "root_seed": root, "workers": workers, "simulations_run_here": here})
    result.findings = findings_markdown(result)
    if out is not None:
        _write(out, result)
    return result


def sample_worlds(study: Study, scenario, root: int, n: int) -> Worlds:
    """The study's ``n`` worlds (seeded: the same every time), whole-number keys judged on ``scenario``."""
    if study.spec.uncertain is None:  # callers ask only for a study with uncertain assumptions
        raise ValueError("the study declares no uncertain: assumptions")
    u = study.spec.uncertain.model_copy(update={"worlds": n})
    first = scenario.model_dump(mode="json", by_alias=True, exclude_none=True)
    whole = [_whole(name, scenario, first) for name in u.assumptions]
    return sample(u, root if u.seed is None else u.seed, whole)


def world_points(study: Study, optima: list[tuple[str, Any]], ws: Worlds,
                 which: list[int] | None = None) -> list[Point]:
    """Every optimum (label, scenario) in every world (or the worlds ``which``): the points the
    study evaluates, world by world (a stored study's figures are rerun on a few of them)."""
    points = []
    for i in range(len(ws)) if which is None else which:
        for d, (label, scenario) in enumerate(optima):
            data = scenario.model_dump(mode="json", by_alias=True, exclude_none=True)
            data = apply_overrides(copy.deepcopy(data), set_lines(ws, i, data), {})
            sc = validate_data(data, {}, f"{study.path} [world {i}, {label}]")
            points.append(Point(f"world {i}: {label}", sc, {"world": i, "design": d}))
    return points


def _whole(name: str, scenario, data: dict) -> bool:
    from sim.experiments.planner.vary import whole_key
    from sim.experiments.study.worlds import expand

    paths = expand(name, data)
    return bool(paths) and whole_key(paths[0], scenario)


def _verdicts(study: Study, factor: str, optima: list[Optimum], ws: Worlds, per_world, seed: int) -> list[Verdict]:
    levels = [c.levels for c in study.cells]
    groups: dict[tuple, list[int]] = {}
    for d, lv in enumerate(levels):
        groups.setdefault(tuple((f, v) for f, v in lv.items() if f != factor), []).append(d)
    out = []
    for g, ds in groups.items():
        a = ds[0]
        for b in ds[1:]:
            ya, yb = per_world[a].to_numpy(float), per_world[b].to_numpy(float)
            margin = yb - ya
            ok = np.isfinite(margin)
            idx = sensitivity(ws.values[ok], margin[ok], ws.names, ws.bounds, seed=seed)
            flip = flip_conditions(ws.values[ok], margin[ok] > 0, ws.names, seed=seed)
            out.append(Verdict(dict(g), levels[a][factor], levels[b][factor], p_beats(ya, yb), idx, flip,
                               float(np.nanmean(margin))))
    return out


def _open_folder(out: Path | None, resume: bool) -> None:
    if out is None:
        return
    from sim.outpaths import check_parent, make_parent

    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out}: exists and is not a folder")
    check_parent(out, "--out")
    if out.exists() and any(not p.name.startswith(".") for p in out.iterdir()) and not resume:
        raise UsageError(f"--out {out}: folder exists and is not empty; add --resume to finish the study in it, "
                         "or choose another folder")
    make_parent(out, "--out")
    out.mkdir(exist_ok=True)


def _design_store(out: Path | None, index: int, ds: DesignSpec, root: int, spec, resume: bool):
    block = max(1, spec.search.reps // 2)
    manifest = {"format": FORMAT, "format_version": FORMAT_VERSION, "kind": "design_search", "root_seed": root,
                "reps": spec.search.reps, "weekly": False, "chunk_size": block, "seeding": SCHEME,
                "bit_generator": BIT_GENERATOR, "points": [],
                "design": {"cell": ds.label, "vary": ds.vary, "budget_usd_per_year": ds.budget_usd_per_year,
                           "objective": ds.objective, "cost_kpi": ds.cost_kpi,
                           "search": spec.search.model_dump(), "scenario_hash": scenario_hash(ds.scenario)},
                **versions()}
    store = FolderStore(out / "designs" / f"cell{index}") if out is not None else MemoryStore()
    store.open(manifest, resume)
    if out is not None:
        store.write_text("scenario.resolved.yaml", resolved_yaml(ds.scenario))
    return store


def _fixed(ds: DesignSpec, reps: int, root: int, store, workers, executor, dask, spec) -> Optimum:
    """A cell with nothing to choose: its scenario as it is, evaluated with the search's replications."""
    from sim.experiments.study.designs import years

    res = run_study("design", [Point(ds.label, ds.scenario)], reps, seed=root, workers=workers, executor=executor,
                    dask=dask, progress=False, weekly=False)
    rows = res.replications
    ok = rows[rows["error"].isna()] if "error" in rows else rows
    span = years(ds.scenario)
    cost = float(ok[ds.cost_kpi].astype(float).mean()) / span
    within = (float((ok[ds.cost_kpi].astype(float) <= ds.budget_usd_per_year * span).mean())
              if ds.budget_usd_per_year is not None else 1.0)
    import pandas as pd

    return Optimum(ds.label, {}, [], ds.scenario, float(ok[ds.objective].astype(float).mean()), cost, within,
                   len(ok), within >= spec.search.budget_probability, pd.DataFrame(), len(rows), 0, 1,
                   "nothing to choose")


def _write(out: Path, r: RobustResult) -> None:
    import pandas as pd

    from sim.outpaths import atomic_write

    designs = pd.DataFrame([{"design": o.label, **{f"seats:{k}": v for k, v in o.values.items()},
                             "objective": o.objective, "cost_per_year": o.cost_per_year,
                             "p_within_budget": o.p_within_budget, "within_budget": o.feasible, "n": o.n,
                             "simulations": o.simulations + o.resumed, "candidates": o.candidates, "stop": o.stop}
                            for o in r.optima])
    flat = pd.concat([o.flatness.assign(design=o.label) for o in r.optima if len(o.flatness)] or [pd.DataFrame()],
                     ignore_index=True)
    tables: dict[str, Any] = {"designs.csv": designs, "flatness.csv": flat}
    if r.worlds is not None:
        w = pd.DataFrame(r.worlds.values, columns=r.worlds.names)
        per = r.per_world.copy()
        per.columns = [f"objective:{r.optima[d].label}" for d in per.columns]
        tables["worlds.csv"] = pd.concat([w, per.reset_index(drop=True)], axis=1)
        tables["verdicts.csv"] = pd.DataFrame([{**v.group, "a": v.a, "b": v.b, "p_b_beats_a": v.beats.p,
                                                "ci_low": v.beats.lo, "ci_high": v.beats.hi, "worlds": v.beats.n,
                                                "margin_mean": v.margin_mean, "flip_accuracy": v.flip.accuracy}
                                               for v in r.verdicts])
        tables["sensitivity.csv"] = pd.DataFrame([{**v.group, "b": v.b, "assumption": i.name, "s1": i.s1,
                                                   "s1_conf": i.conf} for v in r.verdicts for i in v.indices])
        tables["flips.csv"] = pd.DataFrame([{**v.group, "b": v.b, "box": b.text(), "worlds": b.worlds,
                                             "share_b_wins": b.share, "b_wins": b.verdict}
                                            for v in r.verdicts for b in v.flip.boxes])
    for name, df in tables.items():
        def write_csv(p: Any, df: Any = df) -> None:
            df.to_csv(p, index=False)

        atomic_write(out / name, write_csv)
    atomic_write(out / "findings.md", lambda p: p.write_text(r.findings, encoding="utf-8"))
    run = {"simulations": r.simulations, "simulations_run_here": r.info["simulations_run_here"],
           "wall_s": r.wall_s, "workers": r.info["workers"], "reps": r.info["reps"],
           "root_seed": r.info["root_seed"], "worlds": None if r.worlds is None else len(r.worlds),
           "designs": len(r.optima)}
    atomic_write(out / "run.json", lambda p: p.write_text(json.dumps(run, indent=1) + "\n", encoding="utf-8"))


def _finite(x: float) -> bool:
    return x is not None and math.isfinite(x)
