"""Benchmark figures that cannot go stale: stored measurements, rendered into the docs.

Two stored outputs in ``benchmarks/results/``:

* ``engine.json``: what ``bench_engine.py --json`` measured (the engine's bars,
  the mechanism cases, the cost of the documented alternative to
  ``TaskDone.end_at``);
* ``planner_example.json``: the user guide's capacity-planning example, run by
  ``store-planner`` (its command, what it printed, its wall time on the
  machine's cores and the load average when it started).

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

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
BLOCK = re.compile(r"<!-- ([a-z0-9_]+):begin -->\n(.*?)<!-- \1:end -->", re.S)

# the README's worked example of `salesim plan` (the output folder is a temporary one)
PLANNER_ARGS = ["scenarios/small_team.yaml", "--weeks", "104", "--vary", "roles.ae.headcount=1:4:1",
                "--vary", "roles.sdr.headcount=1:4:1", "--target", "arr_new_usd>=2.2e6", "--by-week", "52:104",
                "--max-reps", "32", "--recheck", "32"]
PLANNER_BAR_S = 45.0


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
    return "\n".join(out)


def render_end_at_cost() -> str:
    e = _load("engine.json")
    a = e["end_at_alternative"]
    eng, alt = a["engine"], a["timeout_and_succeed"]
    return (f"Measured by `benchmarks/bench_engine.py` ({e['date']}, `{a['case']}`, {e['clock']} time, best of "
            f"{e['repeat']}; stored in `benchmarks/results/engine.json`): ending each queued task with a `Timeout` "
            f"whose callback calls `succeed()` takes {alt['events_per_lead']:.1f} SimPy events per lead instead of "
            f"{eng['events_per_lead']:.1f} and {alt['best_s'] / eng['best_s']:.2f}x the time of a replication "
            f"({'the same KPIs' if a['same_kpis'] else 'and changes the KPIs: same-instant order changes'}).")


def render_planner_example() -> str:
    p = _load("planner_example.json")
    cmd = "salesim plan " + " ".join(shlex.quote(a) for a in p["args"]) + " --out runs/plan-year2"
    wrapped = re.sub(r" (--vary roles\.sdr|--max-reps)", r" \\\n    \1", cmd)
    out = ["```bash", wrapped, "```", "", "```", p["stdout"].rstrip(), "```", "",
           f"This run took {p['wall_s']:.0f} s of wall time on {p['cores']} cores shared with other work "
           f"(load average {p['load_average']:.1f} when it started; the target is {PLANNER_BAR_S:g} s on two "
           f"idle cores): {p['simulations']} simulations of 104 weeks, re-check included. Stored by "
           f"`python benchmarks/results.py store-planner` on {p['date']}."]
    return "\n".join(out)


RENDERERS = {"engine_results": render_engine_results, "end_at_cost": render_end_at_cost,
             "planner_example": render_planner_example}
DOCUMENTS = {"engine_results": "benchmarks/README.md", "end_at_cost": "ARCHITECTURE.md",
             "planner_example": "docs/guide/planning.md"}


def render_text(text: str) -> str:
    """``text`` with every block this script owns rendered afresh (others left alone)."""
    def sub(m: re.Match) -> str:
        name = m.group(1)
        if name not in RENDERERS:
            return m.group(0)
        return f"<!-- {name}:begin -->\n{RENDERERS[name]().rstrip()}\n<!-- {name}:end -->"
    return BLOCK.sub(sub, text)


def differing_blocks(text: str) -> list[str]:
    new = {m.group(1): m.group(2) for m in BLOCK.finditer(render_text(text))}
    return [m.group(1) for m in BLOCK.finditer(text) if m.group(1) in RENDERERS and new[m.group(1)] != m.group(2)]


def check() -> list[str]:
    problems = []
    for name, doc in sorted(DOCUMENTS.items()):
        text = (ROOT / doc).read_text()
        if f"<!-- {name}:begin -->" not in text:
            problems.append(f"{doc}: block {name!r} is missing")
        elif name in differing_blocks(text):
            problems.append(f"{doc}: block {name!r} differs from its stored output (edited by hand, or not "
                            f"rendered: python benchmarks/results.py render)")
    return problems


# --------------------------------------------------------------------------- storing


def store_planner() -> None:
    """Run the README's planner example on all cores and store what it printed and took."""
    salesim = Path(sys.executable).with_name("salesim")
    with tempfile.TemporaryDirectory() as tmp:
        load = os.getloadavg()[0]
        t0 = time.perf_counter()
        done = subprocess.run([str(salesim), "plan", *PLANNER_ARGS, "--out", str(Path(tmp) / "out")],
                              cwd=ROOT, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        if done.returncode != 0:
            raise SystemExit(f"results: the planner example failed ({done.returncode}):\n{done.stderr}")
        decision = json.loads((Path(tmp) / "out" / "plan.json").read_text())
    stdout = done.stdout.replace(str(Path(tmp) / "out"), "runs/plan-year2")
    record = {"args": PLANNER_ARGS, "stdout": stdout, "wall_s": wall, "load_average": load,
              "cores": os.cpu_count(), "date": time.strftime("%Y-%m-%d"),
              "simulations": decision["search"]["simulations"], "set_lines": decision.get("set")}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "planner_example.json").write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("cmd", choices=["store-planner", "render", "check"])
    args = ap.parse_args(argv)
    if args.cmd == "store-planner":
        store_planner()
        return 0
    if args.cmd == "render":
        for doc in sorted(set(DOCUMENTS.values())):
            path = ROOT / doc
            old = path.read_text()
            new = render_text(old)
            if new != old:
                path.write_text(new)
                print(f"rendered {doc}")
        return 0
    problems = check()
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
