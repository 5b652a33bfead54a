"""Benchmark figures that cannot go stale: stored measurements, rendered into the docs.

Two stored outputs in ``benchmarks/results/``:

* ``engine.json``: what ``bench_engine.py --json`` measured (the engine's bars,
  the mechanism cases, the cost of the documented alternative to
  ``TaskDone.end_at``);
* ``planner_example.json``: the user guide's capacity-planning example, run by
  ``store-planner`` (its command, what it printed, its wall time on the
  machine's cores and the load average when it started).

A third measurement is read where it is stored: the robust org_design study's run
(``scenarios/studies/results/org_design/stored.json``, stored by ``scripts/figures.py store
org_design``: its simulation count, wall time, CPU time of the command and its workers, and
each design's search in ``designs.csv``), rendered as ``robust_study`` in benchmarks/README.md
against the 30-minute target on two cores.

``render`` rewrites the marker blocks ``<!-- NAME:begin -->`` / ``<!-- NAME:end -->``
(``engine_results`` in benchmarks/README.md, ``end_at_cost`` in ARCHITECTURE.md,
``planner_example`` in docs/guide/planning.md) from them; ``check`` exits 1 naming each block
that differs (``tests/test_benchmark_results.py`` fails on a hand edit).

Run::

    python benchmarks/bench_engine.py --leads 100000 --repeat 3 --no-memory --cpu-time \\
        --json benchmarks/results/engine.json
    python benchmarks/results.py store-planner     # runs the README example on all cores (minutes)
    python benchmarks/results.py render
    python benchmarks/results.py check
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sim import markers

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"

# the README's worked example of `salesim plan` (the output folder is a temporary one): a leader's
# question about the small team as it stands (6 AEs, 2 SDRs): the cheapest team that books $3M of new
# ARR in the scenario's year with probability 80%, AEs 2-6 x SDRs 1-4
PLANNER_ARGS = ["scenarios/small_team.yaml", "--vary", "roles.ae.headcount=2:6:1", "--vary",
                "roles.sdr.headcount=1:4:1", "--target", "arr_new_usd>=3e6", "--max-reps", "32", "--recheck", "32"]
PLANNER_OUT = "runs/plan"
PLANNER_BAR_S = 45.0
ROBUST = ROOT / "scenarios" / "studies" / "results" / "org_design"
ROBUST_BAR_MIN = 30.0  # the robust org_design on two cores (issue 25)


def _load(name: str) -> dict:
    return json.loads((RESULTS / name).read_text())


# --------------------------------------------------------------------------- renderers


def _verdict(value: float, bar: float) -> str:
    return "met" if value <= bar else "**not met**"


def render_engine_results() -> str:
    e = _load("engine.json")
    f = e["funnel"]
    rows = [("plain funnel, event log: time x bare SimPy", f"{f['events_x_bare']:.2f}x", f"<= {f['target']:g}x",
             _verdict(f["events_x_bare"], f["target"])),
            ("plain funnel, KPI mode: time x bare SimPy", f"{f['kpis_x_bare']:.2f}x", f"<= {f['target']:g}x",
             _verdict(f["kpis_x_bare"], f["target"]))]
    for label, c in e["cases"].items():
        t = c.get("target")
        if t is None:
            continue
        what = "cost per lead x the bare run's" if t["kind"] == "per_lead" else "one replication x the bare run"
        lo, hi = t["ratios"][0], t["ratios"][-1]
        rows.append((f"`{label}`: {what}", f"{t['median_ratio']:.2f}x ({lo:.2f}-{hi:.2f}x)", f"<= {t['bar']:g}x",
                     _verdict(t["median_ratio"], t["bar"])))
    rows.append(("`import sim` (median, fresh interpreter)", f"{e['import_s']:.3f} s", f"< {e['import_target_s']:g} s",
                 "met" if e["import_s"] < e["import_target_s"] else "**not met**"))
    load = e.get("load_average")
    where = (f"{e['cores']} cores, load average {load[0]:.1f} at the start and {load[-1]:.1f} at the end"
             if load else "load average not recorded")
    out = [f"`{e['command']}` on {e['date']} (python {e['python']}, simpy {e['simpy']}, salesim {e['salesim']}; "
           f"{where}; {e['clock']} time, best of {e['repeat']}; a case's ratio is the median, range in brackets, "
           f"of its runs each paired with a bare {e['reference_leads']:,}-lead run just before it). Ratios "
           f"measured on a loaded machine differ from an idle one's: the runs share caches and cores with "
           f"other work.", "",
           "| bar | measured | target | |", "|---|---|---|---|"]
    out += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    out += ["", "| case | leads | events per lead | tasks per lead | cost per lead x bare |", "|---|---|---|---|---|"]
    out += [f"| {label} | {c['leads']:,} | {c['events_per_lead']:.1f} | {c['tasks_per_lead']:.2f} | "
            f"{c['x_bare_per_lead']:.2f}x |" for label, c in e["cases"].items()]
    out += _where_time_goes(e)
    out += _where_events_go(e)
    return "\n".join(out)


def _where_events_go(e: dict) -> list[str]:
    """For each case with a per-lead bar: its SimPy events per lead by what each wakes (the
    callback it runs), beside the bare funnel's events per lead."""
    cases = {k: c for k, c in e["cases"].items()
             if (c.get("target") or {}).get("kind") == "per_lead" and c.get("events_per_lead_by_waker")}
    if not cases:
        return []
    labels = list(cases)
    kinds: list[str] = []
    for c in cases.values():
        kinds += [k for k in c["events_per_lead_by_waker"] if k not in kinds]
    bare = e["funnel"].get("bare_events_per_lead")
    out = ["", "Where the events go: SimPy events per lead by what each one wakes"
           + (f" (the bare funnel: {bare:.1f} events per lead)" if bare else "") + ".", "",
           "| an event that wakes | " + " | ".join(labels) + " |", "|---|" + "---|" * len(labels)]
    for k in kinds:
        out.append(f"| {k} | " + " | ".join(f"{c['events_per_lead_by_waker'].get(k, 0.0):.2f}"
                                             for c in cases.values()) + " |")
    out.append("| all | " + " | ".join(f"{c['events_per_lead']:.2f}" for c in cases.values()) + " |")
    for label, c in cases.items():
        by = c["events_per_lead_by_waker"]
        attempts = sum(v for k, v in by.items() if k.startswith("further connect attempts"))
        line = f"`{label}`: "
        if attempts:
            line += (f"{attempts / c['events_per_lead']:.0%} of its events are an outbound lead's further attempts "
                     "to connect (a gap and a task each; the lead's generator is woken once for all of them). ")
        if bare:
            x_events = c["events_per_lead"] / bare
            line += (f"It has {x_events:.2f}x the bare funnel's events per lead, and each of its events costs "
                     f"{c['x_bare_per_lead'] / x_events:.1f}x a bare funnel event (best times): what costs is "
                     "the work behind an event (a task's work draw, its placement in the rep's working time, "
                     "ramp and practice, recording), not the number of events.")
        out += ["", line]
    return out


def _where_time_goes(e: dict) -> list[str]:
    """For each case with a bar: its tasks per lead and its cost per task against the plain
    funnel's (engine, KPI mode), and what its tasks alone would take at the plain funnel's
    cost per task, in the bar's terms (a floor no per-event saving outside the task path
    gets below)."""
    task_us = e["funnel"].get("task_us")
    if not task_us or "tasks_per_lead" not in e["funnel"]:
        return []
    cases = {k: c for k, c in e["cases"].items() if c.get("target") and "tasks" in c}
    if not cases:
        return []
    out = ["", f"Where the time goes: the plain funnel's engine takes {task_us:.1f} us per task (KPI mode). "
           "A case's bar ratio is its tasks (per lead or per run) times its cost per task, both against the "
           "plain funnel's; the last column is the bar's ratio if each of its tasks cost what a plain "
           "funnel task does.", "",
           "| case | tasks per lead x the plain funnel's | cost per task x the plain funnel's | "
           "tasks alone at the plain funnel's cost per task | bar |", "|---|---|---|---|---|"]
    bare_us = e["funnel"]["bare_us_per_lead"]  # the bare run's cost per lead
    funnel_tpl = e["funnel"]["tasks_per_lead"]  # the plain funnel's tasks per lead
    for label, c in cases.items():
        t = c["target"]
        per_task = c["seconds"] / c["tasks"] * 1e6 / task_us
        if t["kind"] == "per_lead":
            floor = c["tasks_per_lead"] * task_us / bare_us
        else:
            floor = c["tasks"] * task_us / (bare_us * e["reference_leads"])
        out.append(f"| {label} | {c['tasks_per_lead'] / funnel_tpl:.2f}x | {per_task:.2f}x | {floor:.2f}x | "
                   f"<= {t['bar']:g}x |")
    return out


def render_end_at_cost() -> str:
    e = _load("engine.json")
    a = e["end_at_alternative"]
    eng, alt = a["engine"], a["timeout_and_succeed"]
    return (f"Measured by `benchmarks/bench_engine.py` ({e['date']}, `{a['case']}`, {e['clock']} time, best of "
            f"{e['repeat']}; stored in `benchmarks/results/engine.json`): ending each queued task with a `Timeout` "
            f"whose callback calls `succeed()` takes {alt['events_per_lead']:.1f} SimPy events per lead instead of "
            f"{eng['events_per_lead']:.1f} and {alt['best_s'] / eng['best_s']:.2f}x the time of a replication "
            f"({'the same KPIs' if a['same_kpis'] else 'and changes the KPIs: same-instant order changes'}).")


def _planner_command(out: str = PLANNER_OUT, indent: str = "    ") -> str:
    cmd = "salesim plan " + " ".join(shlex.quote(a) for a in PLANNER_ARGS) + f" --out {out}"
    return re.sub(r" (--target)", rf" \\\n{indent}\1", cmd)


def _planner_estimate(p: dict) -> float:
    """Seconds on two idle cores: the simulations' CPU time split between two workers, the rest of the
    run (start, search, tables; its CPU time in the serial run) counted whole. Starting the two
    workers is left out."""
    outside = p["cpu_s"] - p["simulation_cpu_s"]
    return p["simulation_cpu_s"] / 2 + outside


def _planner_cost(p: dict) -> str:
    est = _planner_estimate(p)
    return (f"{p['simulations']} simulations, {p['cpu_s']:.0f} CPU-seconds in all; on two idle cores about "
            f"{est:.0f} s (the bar is {PLANNER_BAR_S:g} s: {_verdict(est, PLANNER_BAR_S)})")


def _planner_question() -> str:
    """The example's question in words, from its arguments and the scenario's team as it stands."""
    import yaml

    roles = yaml.safe_load((ROOT / PLANNER_ARGS[0]).read_text())["roles"]
    varied = [a.split("=")[0] for a in PLANNER_ARGS[PLANNER_ARGS.index("--vary") + 1::2] if a.startswith("roles.")]
    team = " and ".join(f"{roles[v.split('.')[1]]['headcount']} {v.split('.')[1].upper()}s" for v in varied)
    target = PLANNER_ARGS[PLANNER_ARGS.index("--target") + 1]
    kpi, value = target.split(">=")
    words = {"arr_new_usd": "of new ARR"}.get(kpi, kpi)
    prob = float(PLANNER_ARGS[PLANNER_ARGS.index("--probability") + 1]) if "--probability" in PLANNER_ARGS else 0.8
    return (f"The cheapest small team (today {team}) that books ${float(value) / 1e6:g}M {words} in the "
            f"scenario's year with probability {prob:.0%}")


def _percent(x: float) -> str:
    return f"{100 * x:.1f}%"


def render_planner_example() -> str:
    p = _load("planner_example.json")
    q = _planner_question()
    out = [f"**Worked example** (the README's): {q[0].lower() + q[1:]}?", "", "```bash", _planner_command(), "```",
           "", "```", p["stdout"].rstrip(), "```", "",
           f"Stored by `python benchmarks/results.py store-planner` on {p['date']} from a serial run "
           f"(`--workers 1`, so that the run's CPU time counts every simulation; the answer is the same for "
           f"any number of workers): {_planner_cost(p)}; the simulations' {p['simulation_cpu_s']:.0f} CPU-seconds "
           f"split between two workers, the rest of the run ({p['cpu_s'] - p['simulation_cpu_s']:.0f} CPU-seconds: "
           f"start, search, tables) counted whole, starting the two workers left out. "
           f"Its wall time was {p['wall_s']:.0f} s on {p['cores']} cores "
           f"shared with other work (load average {p['load_average']:.1f} when it started)."]
    return "\n".join(out)


def render_planner_answer() -> str:
    p = _load("planner_example.json")
    out = ["```bash", _planner_command(indent="  "), "```", ""]
    rec, check = p.get("recommended"), p.get("recheck")
    if not rec:
        out.append(f"No plan of the {p['plans_in_space']} reaches the probability ({p['simulations']} simulations).")
        return "\n".join(out)
    sets = " ".join(f"`{s}`" for s in p["set_lines"])
    again = (f"; {_percent(check['probability'])} on {check['n']} new seeds" if check else "")
    out.append(f"{_planner_question()}: the planner recommends {sets} (P = "
               f"{_percent(rec['probability'])} [{_percent(rec['ci_low'])}, {_percent(rec['ci_high'])}] over "
               f"{rec['n']} replications{again}), after {_planner_cost(p)}.")
    return "\n".join(out)


def render_run_times() -> str:
    """docs/guide/run-times.md: the CPU time of the project's commands (benchmarks/run_times.py --json)
    and what it means on two idle cores."""
    r = _load("run_times.json")
    rows = {row["command"]: row for row in r["rows"]}

    def per(prefix: str) -> float:
        row = next(v for k, v in rows.items() if k.startswith(prefix))
        return row["cpu_s"] / row["simulations"]

    def dur(s: float) -> str:
        return f"{s:.0f} s" if s < 120 else f"{s / 60:.1f} minutes"

    out = [f"Measured on {r['date']} at commit {r['commit']} ({r['cores']} cores shared with other work, load average "
           f"{r['load_average'][0]:.1f} at the end; Python {r['python']}; `python benchmarks/run_times.py --json "
           f"benchmarks/results/run_times.json`):", "",
           "| command | simulations | CPU time | CPU per simulation |", "|---|---|---|---|"]
    for row in r["rows"]:
        each = f"{row['cpu_s'] / row['simulations']:.1f} s" if row["simulations"] > 1 else ""
        out.append(f"| `{row['command']}` | {row['simulations']} | {row['cpu_s']:.1f} s | {each} |")
    guesses = [("`batch small_team --reps 500`", per("salesim batch scenarios/small_team.yaml") * 500 / 2),
               ("`compare inverted_triangle upright_triangle` at its default 20 replications",
                per("salesim compare scenarios/inverted_triangle.yaml") * 40 / 2),
               ("`compare pods_no_split pods_split` at 20 replications",
                per("salesim compare scenarios/pods_no_split.yaml") * 40 / 2)]
    fac = [(k, v) for k, v in rows.items() if k.startswith("salesim study scenarios/studies/org_design_factorial.yaml")]
    if fac:
        k, v = fac[0]
        guesses.append(("`study org_design_factorial --reps 4`",
                        v["cpu_s"] / v["simulations"] * v["simulations"] * 4 / 2))
    out += ["", "So, on two idle cores: " + "; ".join(f"{what} about {dur(s)}" for what, s in guesses) + "."]
    return "\n".join(out)


def _grid_size(vary: str) -> int:
    lo, hi, *step = (float(x) for x in vary.split(":"))
    return int(round((hi - lo) / (step[0] if step else 1))) + 1


def render_robust_study() -> str:
    """The robust org_design's run: simulations, CPU and wall time against the target, and where the
    design search saved simulations (each design's search against evaluating its whole grid)."""
    import csv

    r = json.loads((ROBUST / "stored.json").read_text())
    with open(ROBUST / "designs.csv", newline="") as fh:
        designs = list(csv.DictReader(fh))
    search_sims = sum(int(d["simulations"]) for d in designs)
    world_sims = r["worlds"] * r["designs"] * r["reps"]
    rows = []
    for d in designs:
        vary = [v for k, v in _design_vary(r, d["design"]).items()]
        grid = 1
        for v in vary:
            grid *= _grid_size(v)
        rows.append(f"| {d['design']} | {grid:,} | {grid * r['search']['reps']:,} | {int(d['candidates']):,} | "
                    f"{int(d['simulations']):,} |")
    cpu = r.get("cpu_s")
    idle = cpu / 2 / 60 if cpu else None
    load = (r.get("load_average") or [None])[0]
    quiet = load is not None and load < r["cores"]  # cores to spare when it started: its wall time is its own
    timing = (f"{cpu / 60:.1f} min of CPU time (the command and every process it started, "
              f"`benchmarks/tree_time.py`), so at least {idle:.1f} min of wall time on two idle cores "
              "(CPU time / 2: both cores busy all along); " if cpu else "CPU time not recorded; ")
    wall = r["wall_s"] / 60
    if quiet and wall <= ROBUST_BAR_MIN:
        verdict = f" Target: <= {ROBUST_BAR_MIN:g} min on two cores: met ({wall:.1f} min of wall time)."
    else:
        verdict = ("" if idle is None else
                   f" Target: <= {ROBUST_BAR_MIN:g} min on two cores: "
                   + ("met by this lower bound." if idle <= ROBUST_BAR_MIN else "**not met**."))
    where = (f"{r['cores']} cores" + (f", load average {load:.1f} when it started" if load is not None else "")
             + ("" if quiet else ", shared with other work"))
    return "\n".join([
        f"`{r['command']}` at commit {r['commit'][:7]} ({r['date']}, {where}): "
        f"{r['simulations']:,} simulations of {r['horizon_weeks'] / 52:g} years, {search_sims:,} in the "
        f"{r['designs']} designs' searches and {world_sims:,} evaluating the optima in "
        f"{r['worlds']} worlds x {r['reps']} "
        f"replications; {timing}{wall:.1f} min of wall time.{verdict}", "",
        "| design | layouts in its grid | simulations to evaluate them all | layouts the search evaluated | "
        "simulations it ran |", "|---|---|---|---|---|", *rows])


def _design_vary(record: dict, label: str) -> dict:
    """The decision variables of one design of a stored robust study, read from its study file."""
    import yaml

    spec = yaml.safe_load((ROOT / record["study"]).read_text())
    levels = dict(kv.split("=", 1) for kv in label.split(", "))
    out: dict = {}
    for f, lv in levels.items():
        level = (spec["factors"][f]["levels"] or {}).get(lv) or {}
        out.update(level.get("vary") or {})
    return out


RENDERERS = {"engine_results": render_engine_results, "end_at_cost": render_end_at_cost,
             "planner_example": render_planner_example, "planner_answer": render_planner_answer,
             "run_times": render_run_times, "robust_study": render_robust_study}
DOCUMENTS = {"engine_results": "benchmarks/README.md", "end_at_cost": "ARCHITECTURE.md",
             "planner_example": "docs/guide/planning.md", "planner_answer": "README.md",
             "run_times": "docs/guide/run-times.md", "robust_study": "benchmarks/README.md"}


def _renderers() -> dict:
    return {name: (lambda f=f: f().rstrip()) for name, f in RENDERERS.items()}


def render_text(text: str, where: str = "") -> str:
    """``text`` with every block this script owns rendered afresh (others left alone)."""
    return markers.render(text, _renderers(), where)


def differing_blocks(text: str, where: str = "") -> list[str]:
    return markers.differing(text, _renderers(), where)


def check() -> list[str]:
    problems = planner_stale()
    for name, doc in sorted(DOCUMENTS.items()):
        text = (ROOT / doc).read_text()
        if name not in markers.names(text, doc):
            problems.append(f"{doc}: block {name!r} is missing")
        elif name in differing_blocks(text, doc):
            problems.append(f"{doc}: block {name!r} differs from its stored output (edited by hand, or not "
                            f"rendered: python benchmarks/results.py render)")
    return problems


# --------------------------------------------------------------------------- storing


def planner_scenario_hash() -> str:
    """The example's scenario as far as its figures go (``scripts/figures.py``'s ``figure_hash``: the
    keys set to something other than their default), so a changed scenario makes the stored run stale."""
    import importlib.util

    from sim.scenario.loader import load_scenario

    spec = importlib.util.spec_from_file_location("figures_script", ROOT / "scripts" / "figures.py")
    figures = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(figures)
    return figures.figure_hash(load_scenario(ROOT / PLANNER_ARGS[0]))


def planner_stale(record: dict | None = None) -> list[str]:
    """Why the stored planner example no longer answers the documented command (empty: current)."""
    p = _load("planner_example.json") if record is None else record
    out = []
    if p.get("args") != PLANNER_ARGS:
        out.append("planner_example.json: stored for other arguments than PLANNER_ARGS (re-store: python "
                   "benchmarks/results.py store-planner, then render)")
    if p.get("scenario_hash") != planner_scenario_hash():
        out.append(f"planner_example.json: {PLANNER_ARGS[0]} changed since the example was stored (re-store: "
                   "python benchmarks/results.py store-planner, then render)")
    return out


def store_planner() -> None:
    """Run the README's planner example and store what it printed, its simulations and its cost.

    The run is serial (``--workers 1``): every simulation then runs in the one child process, so the
    child's CPU time is the whole cost of the example, whatever else shares the machine; the answer
    is the same for any worker count (common random numbers, a seeded search). On two idle cores the
    simulations split between two workers: ``cpu_s / 2`` plus the search's own work is the time to
    expect, which the rendered text compares with the 45 s bar."""
    import resource

    salesim = Path(sys.executable).with_name("salesim")
    with tempfile.TemporaryDirectory() as tmp:
        load = os.getloadavg()[0]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        done = subprocess.run([str(salesim), "plan", *PLANNER_ARGS, "--workers", "1", "--out",
                               str(Path(tmp) / "out")], cwd=ROOT, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode != 0:
            raise SystemExit(f"results: the planner example failed ({done.returncode}):\n{done.stderr}")
        decision = json.loads((Path(tmp) / "out" / "plan.json").read_text())
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    stdout = done.stdout.replace(str(Path(tmp) / "out"), PLANNER_OUT)
    search = decision["search"]
    record = {"args": PLANNER_ARGS, "stdout": stdout, "wall_s": wall, "cpu_s": cpu,
              "simulation_s": search["simulation_s"],
              "simulation_cpu_s": search["simulation_cpu_s"], "load_average": load, "cores": os.cpu_count(),
              "date": time.strftime("%Y-%m-%d"), "simulations": search["simulations"],
              "candidates": search["candidates"], "plans_in_space": search["plans_in_space"],
              "set_lines": decision.get("set"), "recommended": decision.get("recommended"),
              "recheck": decision.get("recheck"), "scenario_hash": planner_scenario_hash()}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "planner_example.json").write_text(json.dumps(record, indent=1, sort_keys=True, default=str) + "\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("cmd", choices=["store-planner", "render", "check"])
    args = ap.parse_args(argv)
    if args.cmd == "store-planner":
        store_planner()
        return 0
    if args.cmd == "render":
        for doc in sorted(set(DOCUMENTS.values())):
            if markers.render_file(ROOT / doc, _renderers(), doc):
                print(f"rendered {doc}")
        return 0
    problems = check()
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except markers.MarkerError as e:
        sys.exit(f"results: {e}")
