"""Figures that cannot go stale: every number quoted between marker comments
``<!-- NAME:begin -->`` and ``<!-- NAME:end -->`` in the README, the studies'
READMEs and docs/*.md is rendered here from stored study outputs, never typed.

Stored outputs live in ``scenarios/studies/results/NAME/``: the study's
``cells.csv``, ``effects.csv``, ``variance.csv``, a ``replications.csv`` of its
KPIs per cell and replication, and ``stored.json`` (the study file, its
replications, root seed and horizon, each cell's resolved-scenario hash, the
commit it was run at and the command that reproduces it). A robust study
(``org_design``: designs at their best across plausible worlds) stores its
``designs.csv``, ``flatness.csv``, ``worlds.csv``, ``verdicts.csv``,
``sensitivity.csv``, ``flips.csv`` and ``findings.md`` instead, and a record
with the simulation count, wall time and CPU time, a hash of the study file's
settings and of each design's scenario. Run from the
repository root::

    python scripts/figures.py store NAME [--from FOLDER]  # run the study (or take a finished folder) and store it
    python scripts/figures.py store org_design --from FOLDER --time-log JSON  # with benchmarks/tree_time.py's CPU time
    python scripts/figures.py render                       # rewrite every marker block from the stored outputs
    python scripts/figures.py check                        # exit 1 naming each block or stored output that is off

``tests/test_stored_figures.py`` fails when a block differs from what this
renders (a figure edited by hand), when a stored output's cells no longer
resolve to the scenarios it was run on (a scenario or study file changed since:
stale), and when a small stored study rerun at its seeds does not give the
stored numbers exactly (common random numbers). Blocks written by other scripts
(``pod_growth``: scenarios/studies/pod_growth.py) are left to them.
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from anywhere: the repository's own sim package
    sys.path.insert(0, str(ROOT))
from sim import markers  # noqa: E402  (after the path: the repository's own sim package)

RESULTS = ROOT / "scenarios" / "studies" / "results"
EXTERNAL = {"pod_growth": "scenarios/studies/pod_growth.py",  # blocks another script renders (and tests)
            "process_levers": "scripts/process_levers.py", "process_chain": "scripts/process_levers.py",
            "crm_acceptance": "scripts/crm_acceptance.py", "crm_headline": "scripts/crm_acceptance.py",
            "planner_example": "benchmarks/results.py", "run_times": "benchmarks/results.py",
            "planner_answer": "benchmarks/results.py",
            "benchmark-rows": "scripts/benchmark_rows.py", "same-cost": "scripts/benchmark_rows.py",
            "mutation-tables": "scripts/mutation.py", "kpi-table": "sim/metrics/registry.py"}

# name -> (study file, replications, horizon weeks or None for the file's): what `store NAME` runs
STUDIES: dict[str, tuple[str, int | None, float | None]] = {
    "team_size": ("scenarios/studies/team_size.yaml", None, None),
    "pod_split": ("scenarios/studies/pod_split.yaml", None, None),
    "org_design": ("scenarios/studies/org_design.yaml", None, None),  # a robust study: see store_robust
    "org_design_factorial": ("scenarios/studies/org_design_factorial.yaml", None, None),
    "speed_to_lead": ("scenarios/studies/claims/speed_to_lead.yaml", None, None),
    "compound_effect": ("scenarios/studies/claims/compound_effect.yaml", None, None),
    "four_points": ("scenarios/studies/claims/four_points.yaml", None, None),
    "star_departure": ("scenarios/studies/claims/star_departure.yaml", None, None),
    # small: rerun by the default tests; 8 weeks, as in office hours some cell of a 6-week run has no ARR yet
    # (an infinite cost per ARR the study analysis cannot take)
    "team_size_quick": ("scenarios/studies/team_size.yaml", 2, 8.0),
}


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def documents() -> list[Path]:
    """Every file whose marker blocks are rendered here."""
    docs = (sorted((ROOT / "docs").glob("*.md")) + sorted((ROOT / "docs" / "how-to").glob("*.md"))
            + sorted((ROOT / "docs" / "guide").glob("*.md")))
    return [ROOT / "README.md", ROOT / "scenarios" / "studies" / "README.md",
            ROOT / "scenarios" / "studies" / "claims" / "README.md", *docs]


# --------------------------------------------------------------------------- stored outputs


class Stored:
    """One stored study output: its record and tables (pandas, read on first use)."""

    def __init__(self, name: str):
        self.name = name
        self.folder = RESULTS / name
        path = self.folder / "stored.json"
        if not path.is_file():
            raise SystemExit(f"figures: no stored output {name!r} ({path.relative_to(ROOT)}); run "
                             f"python scripts/figures.py store {name}")
        self.record = json.loads(path.read_text())
        self._tables: dict = {}

    def table(self, stem: str):
        import pandas as pd

        if stem not in self._tables:
            self._tables[stem] = pd.read_csv(self.folder / f"{stem}.csv")
        return self._tables[stem]

    def cell(self, kpi: str, **levels) -> float:
        c = self.table("cells")
        rows = c[c["kpi"] == kpi]
        for f, lv in levels.items():
            rows = rows[rows[f] == lv]
        if len(rows) != 1:
            raise KeyError(f"{self.name}: {kpi} at {levels}: {len(rows)} cells")
        return float(rows["mean"].iloc[0])

    def effect(self, kpi: str, factor: str, level: str) -> tuple[float, float, float]:
        e = self.table("effects")
        r = e[(e["kpi"] == kpi) & (e["kind"] == "main") & (e["factor"] == factor) & (e["level"] == level)]
        if len(r) != 1:
            raise KeyError(f"{self.name}: no main effect of {factor}={level} on {kpi}")
        r = r.iloc[0]
        return float(r["estimate"]), float(r["ci_low"]), float(r["ci_high"])

    def share(self, kpi: str, source: str) -> float:
        v = self.table("variance")
        r = v[(v["kpi"] == kpi) & (v["source"] == source)]
        return float(r["share"].iloc[0]) if len(r) else math.nan

    def paired(self, kpi: str, factor: str, a: str, b: str) -> tuple[float, float, float, int]:
        """Mean and 95% t-interval of b - a on ``kpi``, paired by replication and every other factor."""
        from scipy import stats

        r = self.table("replications")
        others = [f for f in self.record["factors"] if f != factor]
        key = [*others, "rep"]
        x = r[r[factor] == a].set_index(key)[kpi]
        y = r[r[factor] == b].set_index(key)[kpi]
        d = (y - x.reindex(y.index)).dropna()
        n = len(d)
        m = float(d.mean())
        h = float(stats.t.ppf(0.975, n - 1) * d.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan
        return m, m - h, m + h, n

    @property
    def how(self) -> str:
        """How the stored output was made, for the text above its figures."""
        r = self.record
        weeks = f", {r['weeks']:g} weeks" if r.get("weeks") else ""
        return (f"`{r['command']}` ({r['cells']} cells x {r['reps']} replications{weeks}, root seed "
                f"{r['seed']}; run at commit {r['commit'][:7]})")


def inputs_hashes(study_file: str) -> dict[str, str]:
    """Each cell's resolved-scenario hash, as the study's manifest records it (the horizon a
    ``--weeks`` run cuts it to is recorded apart)."""
    from sim.experiments.runner.driver import scenario_hash
    from sim.experiments.study.study_file import load_study

    return {c.label: scenario_hash(c.scenario) for c in load_study(ROOT / study_file).cells}


def figure_hash(scenario) -> str:
    """A cell's scenario as far as its figures go: SHA-256 of the keys set to something other than
    their default. A new key that leaves every result as it was (added at a default that
    reproduces the old behaviour) does not make the stored figures stale; a changed value does. A
    changed *default* is caught by the exact-rerun tests of stored studies instead."""
    import hashlib

    data = scenario.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def figure_hashes(study_file: str) -> dict[str, str]:
    """Each cell's :func:`figure_hash`."""
    from sim.experiments.study.study_file import load_study

    return {c.label: figure_hash(c.scenario) for c in load_study(ROOT / study_file).cells}


def reproduce(name: str, workers: int = 1):
    """Rerun the stored study ``name`` at its replications, seed and horizon; return (stored, rerun)
    ``cells.csv`` texts, which common random numbers make identical."""
    from sim.experiments.study.factorial import factorial

    s = Stored(name)
    r = s.record
    with tempfile.TemporaryDirectory() as tmp:
        res = factorial(ROOT / r["study"], reps=r["reps"], seed=r["seed"], weeks=r["weeks"], workers=workers,
                        executor="serial" if workers == 1 else "auto", out=Path(tmp) / "out", progress=False)
        rerun = (Path(tmp) / "out" / "cells.csv").read_text()
    del res
    return (s.folder / "cells.csv").read_text(), rerun


def stale(name: str) -> list[str]:
    """The cells of a stored output whose scenario is no longer what it was run on (and, for a robust
    study, the study file's settings: search, budgets, assumptions, worlds, seeds)."""
    s = Stored(name)
    now = figure_hashes(s.record["study"])
    then = s.record.get("cell_figure_hashes", s.record["cell_hashes"])
    out = [f"{name}: cell {c} changed since it was stored" for c in then if now.get(c) != then[c]]
    out += [f"{name}: cell {c} is new since it was stored" for c in now if c not in then]
    if "study_hash" in s.record and study_hash(s.record["study"]) != s.record["study_hash"]:
        out.append(f"{name}: the study file's settings changed since it was stored")
    return out


def study_hash(study_file: str) -> str:
    """SHA-256 of what a study file sets apart from its name and description (factors, designs,
    budgets, search, uncertain assumptions, replications, seed): a robust study's figures depend on
    all of it, not only on its cells' scenarios."""
    import hashlib

    from sim.experiments.study.study_file import read_spec

    spec = read_spec(ROOT / study_file)[0]
    data = spec.model_dump(mode="json", exclude={"name", "description"})
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode("utf-8")).hexdigest()


def is_robust(study_file: str) -> bool:
    from sim.experiments.study.study_file import read_spec

    return bool(read_spec(ROOT / study_file)[0].robust)


def store(name: str, folder: Path | None = None, workers: int = 2, commit: str | None = None) -> None:
    """Run the study ``name`` (or take its finished output ``folder``) and store its tables and record."""
    import pandas as pd

    study_file, reps, weeks = STUDIES[name]
    if is_robust(study_file):
        store_robust(name, folder, workers, commit)
        return
    cmd = ["salesim", "study", study_file] + (["--reps", str(reps)] if reps else []) + (
        ["--weeks", f"{weeks:g}"] if weeks else [])
    tmp = None
    if folder is None:
        tmp = Path(tempfile.mkdtemp(prefix=f"figures-{name}-"))
        folder = tmp / "out"
        subprocess.run([sys.executable, "-m", "sim", *cmd[1:], "--quiet", "--workers", str(workers),
                        "--out", str(folder)], check=True, cwd=ROOT)
    manifest = json.loads((folder / "manifest.json").read_text())
    design = manifest.get("design") or {}
    factors = list(design.get("factors") or {})
    kpis = list(design.get("kpis") or [])
    if reps is not None and int(manifest["reps"]) != reps:
        raise SystemExit(f"figures: {folder} has {manifest['reps']} replications; {name} is stored at {reps}")
    run_weeks = {p.get("horizon_weeks") for p in manifest["points"]}
    hashes = {p["name"]: p["scenario_hash"] for p in manifest["points"]}
    if hashes != inputs_hashes(study_file):
        raise SystemExit(f"figures: {folder} was not run on today's {study_file} (cell scenarios differ)")
    out = RESULTS / name
    out.mkdir(parents=True, exist_ok=True)
    for stem in ("cells", "effects", "variance"):
        shutil.copyfile(folder / f"{stem}.csv", out / f"{stem}.csv")
    reps_df = pd.read_parquet(folder / "replications.parquet")
    reps_df[["cell", *factors, "rep", *kpis]].to_csv(out / "replications.csv", index=False)
    commit = commit or subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                                      cwd=ROOT).stdout.strip()
    record = {"study": study_file, "command": " ".join(cmd), "reps": int(manifest["reps"]),
              "seed": int(manifest["root_seed"]), "weeks": weeks, "cells": len(hashes), "factors": factors,
              "kpis": kpis, "horizon_weeks": sorted(w for w in run_weeks if w is not None),
              "commit": commit, "cell_hashes": hashes, "cell_figure_hashes": figure_hashes(study_file)}
    (out / "stored.json").write_text(json.dumps(record, indent=1) + "\n")
    if tmp is not None:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"stored {name} in {_shown(out)}")


# --------------------------------------------------------------------------- robust studies

ROBUST_TABLES = ("designs", "flatness", "worlds", "verdicts", "sensitivity", "flips")


def time_log(path: Path) -> dict:
    """CPU and wall time of a run as ``benchmarks/tree_time.py --json`` measured it (the CPU time of
    the command and every process it started: ``/usr/bin/time`` misses the pool's workers)."""
    try:
        r = json.loads(path.read_text())
        out = {"cpu_s": float(r["cpu_s"]), "time_wall_s": float(r["wall_s"]), "max_rss_kb": r.get("max_rss_kb"),
               "load_average": r.get("load_average_start")}
    except (OSError, ValueError, KeyError, TypeError):
        raise SystemExit(f"figures: {path} is not a measurement of benchmarks/tree_time.py --json") from None
    return out


def store_robust(name: str, folder: Path | None = None, workers: int = 2, commit: str | None = None,
                 timing: Path | None = None) -> None:
    """Run the robust study ``name`` (or take its finished output ``folder``) and store its tables, its
    findings and a record: the simulation count and wall time it printed, the CPU time (measured here
    when this runs it, or read from ``timing``, a ``/usr/bin/time -v`` report), each design's
    scenario hash and the study file's settings hash."""
    import importlib.util
    import os
    import time

    from sim.experiments.study.robust import _specs
    from sim.experiments.study.study_file import load_study

    study_file = STUDIES[name][0]
    cmd = ["salesim", "study", study_file]
    study = load_study(ROOT / study_file)
    spec = study.spec
    extra: dict = {}
    tmp = None
    if folder is None:
        tmp = Path(tempfile.mkdtemp(prefix=f"figures-{name}-"))
        folder = tmp / "out"
        spec_ = importlib.util.spec_from_file_location("tree_time", ROOT / "benchmarks" / "tree_time.py")
        tree_time = importlib.util.module_from_spec(spec_)
        spec_.loader.exec_module(tree_time)
        m = tree_time.run([sys.executable, "-m", "sim", *cmd[1:], "--quiet", "--workers", str(workers),
                           "--out", str(folder)], cwd=str(ROOT))
        if m["returncode"] != 0:
            raise SystemExit(f"figures: {' '.join(cmd)} failed (exit {m['returncode']})")
        extra = {"cpu_s": m["cpu_s"], "time_wall_s": m["wall_s"], "max_rss_kb": m["max_rss_kb"],
                 "load_average": m["load_average_start"]}
    elif timing is not None:
        extra = time_log(timing)
    hashes = inputs_hashes(study_file)
    for i, ds in enumerate(_specs(study)):
        path = folder / "designs" / f"cell{i}" / "manifest.json"
        if not path.is_file():
            raise SystemExit(f"figures: {folder} has no design search {i} ({ds.label}): not a finished run of "
                             f"{study_file}")
        d = json.loads(path.read_text())["design"]
        mine = {"cell": ds.label, "vary": ds.vary, "budget_usd_per_year": ds.budget_usd_per_year,
                "objective": ds.objective, "search": spec.search.model_dump(), "scenario_hash": hashes[ds.label]}
        off = [k for k, v in mine.items() if d.get(k) != v]
        if off == ["scenario_hash"] and _renamed_only(path.parent / "scenario.resolved.yaml", ds.scenario):
            off = []  # the same scenario run under the study's former name (a cell's name and description)
        if off:
            raise SystemExit(f"figures: {folder} was not run on today's {study_file} (design {ds.label}: "
                             f"{', '.join(off)} differ)")
    worlds = json.loads((folder / "worlds" / "manifest.json").read_text())
    if (int(worlds["reps"]) != spec.reps or int(worlds["root_seed"]) != int(spec.seed)
            or worlds["design"]["worlds"] != spec.uncertain.worlds
            or sorted(worlds["design"]["assumptions"]) != sorted(spec.uncertain.assumptions)):
        raise SystemExit(f"figures: {folder}'s worlds (count, assumptions, replications or seed) are not "
                         f"{study_file}'s")
    missing = [f"{t}.csv" for t in ROBUST_TABLES if not (folder / f"{t}.csv").is_file()]
    if missing or not (folder / "findings.md").is_file():
        raise SystemExit(f"figures: {folder} is not a finished robust study (missing {missing or 'findings.md'})")
    run_path = folder / "run.json"
    if run_path.is_file():
        run = json.loads(run_path.read_text())
    else:  # a folder written before run.json: the count and wall time are the findings' last line
        m = re.search(r"^(\d+) simulations in (\d+) s\.$", (folder / "findings.md").read_text(), re.M)
        if m is None:
            raise SystemExit(f"figures: {folder} records no simulation count and wall time")
        run = {"simulations": int(m.group(1)), "wall_s": float(m.group(2)), "workers": None}
    out = RESULTS / name
    out.mkdir(parents=True, exist_ok=True)
    for stem in ROBUST_TABLES:
        shutil.copyfile(folder / f"{stem}.csv", out / f"{stem}.csv")
    shutil.copyfile(folder / "findings.md", out / "findings.md")
    commit = commit or subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                                      cwd=ROOT).stdout.strip()
    record = {"kind": "robust", "study": study_file, "command": " ".join(cmd), "reps": spec.reps,
              "seed": int(spec.seed), "worlds": spec.uncertain.worlds, "designs": len(study.cells),
              "cells": len(study.cells), "factors": list(spec.factors), "objective": spec.objective,
              "search": spec.search.model_dump(), "sampler": spec.uncertain.sampler,
              "assumptions": {k: {"low": a.low, "high": a.high, "source": a.source}
                              for k, a in spec.uncertain.assumptions.items()},
              "budgets": {ds.label: ds.budget_usd_per_year for ds in _specs(study)},
              "horizon_weeks": float(study.cells[0].scenario.horizon_weeks),
              "simulations": int(run["simulations"]), "simulations_run_here": run.get("simulations_run_here"),
              "wall_s": float(run["wall_s"]), "workers": run.get("workers") or workers, **extra,
              "cores": os.cpu_count(), "date": time.strftime("%Y-%m-%d"), "commit": commit,
              "cell_hashes": hashes, "cell_figure_hashes": figure_hashes(study_file),
              "study_hash": study_hash(study_file)}
    (out / "stored.json").write_text(json.dumps(record, indent=1) + "\n")
    if tmp is not None:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"stored {name} in {_shown(out)}")


def _renamed_only(resolved: Path, scenario) -> bool:
    """Whether the scenario a design ran on (its ``scenario.resolved.yaml``) is ``scenario`` but for its
    name and description, which a study names its cells by and which change no figure."""
    import sim

    try:
        then = sim.load_scenario(resolved)
    except Exception:  # noqa: BLE001 - any unreadable file is simply not the same scenario
        return False

    def dump(sc) -> dict:
        data = sc.model_dump(mode="json", by_alias=True)
        data.pop("name", None)
        data.pop("description", None)
        return data

    return dump(then) == dump(scenario)


def optimum_scenarios(name: str) -> list[tuple[str, object]]:
    """(design label, scenario) of every stored optimum: each design's scenario with its seats."""
    import copy

    from sim.experiments.study.study_file import load_study
    from sim.scenario.loader import apply_overrides, validate_data

    s = Stored(name)
    designs = s.table("designs").set_index("design")
    out = []
    for cell in load_study(ROOT / s.record["study"]).cells:
        row = designs.loc[cell.label]
        sets = [f"{c.split(':', 1)[1]}={int(row[c]) if float(row[c]).is_integer() else row[c]}"
                for c in designs.columns if c.startswith("seats:") and row[c] == row[c]]
        data = cell.scenario.model_dump(mode="json", by_alias=True, exclude_none=True)
        out.append((cell.label, validate_data(apply_overrides(copy.deepcopy(data), sets, {}), {}, cell.label)))
    return out


def reproduce_worlds(name: str, which: tuple[int, ...] = (0,), workers: int = 1):
    """Rerun the stored optima of the robust study ``name`` in the worlds ``which`` at the stored
    replications and seed; return (stored, rerun): the objective's mean per world and design, and
    the worlds' assumption values, which common random numbers and the seeded sample make identical."""
    from sim.experiments.runner.driver import run_study
    from sim.experiments.study.robust import sample_worlds, world_points
    from sim.experiments.study.study_file import load_study

    s = Stored(name)
    r = s.record
    study = load_study(ROOT / r["study"])
    optima = optimum_scenarios(name)
    ws = sample_worlds(study, optima[0][1], r["seed"], r["worlds"])
    points = world_points(study, optima, ws, list(which))
    res = run_study("robust", points, r["reps"], seed=r["seed"], workers=workers,
                    executor="serial" if workers == 1 else "auto", progress=False, weekly=False)
    rows = res.replications
    rows = rows.assign(world=[points[p].info["world"] for p in rows["point"]],
                       design=[points[p].info["design"] for p in rows["point"]])
    means = rows.groupby(["world", "design"])[r["objective"]].mean()
    labels = [lb for lb, _ in optima]
    rerun = {(w, labels[d]): float(v) for (w, d), v in means.items()}
    table = s.table("worlds")
    stored = {(w, lb): float(table.loc[w, f"objective:{lb}"]) for w in which for lb in labels}
    values = {(w, n): float(ws.values[w, j]) for w in which for j, n in enumerate(ws.names)}
    stored_values = {(w, n): float(table.loc[w, n]) for w in which for n in ws.names}
    return (stored, stored_values), (rerun, values)


# --------------------------------------------------------------------------- formatting


def usd_m(x: float, signed: bool = False) -> str:
    return f"{x / 1e6:+.2f}M" if signed else f"${x / 1e6:.2f}M"


def usd_k(x: float, signed: bool = False) -> str:
    return (f"{'+' if x >= 0 else '-'}${abs(x) / 1e3:,.0f}k" if signed else f"${x / 1e3:,.0f}k")


def ci_k(e: tuple) -> str:
    return f"{usd_k(e[0], True)} [{usd_k(e[1], True)}, {usd_k(e[2], True)}]"


def ci_m(e: tuple) -> str:
    return f"{usd_m(e[0], True)} [{usd_m(e[1], True)}, {usd_m(e[2], True)}]"


def ci(e: tuple, fmt: str = "+.2f") -> str:
    return f"{e[0]:{fmt}} [{e[1]:{fmt}}, {e[2]:{fmt}}]"


def pct(x: float) -> str:
    return f"{x:.0%}"


def resolved(e: tuple) -> bool:
    """The interval excludes zero."""
    return e[1] > 0 or e[2] < 0


def nr(e: tuple) -> str:
    return "" if resolved(e) else " (not resolved)"


# --------------------------------------------------------------------------- renderers


def render_team_size() -> str:
    s = Stored("team_size")
    sizes = [("seats_2", 2), ("seats_6", 6), ("seats_12", 12), ("seats_24", 24)]
    arms = [("star", "without"), ("star", "with"), ("specialists", "without"), ("specialists", "with")]
    head = ["seats of budget", *(f"{st}, process {pr}: ARR per head" for st, pr in arms),
            "star / specialists cost per ARR (process with)"]
    rows = []
    for lv, n in sizes:
        per = [usd_k(s.cell("arr_per_head_usd", structure=st, process=pr, size=lv)) for st, pr in arms]
        cpa = (f"{s.cell('cost_per_arr_usd', structure='star', process='with', size=lv):.2f} / "
               f"{s.cell('cost_per_arr_usd', structure='specialists', process='with', size=lv):.2f}")
        rows.append([str(n), *per, cpa])
    table = "\n".join(["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
                      + ["| " + " | ".join(r) + " |" for r in rows])

    def peak(st: str, pr: str) -> int:
        return max(sizes, key=lambda x: s.cell("arr_per_head_usd", structure=st, process=pr, size=x[0]))[1]

    def change(st: str, pr: str) -> str:
        a = s.cell("arr_per_head_usd", structure=st, process=pr, size="seats_6")
        b = s.cell("arr_per_head_usd", structure=st, process=pr, size="seats_24")
        return f"{b / a - 1:+.0%}"

    k = "arr_per_head_usd"
    structure, process = s.effect(k, "structure", "specialists"), s.effect(k, "process", "with")
    big = s.effect(k, "size", "seats_24")
    return "\n".join([
        f"{s.how}:", "", table, "",
        f"- **ARR per head.** Structure explains {pct(s.share(k, 'structure'))} of the variation between cells, "
        f"the process layer {pct(s.share(k, 'process'))}, size {pct(s.share(k, 'size'))}, structure x size "
        f"{pct(s.share(k, 'structure x size'))} and structure x process {pct(s.share(k, 'structure x process'))}. "
        f"Specialists instead of stars: {ci_k(structure)} a head; the process layer (with its price, on both "
        f"structures): {ci_k(process)}; 24 seats instead of 6: {ci_k(big)}.",
        f"- **Where each stops scaling.** From 6 to 24 seats, ARR per head changes by {change('star', 'without')} "
        f"for the stars without the process layer and {change('star', 'with')} with it; "
        f"{change('specialists', 'without')} and {change('specialists', 'with')} for the specialists. ARR per "
        f"head peaks at {peak('star', 'without')} seats for the stars without the process and at "
        f"{peak('star', 'with')} with it; at {peak('specialists', 'without')} and {peak('specialists', 'with')} "
        f"seats for the specialists.",
    ])


def render_pod_split() -> str:
    s = Stored("pod_split")
    arr, cpa, cost = "arr_end_usd", "cost_per_arr_usd", "costs.total_usd"
    rows = []
    for team in ("with", "without"):
        for pol in ("never", "split", "grow"):
            for mat in (("late",) if pol == "never" else ("late", "early")):
                lv = dict(policy=pol, maturity=mat, customer_team=team)
                rows.append([team, pol, "-" if pol == "never" else mat, usd_m(s.cell(arr, **lv)),
                             f"{s.cell(cpa, **lv):.2f}", usd_m(s.cell(cost, **lv))])
    head = ["customer team", "policy", "maturity", "ARR at the end", "cost per $ of ARR", "total cost"]
    table = "\n".join(["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
                      + ["| " + " | ".join(r) + " |" for r in rows])
    split, grow = s.effect(arr, "policy", "split"), s.effect(arr, "policy", "grow")
    split_cost = s.effect(cost, "policy", "split")
    eq = s.paired(arr, "policy", "grow", "split")
    eq_cpa = s.paired(cpa, "policy", "grow", "split")
    team = s.effect(arr, "customer_team", "without")
    mat = s.effect(arr, "maturity", "early")
    verdict = ("splitting keeps more ARR than growing in place" if eq[1] > 0 else
               "growing in place keeps more ARR than splitting" if eq[2] < 0 else
               "splitting and growing in place are not told apart on ARR")
    return "\n".join([
        f"{s.how}:", "", table, "",
        f"- **Splitting against never**: ARR {ci_m(split)} for {ci_m(split_cost)} of cost (the new PODs' "
        f"hires). **Growing in place** (the same hires at the same trigger, no new POD): ARR {ci_m(grow)}.",
        f"- **At equal hires** (split minus grow, paired by replication, maturity and customer team, "
        f"n = {eq[3]}): ARR {ci_m(eq[:3])}, cost per $ of ARR {ci(eq_cpa[:3])}: {verdict} in this market.",
        f"- **Without a customer organization** ARR changes by {ci_m(team)}; the customer team explains "
        f"{pct(s.share(arr, 'customer_team'))} of the variation of ARR between cells, the policy "
        f"{pct(s.share(arr, 'policy'))}.",
        f"- **Maturity threshold** (6 vs 9 months): ARR {ci_m(mat)}"
        + (" (not resolved)." if not resolved(mat) else "."),
    ])


def _org_design_generalists() -> tuple[int, int]:
    """Generalists in the org_design factorial's star cells: at the same cost (the scenario's) and at
    the same headcount (the study's case), read from the files rather than typed."""
    import yaml

    from sim.scenario.loader import load_scenario

    study = ROOT / "scenarios" / "studies" / "org_design_factorial.yaml"
    spec = yaml.safe_load(study.read_text())
    star = spec["factors"]["structure"]["levels"]["star"]["scenario"]
    few = load_scenario(study.parent / star).roles["rep"].headcount
    cases = spec["factors"]["budget"]["levels"]["same_headcount"]["cases"]
    many = next(c["set"]["roles.rep.headcount"] for c in cases if c["when"] == {"structure": "star"})
    return int(few), int(many)


def render_org_design_factorial() -> str:
    s = Stored("org_design_factorial")
    arr, cpa, grr, wrs = "arr_end_usd", "cost_per_arr_usd", "grr_trailing_12m", "win_rate_stability"
    expo = "key_person_exposure.max_arr_usd"
    proc, struct = s.effect(arr, "process", "with"), s.effect(arr, "structure", "specialists")
    budget = s.effect(arr, "budget", "same_headcount")
    cell = {(st, pr): s.cell(arr, structure=st, process=pr, budget="same_cost")
            for st in ("star", "specialists") for pr in ("without", "with")}
    w_s, w_p = s.effect(wrs, "structure", "specialists"), s.effect(wrs, "process", "with")
    d_s = s.effect(wrs + "_detrended", "structure", "specialists")
    d_p = s.effect(wrs + "_detrended", "process", "with")
    lead = [pr for pr in ("without", "with") if cell[("star", pr)] > cell[("specialists", pr)]]
    few, many = _org_design_generalists()
    verdict = ("the stars end with more ARR than the specialists both without and with the process layer"
               if len(lead) == 2 else "the specialists end with more ARR both without and with the process layer"
               if not lead else f"the stars end with more ARR only {lead[0]} the process layer")
    return "\n".join([
        f"{s.how}:", "",
        f"- **ARR at the end.** The process layer explains {pct(s.share(arr, 'process'))} of the variation "
        f"between cells, structure {pct(s.share(arr, 'structure'))}, the budget rule "
        f"{pct(s.share(arr, 'budget'))}. Process {ci_m(proc)}; specialists instead of stars {ci_m(struct)}; "
        f"{many} generalists instead of {few} {usd_m(budget[0], True)}. Cell means at the same cost: stars "
        f"{usd_m(cell[('star', 'without')])} without the process, {usd_m(cell[('star', 'with')])} with it; "
        f"specialists {usd_m(cell[('specialists', 'without')])} without, {usd_m(cell[('specialists', 'with')])} "
        f"with. The main effect of structure averages over both budget rules, one of which is not at equal "
        f"cost (see what differs between the arms in `fairness.md`).",
        f"- **Cost per $ of ARR**: process {ci(s.effect(cpa, 'process', 'with'))}; specialists "
        f"{ci(s.effect(cpa, 'structure', 'specialists'))}.",
        f"- **Retention (GRR)**: specialists {ci(s.effect(grr, 'structure', 'specialists'))}; process "
        f"{ci(s.effect(grr, 'process', 'with'))}.",
        f"- **Win-rate stability** (lower is steadier). The standard deviation of the quarterly win rate: "
        f"structure {ci(w_s, '+.3f')}{nr(w_s)}, process {ci(w_p, '+.3f')}{nr(w_p)}. Around its trend (the "
        f"steadiness the source means; a rising win rate is not unsteady): structure {ci(d_s, '+.3f')}{nr(d_s)}, "
        f"process {ci(d_p, '+.3f')}{nr(d_p)}.",
        f"- **Key-person exposure**: specialists instead of stars {ci_m(s.effect(expo, 'structure', 'specialists'))}"
        " of the most ARR one leaver holds.",
        f"- **At the same cost**, {verdict}.",
    ])


def _managers(scenario) -> set[str]:
    """The roles of a scenario's managers (``work_model.managers``: first and second line)."""
    mg = scenario.work_model.managers if scenario.work_model is not None else None
    if mg is None:
        return set()
    return {mg.role} | ({mg.second_line.role} if mg.second_line is not None else set())


def _headcounts(study_file: str, **levels) -> dict[str, int]:
    """Seats of each structure in the cells of a study at ``levels`` (its reps: managers apart)."""
    from sim.experiments.study.study_file import load_study

    return {c.levels["structure"]: sum(r.headcount for n, r in c.scenario.roles.items()
                                       if n not in _managers(c.scenario))
            for c in load_study(ROOT / study_file).cells
            if all(c.levels.get(f) == lv for f, lv in levels.items())}


def _role_cost(study_file: str, role: str) -> list[tuple[str, int, float]]:
    """(cell label, seats, loaded cost a year of one seat) of ``role`` in each cell of a study."""
    from sim.experiments.study.study_file import load_study

    return [(c.label, c.scenario.roles[role].headcount, c.scenario.roles[role].loaded_cost_per_year_usd)
            for c in load_study(ROOT / study_file).cells]


def interaction(s: Stored, kpi: str, fa: str, la: str, fb: str, lb: str) -> tuple[float, float, float]:
    """The stored two-way interaction of ``fa=la`` and ``fb=lb`` on ``kpi``: how much the effect of
    one changes at the other level (estimate, 95% interval)."""
    e = s.table("effects")
    r = e[(e["kpi"] == kpi) & (e["kind"] == "interaction") & (e["factor"] == fa) & (e["level"] == la)
          & (e["factor_b"] == fb) & (e["level_b"] == lb)]
    if len(r) != 1:
        raise KeyError(f"{s.name}: no interaction of {fa}={la} and {fb}={lb} on {kpi}")
    r = r.iloc[0]
    return float(r["estimate"]), float(r["ci_low"]), float(r["ci_high"])


def star_departure_claim() -> str:
    """Claim 4 with what a leaver takes following their work (work_model.leavers on both structures)."""
    s = Stored("star_departure")
    b = {(st, pr, d): s.cell("bookings_usd", structure=st, process=pr, departure=d)
         for st in ("star", "specialists") for pr in ("without", "with") for d in ("none", "top_leaves")}

    def hit(st: str, pr: str) -> str:
        before, after = b[(st, pr, "none")], b[(st, pr, "top_leaves")]
        return f"{usd_m(after - before, True)} ({pct(after / before - 1)})"

    book = interaction(s, "bookings_usd", "structure", "specialists", "departure", "top_leaves")
    arr = interaction(s, "arr_end_usd", "structure", "specialists", "departure", "top_leaves")
    expo = s.effect("key_person_exposure.max_arr_usd", "structure", "specialists")
    return (f"- **4. A star leaving, with what a leaver takes following their work** ({s.how}; "
            f"`work_model.leavers` on both structures, 10% a task): the top rep leaving at week 52 changes "
            f"bookings by {hit('star', 'without')} for the stars without the process layer and "
            f"{hit('star', 'with')} with it; for the specialists by {hit('specialists', 'without')} and "
            f"{hit('specialists', 'with')}. The departure's effect under specialists minus under stars: bookings "
            f"{ci_m(book)}{nr(book)}, ARR {ci_m(arr)}{nr(arr)}. A leaving generalist holds "
            f"{usd_m(-expo[0])} more ARR than any specialist [{usd_m(-expo[2])}, {usd_m(-expo[1])}].")


def render_claims() -> str:
    stl, org, pods = Stored("speed_to_lead"), Stored("org_design_factorial"), Stored("pod_split")
    comp, four = Stored("compound_effect"), Stored("four_points")
    c0, c1 = (comp.cell("leads_won", every_step=lv) for lv in ("as_is", "ten_percent_better"))
    f0, f1 = (four.cell("leads_won", company=lv) for lv in ("industry_average", "four_points_better"))
    mql = stl.effect("stages.mql.conversion", "response", "within_the_hour")
    wins = stl.effect("leads_won", "response", "within_the_hour")
    book = stl.effect("bookings_usd", "response", "within_the_hour")
    cost = stl.effect("costs.total_usd", "response", "within_the_hour")
    (_, n0, m0), (_, n1, m1) = _role_cost(stl.record["study"], "mdr")
    dip = {(st, pr): org.cell("top_departure.dip", structure=st, process=pr, budget="same_cost")
           for st in ("star", "specialists") for pr in ("without", "with")}
    dip_s = org.effect("top_departure.dip", "structure", "specialists")
    expo = org.effect("key_person_exposure.max_arr_usd", "structure", "specialists")
    wrs, wrd = "win_rate_stability", "win_rate_stability_detrended"
    split, grow = pods.effect("arr_end_usd", "policy", "split"), pods.effect("arr_end_usd", "policy", "grow")
    eq = pods.paired("arr_end_usd", "policy", "grow", "split")
    team = pods.effect("arr_end_usd", "customer_team", "without")
    grr = {t: pods.cell("grr_trailing_12m", policy="never", maturity="late", customer_team=t)
           for t in ("with", "without")}
    return "\n".join([
        f"- **1. Every step 10% better** ({comp.how}): wins x{c1 / c0:.2f} ({c0:.0f} -> {c1:.0f} a year; "
        f"ratio of cell means), against 1.1^7 = {1.1 ** 7:.3f}.",
        f"- **2. Four points better at three stages** ({four.how}): wins x{f1 / f0:.2f} ({f0:.0f} -> {f1:.0f}), "
        f"against 0.34 x 0.24 x 0.14 / (0.30 x 0.20 x 0.10) = {0.34 * 0.24 * 0.14 / (0.30 * 0.20 * 0.10):.2f}.",
        f"- **3. Speed to lead** ({stl.how}): answering within the hour at any hour moves "
        f"{ci(mql, '+.3f')} more of the leads that leave MQL on to SQL{nr(mql)}; wins {ci(wins, '+.1f')}{nr(wins)}, "
        f"bookings {ci_m(book)}{nr(book)}. Its real cost: evening and weekend cover is {n1} MDR positions at "
        f"${m1:,.0f} a year each (the people behind a 7 x 16 h rota) against {n0} office-hours MDR at "
        f"${m0:,.0f}, {n1 * m1 / m0:.0f} MDRs' loaded cost instead of {n0}; total cost over the horizon "
        f"{ci_m(cost)}.",
        f"- **4. A star leaving** ({org.how}): a leaving generalist holds {usd_m(-expo[0])} more ARR than any "
        f"specialist [{usd_m(-expo[2])}, {usd_m(-expo[1])}]; the bookings dip in the quarter after the top rep "
        f"leaves, at the same cost: stars {pct(dip[('star', 'without')])} without the process, "
        f"{pct(dip[('star', 'with')])} with it; specialists {pct(dip[('specialists', 'without')])} and "
        f"{pct(dip[('specialists', 'with')])} (structure effect {ci(dip_s)}{nr(dip_s)}).",
        f"- **5. A steadier win rate** (org_design_factorial): specialists instead of stars change the standard "
        f"deviation of the quarterly win rate by {ci(org.effect(wrs, 'structure', 'specialists'), '+.3f')} "
        "and its spread around "
        f"the trend (what the source means) by {ci(org.effect(wrd, 'structure', 'specialists'), '+.3f')}; the "
        f"process layer by {ci(org.effect(wrs, 'process', 'with'), '+.3f')} and "
        f"{ci(org.effect(wrd, 'process', 'with'), '+.3f')} (positive: less steady).",
        f"- **9. POD fission** ({pods.how}): splitting against never ARR {ci_m(split)}; growing in place at the "
        f"same trigger and hires {ci_m(grow)}; split minus grow at equal hires {ci_m(eq[:3])}.",
        f"- **10. PODs without customer success**: ARR {ci_m(team)} without a customer organization; GRR "
        f"{grr['with']:.2f} -> {grr['without']:.2f} (never splitting).",
        star_departure_claim(),
    ])


def _claim_six() -> tuple[float, float, float]:
    """Revenue recognized in years 1 and 2 of a one-year contract signed at the start of Q4, and in
    year 1 of a three-year contract signed on day 1, as shares of the contract's value (the revenue
    code's own integral over an account log of one contract)."""
    from types import SimpleNamespace

    import numpy as np

    from sim.metrics.revenue import YEAR_DAYS, revenue_through

    def log(start: float, years: int):
        acc = {"t": np.array([start, start + years * YEAR_DAYS]), "arr_delta": np.array([1.0, -1.0])}
        return SimpleNamespace(layout=SimpleNamespace(horizon_days=start + years * YEAR_DAYS + YEAR_DAYS),
                               accounts=acc)

    y1, y2 = revenue_through(log(0.75 * YEAR_DAYS, 1), np.array([YEAR_DAYS, 2 * YEAR_DAYS]))
    t1 = revenue_through(log(0.0, 3), np.array([YEAR_DAYS]))[0] / 3  # of a three-year contract's value
    return float(y1), float(y2 - y1), float(t1)


@functools.lru_cache(maxsize=1)
def _three_tier_cost_of_sale(seed: int = 3) -> list[tuple[str, float, float]]:
    """(segment, average deal, cost / ACV) of three_tier at ``seed``, cheapest deals first (one run)."""
    import sim

    k = sim.simulate(sim.load_scenario(ROOT / "scenarios" / "three_tier.yaml"), seed=seed, record="kpis").kpis
    rows = [(seg, v["average_deal_usd"], v["cost_to_acv_ratio"]) for seg, v in k["cost_of_sale_by_segment"].items()]
    return sorted(rows, key=lambda r: r[1])


def render_claims_computed() -> str:
    """Claims 6-8: ratable recognition and compound growth computed by the code, cost of sale by tier
    measured on a run of three_tier (seed 3, its horizon)."""
    from fractions import Fraction

    y1, y2, t1 = _claim_six()

    def frac(x: float) -> str:
        f = Fraction(x).limit_denominator(100)
        return f"{f.numerator}/{f.denominator}" if abs(float(f) - x) < 1e-9 else f"{x:.4f}"

    steady, boom = 1.55 ** 5, 3 * 2
    catch_up = (steady / boom) ** (1 / 3) - 1
    tiers = _three_tier_cost_of_sale()
    ratios = [r for _, _, r in tiers]
    falls = all(b < a for a, b in zip(ratios, ratios[1:], strict=False))
    return "\n".join([
        "Computed by the code (`sim.metrics.revenue.revenue_through`, the compounding arithmetic) and measured "
        "on `salesim run scenarios/three_tier.yaml --seed 3`:", "",
        f"- **6. Recognition in the signing year**: a one-year contract signed at the start of Q4 recognizes "
        f"{frac(y1)} of its value in year 1 and {frac(y2)} in year 2; a three-year contract signed on day 1 "
        f"recognizes {frac(t1)} of its value a year.",
        f"- **7. Steady growth**: 55% a year for five years multiplies ARR by {steady:.1f}; 200% then 100% by "
        f"{boom:g} after two years, which must then grow {catch_up:.0%} a year for three more years to catch up.",
        "- **8. Cost of sale by tier** (cheapest deals first): "
        + "; ".join(f"{seg} {usd_k(deal)} average deal, cost / ACV {r:.2f}" for seg, deal, r in tiers)
        + (f": each motion costs {'less' if max(ratios) < 1 else 'more'} than its ACV"
           if max(ratios) < 1 or min(ratios) > 1 else ": some motions cost more than their ACV")
        + (", and cost / ACV falls with ACV." if falls
           else "; cost / ACV does **not** fall with ACV in this scenario."),
    ])


def _years(s: Stored) -> str:
    weeks = s.record.get("weeks") or (s.record.get("horizon_weeks") or [None])[0]
    return f"{weeks / 52:g} years" if weeks else "the study's horizon"


def _paired_within(s: Stored, kpi: str, factor: str, a: str, b: str, **fixed) -> tuple[float, float, float, int]:
    """Mean and 95% t-interval of b - a on ``kpi`` among the cells at ``fixed`` levels, paired by
    replication and every other factor."""
    from scipy import stats

    r = s.table("replications")
    for f, lv in fixed.items():
        r = r[r[f] == lv]
    key = [*(f for f in s.record["factors"] if f != factor and f not in fixed), "rep"]
    d = (r[r[factor] == b].set_index(key)[kpi] - r[r[factor] == a].set_index(key)[kpi]).dropna()
    n, m = len(d), float(d.mean())
    h = float(stats.t.ppf(0.975, n - 1) * d.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan
    return m, m - h, m + h, n


ROLE_WORDS = {"rep": "generalists"}  # a decision variable's role as the figures name it
LEVEL_WORDS = {"star": "stars"}  # a design factor's level as the subject of a sentence


def _who(level: str) -> str:
    return "the " + LEVEL_WORDS.get(level, level)


def _levels(label: str) -> dict[str, str]:
    """A cell label (``structure=star, budget=b2_4m``) as its levels."""
    return dict(kv.split("=", 1) for kv in label.split(", "))


def _seats(row, columns) -> str:
    """An optimum's layout: its seats per role (``7 generalists``; ``2 SDR, 4 AE, 1 CSM``)."""
    parts = []
    for c in columns:
        v = row[c]
        if c.startswith("seats:") and v == v:
            path = c.split(":", 1)[1]
            role = path.split(".")[1] if path.startswith("roles.") and path.endswith(".headcount") else path
            parts.append(f"{v:g} {ROLE_WORDS.get(role, role.upper())}")
    return ", ".join(parts) or "as written"


def _box_words(box: str) -> str:
    """A stored flip box (``a <= 0.2 and b > 30``) in words: each assumption at most or above its threshold."""
    if box == "every world":
        return "in every world"
    words = {"<=": "at most", ">": "above"}
    out = []
    for rule in box.split(" and "):
        name, op, value = rule.rsplit(" ", 2)
        out.append(f"`{name}` {words[op]} {value}")
    return " and ".join(out)


class Robust:
    """A stored robust study read for its figures: per group of cells (each budget), the two designs'
    optima, the verdict over the worlds, the sensitivities and the flip boxes."""

    def __init__(self, name: str):
        self.s = Stored(name)
        r = self.s.record
        if r.get("kind") != "robust":
            raise SystemExit(f"figures: {name} is not a stored robust study")
        self.designs = self.s.table("designs").set_index("design")
        self.verdicts = self.s.table("verdicts")
        self.flips = self.s.table("flips")
        self.sens = self.s.table("sensitivity")
        self.group_cols = list(self.verdicts.columns[:list(self.verdicts.columns).index("a")])
        self.factor = next(f for f in r["factors"] if f not in self.group_cols)

    def label(self, design: str, group: dict) -> str:
        levels = {self.factor: design, **group}
        return ", ".join(f"{f}={levels[f]}" for f in self.s.record["factors"])

    def groups(self):
        """(group levels, verdict row, optimum row of a, optimum row of b, budget a year) per verdict."""
        for _, v in self.verdicts.iterrows():
            g = {c: str(v[c]) for c in self.group_cols}
            la, lb = self.label(v["a"], g), self.label(v["b"], g)
            yield g, v, self.designs.loc[la], self.designs.loc[lb], self.s.record["budgets"][lb]

    def boxes(self, g: dict, b: str):
        f = self.flips
        for c, lv in g.items():
            f = f[f[c].astype(str) == lv]
        return f[f["b"] == b]

    def ranked(self, g: dict, b: str):
        x = self.sens
        for c, lv in g.items():
            x = x[x[c].astype(str) == lv]
        return x[x["b"] == b].dropna(subset=["s1"]).sort_values("s1", ascending=False)

    @property
    def how(self) -> str:
        r = self.s.record
        return (f"`{r['command']}` ({r['designs']} designs optimised, then evaluated in {r['worlds']} worlds x "
                f"{r['reps']} replications, root seed {r['seed']}; {r['simulations']:,} simulations in "
                f"{r['wall_s'] / 60:.0f} min of wall time on {r['workers']} worker{'s' if r['workers'] != 1 else ''}; "
                f"run at commit "
                f"{r['commit'][:7]})")

    def flip_text(self, g: dict, a: str, b: str) -> str:
        boxes = self.boxes(g, b)
        if len({bool(x) for x in boxes["b_wins"]}) <= 1:
            return "no assumption flips it"
        parts = [f"{_who(b if bool(x['b_wins']) else a)} win when {_box_words(x['box'])} ({x['worlds']} worlds, "
                 f"{_who(b)} ahead in {x['share_b_wins']:.0%} of them)" for _, x in boxes.iterrows()]
        return "; ".join(parts)


def _odds(v) -> str:
    return f"{v['p_b_beats_a']:.0%} [{v['ci_low']:.0%}, {v['ci_high']:.0%}]"


def _verdict(v) -> str:
    if v["ci_low"] > 0.5:
        return f"{_who(v['b'])} end with more ARR in most plausible worlds"
    if v["ci_high"] < 0.5:
        return f"{_who(v['a'])} end with more ARR in most plausible worlds"
    return "the worlds do not settle which ends with more ARR"


def render_headline_structure() -> str:
    """The README's first question: the best star team against the best specialist team at the same
    budget, across plausible worlds (org_design), and what the shipped layouts compared as they are
    (org_design_factorial) say next to it."""
    rb, fac = Robust("org_design"), Stored("org_design_factorial")
    r = rb.s.record
    rows, verdicts, flips = [], [], []
    cols = list(rb.designs.columns)
    for g, v, a, b, budget in rb.groups():
        rows.append(f"| {usd_m(budget)} | {_seats(a, cols)} ({usd_m(a['cost_per_year'])}) | {_seats(b, cols)} "
                    f"({usd_m(b['cost_per_year'])}) | {_odds(v)} | {usd_m(v['margin_mean'], True)} |")
        verdicts.append(_verdict(v))
        flips.append(f"at {usd_m(budget)}, {rb.flip_text(g, v['a'], v['b'])}")
    same = set(verdicts)
    summary = (verdicts[0] + " at every budget" if len(same) == 1 else
               "; ".join(f"at {usd_m(bud)} {vd}"
                         for (_, _, _, _, bud), vd in zip(rb.groups(), verdicts, strict=True)))
    shipped = _paired_within(fac, "arr_end_usd", "structure", "star", "specialists", budget="same_cost")
    heads = _headcounts(fac.record["study"], budget="same_cost", process="without")
    names = ", ".join(f"`{k}` {a['low']:g}-{a['high']:g}" for k, a in r["assumptions"].items())
    return "\n".join([
        f"{rb.how}:", "",
        f"**Answer:** each structure at its best for the same budget (its seats chosen by the planner's search "
        f"for the most ARR at the end of {r['horizon_weeks'] * 7 / 365.25:.0f} years, its cost a year within "
        f"the budget), then both run in {r['worlds']} plausible worlds: {summary}.", "",
        "| budget a year | best star team (cost a year) | best specialist team (cost a year) | "
        "P(specialists end with more ARR) | mean margin |", "|---|---|---|---|---|", *rows, "",
        f"P is over the worlds, with its 95% Wilson interval. What flips it: {'; '.join(flips)}. The worlds vary "
        f"{names}. The shipped layouts compared as they are (`org_design_factorial.yaml`: {heads['star']} generalists "
        f"against {heads['specialists']} specialists at the same cost) give specialists instead of stars "
        f"{ci_m(shipped[:3])} of ARR "
        f"(paired, n = {shipped[3]}): that gap is the hand-picked specialist layout's, not the structure's.",
    ])


def render_org_design(name: str = "org_design") -> str:
    """scenarios/studies/README.md: every optimum with its flatness, each verdict with its sensitivities
    and flip conditions (org_design, a robust study)."""
    from sim.experiments.study.robust_findings import money

    rb = Robust(name)
    r = rb.s.record
    cols = list(rb.designs.columns)
    flat = rb.s.table("flatness")
    per_world = rb.s.table("worlds")
    out = [f"{rb.how}:", "",
           f"| budget a year | {rb.factor} | best layout | ARR at the end (nominal world) | cost a year | best "
           "affordable one-seat move | ARR across the worlds (mean) |", "|---|---|---|---|---|---|---|"]
    lines = []
    for g, v, a, b, budget in rb.groups():
        for lv, row in ((v["a"], a), (v["b"], b)):
            label = rb.label(lv, g)
            f = flat[(flat["design"] == label) & flat["within_budget"].astype(bool)]
            change = float(f.iloc[0]["change"]) if len(f) else 0.0
            move = (f"{f.iloc[0]['move']}: {'+' if change >= 0 else ''}{money(change)}" if len(f)
                    else "none within budget")
            out.append(f"| {usd_m(budget)} | {lv} | {_seats(row, cols)} | {usd_m(row['objective'])} | "
                       f"{usd_m(row['cost_per_year'])} | {move} | {usd_m(per_world[f'objective:{label}'].mean())} |")
        top = rb.ranked(g, v["b"]).head(3)
        sens = "; ".join(f"`{x['assumption']}` {x['s1']:.2f}" for _, x in top.iterrows()) or "not estimated"
        acc = (f" (a depth-2 tree classifies {v['flip_accuracy']:.0%} of the worlds)"
               if "flip_accuracy" in v and v["flip_accuracy"] == v["flip_accuracy"] else "")
        lines.append(f"- **At {usd_m(budget)} a year**: P({_who(v['b'])} end with more ARR than {_who(v['a'])}) = "
                     f"{_odds(v)} over {v['worlds']} worlds, mean margin {usd_m(v['margin_mean'], True)}: "
                     f"{_verdict(v)}. Most "
                     f"sensitive to (first-order index, RBD-FAST): {sens}. What flips it{acc}: "
                     f"{rb.flip_text(g, v['a'], v['b'])}.")
    ranges = "; ".join(f"`{k}` {a['low']:g}-{a['high']:g}" + (f" ({a['source']})" if a["source"] else "")
                       for k, a in r["assumptions"].items())
    return "\n".join([*out, "", *lines,
                      f"- **Worlds** ({r['sampler']}, {r['worlds']} of them): {ranges}."])


def render_claims_structure() -> str:
    """The claims catalogue's structure verdict: each organization at its best, across worlds."""
    rb = Robust("org_design")
    lines = [f"{rb.how}:", ""]
    for g, v, a, b, budget in rb.groups():
        cols = list(rb.designs.columns)
        lines.append(f"- **At {usd_m(budget)} a year** ({_seats(a, cols)} against {_seats(b, cols)}): "
                     f"P(specialists end with more ARR) = {_odds(v)} over {v['worlds']} worlds, mean margin "
                     f"{usd_m(v['margin_mean'], True)}: {_verdict(v)}; {rb.flip_text(g, v['a'], v['b'])}.")
    return "\n".join(lines)


def render_headline_pods() -> str:
    """The README's second question in a few sentences: split a mature POD or not (pod_split)."""
    s = Stored("pod_split")
    arr, cost = "arr_end_usd", "costs.total_usd"
    split, split_cost = s.effect(arr, "policy", "split"), s.effect(cost, "policy", "split")
    eq = s.paired(arr, "policy", "grow", "split")
    team = s.effect(arr, "customer_team", "without")
    verdict = ("splitting keeps more ARR than growing in place" if eq[1] > 0 else
               "growing in place keeps more ARR than splitting" if eq[2] < 0 else
               "splitting and growing in place are not told apart")
    return (f"{s.how}:\n\n**Answer:** splitting a mature POD changes ARR at the end by {ci_m(split)} (95% interval) "
            f"against never splitting, for {ci_m(split_cost)} of cost (the new PODs' hires); at equal hires "
            "(split minus "
            f"growing the same POD, paired, n = {eq[3]}) ARR changes by {ci_m(eq[:3])}: {verdict}. Without a "
            f"customer team (the AEs onboard and keep their own accounts) ARR changes by {ci_m(team)}. "
            f"Conditions: the two-POD outbound company of `pods_no_split.yaml`, {s.record['reps']} replications "
            f"a cell over {_years(s)}.")


RENDERERS: dict[str, Callable[[], str]] = {
    "team_size": render_team_size,
    "pod_split": render_pod_split,
    "org_design": render_org_design,
    "org_design_factorial": render_org_design_factorial,
    "claims_structure": render_claims_structure,
    "claims_computed": render_claims_computed,
    "headline_structure": render_headline_structure,
    "headline_pods": render_headline_pods,
    "claims": render_claims,
}


# --------------------------------------------------------------------------- blocks


def _renderers() -> dict[str, Callable[[], str]]:
    return {name: (lambda f=f: f().rstrip()) for name, f in RENDERERS.items()}


def render_text(text: str, where: str = "") -> str:
    """``text`` with every marker block this script owns rendered afresh."""
    try:
        return markers.render(text, _renderers(), where, others=EXTERNAL)
    except markers.MarkerError as e:
        raise SystemExit(f"figures: {e}") from None


def differing_blocks(text: str, where: str = "") -> list[str]:
    """The names of the blocks of ``text`` that differ from what they render to."""
    try:
        return markers.differing(text, _renderers(), where)
    except markers.MarkerError as e:
        raise SystemExit(f"figures: {e}") from None


def check() -> list[str]:
    problems = []
    for path in documents():
        text = path.read_text()
        problems += [f"{path.relative_to(ROOT)}: block {b!r} differs from its stored output (edited by hand, or "
                     f"not rendered: python scripts/figures.py render)" for b in differing_blocks(text, str(path))]
    for name in sorted(p.name for p in RESULTS.iterdir() if (p / "stored.json").is_file()) if RESULTS.is_dir() else []:
        problems += stale(name)
    return problems


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    st = sub.add_parser("store", help="run a study (or take a finished output folder) and store its outputs")
    st.add_argument("name", choices=sorted(STUDIES))
    st.add_argument("--from", dest="folder", type=Path, help="a finished `salesim study --out` folder")
    st.add_argument("--workers", type=int, default=2)
    st.add_argument("--commit", help="the commit a --from folder was run at (default: the current one)")
    st.add_argument("--time-log", type=Path, help="a robust study's --from folder: the JSON benchmarks/tree_time.py "
                    "--json wrote for its run (its CPU time is stored with it)")
    sub.add_parser("render", help="rewrite every marker block from the stored outputs")
    sub.add_parser("check", help="exit 1 naming each block that differs and each stale stored output")
    args = ap.parse_args(argv)
    if args.cmd == "store":
        if args.time_log is not None:
            if not is_robust(STUDIES[args.name][0]) or args.folder is None:
                raise SystemExit("figures: --time-log goes with a robust study's --from folder")
            store_robust(args.name, args.folder, args.workers, args.commit, args.time_log)
            return 0
        store(args.name, args.folder, args.workers, args.commit)
        return 0
    if args.cmd == "render":
        for path in documents():
            old = path.read_text()
            new = render_text(old, str(path))
            if new != old:
                path.write_text(new)
                print(f"rendered {path.relative_to(ROOT)}")
        return 0
    problems = check()
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
