"""Figures that cannot go stale: every number quoted between marker comments
``<!-- NAME:begin -->`` and ``<!-- NAME:end -->`` in the README, the studies'
READMEs and docs/*.md is rendered here from stored study outputs, never typed.

Stored outputs live in ``scenarios/studies/results/NAME/``: the study's
``cells.csv``, ``effects.csv``, ``variance.csv``, a ``replications.csv`` of its
KPIs per cell and replication, and ``stored.json`` (the study file, its
replications, root seed and horizon, each cell's resolved-scenario hash, the
commit it was run at and the command that reproduces it). Run from the
repository root::

    python scripts/figures.py store NAME [--from FOLDER]  # run the study (or take a finished folder) and store it
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
RESULTS = ROOT / "scenarios" / "studies" / "results"
BLOCK = re.compile(r"<!-- ([a-z0-9_]+):begin -->\n(.*?)<!-- \1:end -->", re.S)
EXTERNAL = {"pod_growth": "scenarios/studies/pod_growth.py",  # blocks another script renders (and tests)
            "process_levers": "scripts/process_levers.py",
            "crm_acceptance": "scripts/crm_acceptance.py", "crm_headline": "scripts/crm_acceptance.py",
            "planner_example": "benchmarks/results.py", "planner_answer": "benchmarks/results.py"}

# name -> (study file, replications, horizon weeks or None for the file's): what `store NAME` runs
STUDIES: dict[str, tuple[str, int | None, float | None]] = {
    "team_size": ("scenarios/studies/team_size.yaml", None, None),
    "pod_split": ("scenarios/studies/pod_split.yaml", None, None),
    "org_design": ("scenarios/studies/org_design.yaml", None, None),
    "speed_to_lead": ("scenarios/studies/claims/speed_to_lead.yaml", None, None),
    "compound_effect": ("scenarios/studies/claims/compound_effect.yaml", None, None),
    "four_points": ("scenarios/studies/claims/four_points.yaml", None, None),
    "star_departure": ("scenarios/studies/claims/star_departure.yaml", None, None),
    # small: rerun by the default tests; 8 weeks, as in office hours some cell of a 6-week run has no ARR yet
    # (an infinite cost per ARR the study analysis cannot take)
    "team_size_quick": ("scenarios/studies/team_size.yaml", 2, 8.0),
}


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
    """The cells of a stored output whose scenario is no longer what it was run on."""
    s = Stored(name)
    now = figure_hashes(s.record["study"])
    then = s.record.get("cell_figure_hashes", s.record["cell_hashes"])
    out = [f"{name}: cell {c} changed since it was stored" for c in then if now.get(c) != then[c]]
    out += [f"{name}: cell {c} is new since it was stored" for c in now if c not in then]
    return out


def store(name: str, folder: Path | None = None, workers: int = 2, commit: str | None = None) -> None:
    """Run the study ``name`` (or take its finished output ``folder``) and store its tables and record."""
    import pandas as pd

    study_file, reps, weeks = STUDIES[name]
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
    print(f"stored {name} in {out.relative_to(ROOT)}")


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


def render_org_design() -> str:
    s = Stored("org_design")
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
    verdict = ("the stars end with more ARR than the specialists both without and with the process layer"
               if len(lead) == 2 else "the specialists end with more ARR both without and with the process layer"
               if not lead else f"the stars end with more ARR only {lead[0]} the process layer")
    return "\n".join([
        f"{s.how}:", "",
        f"- **ARR at the end.** The process layer explains {pct(s.share(arr, 'process'))} of the variation "
        f"between cells, structure {pct(s.share(arr, 'structure'))}, the budget rule "
        f"{pct(s.share(arr, 'budget'))}. Process {ci_m(proc)}; specialists instead of stars {ci_m(struct)}; "
        f"eight generalists instead of six {usd_m(budget[0], True)}. Cell means at the same cost: stars "
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
    stl, org, pods = Stored("speed_to_lead"), Stored("org_design"), Stored("pod_split")
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
        f"- **5. A steadier win rate** (org_design): specialists instead of stars change the standard deviation of "
        f"the quarterly win rate by {ci(org.effect(wrs, 'structure', 'specialists'), '+.3f')} and its spread around "
        f"the trend (what the source means) by {ci(org.effect(wrd, 'structure', 'specialists'), '+.3f')}; the "
        f"process layer by {ci(org.effect(wrs, 'process', 'with'), '+.3f')} and "
        f"{ci(org.effect(wrd, 'process', 'with'), '+.3f')} (positive: less steady).",
        f"- **9. POD fission** ({pods.how}): splitting against never ARR {ci_m(split)}; growing in place at the "
        f"same trigger and hires {ci_m(grow)}; split minus grow at equal hires {ci_m(eq[:3])}.",
        f"- **10. PODs without customer success**: ARR {ci_m(team)} without a customer organization; GRR "
        f"{grr['with']:.2f} -> {grr['without']:.2f} (never splitting).",
        star_departure_claim(),
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


def render_headline_structure() -> str:
    """The README's first question in a few sentences: star generalists or specialists (org_design)."""
    s = Stored("org_design")
    arr = "arr_end_usd"
    same = _paired_within(s, arr, "structure", "star", "specialists", budget="same_cost")
    proc = s.effect(arr, "process", "with")
    cell = {(st, pr): s.cell(arr, structure=st, process=pr, budget="same_cost")
            for st in ("star", "specialists") for pr in ("without", "with")}
    verdict = ("the specialists end with more ARR" if same[1] > 0 else "the star generalists end with more ARR"
               if same[2] < 0 else "the two structures are not told apart on ARR")
    return (f"{s.how}:\n\n**Answer:** at the same cost, specialists instead of star generalists change ARR at the end by "
            f"{ci_m(same[:3])} (95% interval, paired, n = {same[3]}): {verdict}. The process layer (playbooks, "
            f"tools, enablement, a data loop, with its price) changes it by {ci_m(proc)} on both structures. "
            f"Cell means: stars {usd_m(cell[('star', 'without')])} without the process layer and "
            f"{usd_m(cell[('star', 'with')])} with it; specialists {usd_m(cell[('specialists', 'without')])} and "
            f"{usd_m(cell[('specialists', 'with')])}. Conditions: the same market (inbound and a list of cold "
            f"accounts), the same talent pool and attrition, the top seller leaving after a year, "
            f"{s.record['reps']} replications a cell over {_years(s)}.")


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
    return (f"{s.how}:\n\n**Answer:** splitting a mature POD changes ARR at the end by {ci_m(split)} (95% interval) against "
            f"never splitting, for {ci_m(split_cost)} of cost (the new PODs' hires); at equal hires (split minus "
            f"growing the same POD, paired, n = {eq[3]}) ARR changes by {ci_m(eq[:3])}: {verdict}. Without a "
            f"customer team (the AEs onboard and keep their own accounts) ARR changes by {ci_m(team)}. "
            f"Conditions: the two-POD outbound company of `pods_no_split.yaml`, {s.record['reps']} replications "
            f"a cell over {_years(s)}.")


RENDERERS: dict[str, Callable[[], str]] = {
    "team_size": render_team_size,
    "pod_split": render_pod_split,
    "org_design": render_org_design,
    "headline_structure": render_headline_structure,
    "headline_pods": render_headline_pods,
    "claims": render_claims,
}


# --------------------------------------------------------------------------- blocks


def render_text(text: str, where: str = "") -> str:
    """``text`` with every marker block this script owns rendered afresh."""
    def sub(m: re.Match) -> str:
        name = m.group(1)
        if name in EXTERNAL:
            return m.group(0)
        if name not in RENDERERS:
            raise SystemExit(f"figures: {where}: block {name!r} has no renderer (known: "
                             f"{', '.join(sorted(RENDERERS))}; written by other scripts: {', '.join(EXTERNAL)})")
        return f"<!-- {name}:begin -->\n{RENDERERS[name]().rstrip()}\n<!-- {name}:end -->"

    return BLOCK.sub(sub, text)


def differing_blocks(text: str, where: str = "") -> list[str]:
    """The names of the blocks of ``text`` that differ from what they render to."""
    new = dict((m.group(1), m.group(2)) for m in BLOCK.finditer(render_text(text, where)))
    return [m.group(1) for m in BLOCK.finditer(text) if new.get(m.group(1)) != m.group(2)]


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
    sub.add_parser("render", help="rewrite every marker block from the stored outputs")
    sub.add_parser("check", help="exit 1 naming each block that differs and each stale stored output")
    args = ap.parse_args(argv)
    if args.cmd == "store":
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
