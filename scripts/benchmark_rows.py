"""\
The user guide's per-scenario benchmark table (docs/guide/shipped-scenarios.md): which rows of the benchmark table each
shipped scenario meets, rendered from stored `salesim check` outputs.

    python scripts/benchmark_rows.py run [NAME ...] [--reps 5]   # check the scenarios, store the outputs
    python scripts/benchmark_rows.py costs [--reps 10]           # the same-cost pair's cost lines, stored
    python scripts/benchmark_rows.py render                      # the guide page's blocks, from the stored outputs

``run`` checks each shipped scenario (``scenarios/*.yaml``) with ``--reps``
replications at the scenario's own seed and writes ``data/benchmark_checks/NAME.json``:
every comparison (metric, segment, subject, mean, interval, position), the metrics left
unchecked, the figures the scenario's comment says are outside on purpose
(``# benchmark outside: METRIC (SUBJECT) -- why``), and the SHA-256 of the scenario (its
file) and of the benchmark table it was checked against.
``costs`` runs the pair called "same cost" (``inverted_triangle`` and ``upright_triangle``)
with the same replications and stores each cost line's mean a year in
``data/benchmark_checks/same_cost.json``. ``render`` rewrites the parts of docs/guide/shipped-scenarios.md
between ``<!-- benchmark-rows:begin -->`` and ``<!-- benchmark-rows:end -->`` and between
``<!-- same-cost:begin -->`` and ``<!-- same-cost:end -->`` from those files. ``tests/test_benchmark_rows.py`` fails
when the page differs from what ``render`` makes (a hand edit) or when a stored output
was made from another version of its scenario or of the table (a stale table).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

from sim import markers

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
STORE = ROOT / "data" / "benchmark_checks"
README = ROOT / "docs" / "guide" / "shipped-scenarios.md"  # the page that holds the blocks
BLOCKS = ("benchmark-rows", "same-cost")  # the page's marker blocks (sim/markers.py)
PAIR = ("inverted_triangle", "upright_triangle")
COST_LINES = (("team salaries", "salaries"), ("commissions", "commissions_usd"), ("hand-off fees", "fees_usd"),
              ("marketing per lead", "marketing_usd"), ("process levers", "process_usd"),
              ("marketing programmes", "marketing_programmes_usd"), ("recruiting", "recruiting_usd"),
              ("total", "total_usd"))
DEFAULT_REPS = 5


def shipped() -> list[str]:
    """The shipped scenarios: the top-level files of scenarios/ (variants and studies build on them)."""
    return sorted(p.stem for p in SCENARIOS.glob("*.yaml"))


def deliberately_outside(path: Path) -> list[list[str]]:
    """[metric, subject] of each ``# benchmark outside: METRIC (SUBJECT) -- why`` comment line, as
    ``salesim check`` reads them (:func:`sim.experiments.montecarlo.benchmark_check.deliberately_outside`)."""
    from sim.experiments.montecarlo.benchmark_check import deliberately_outside as said

    return sorted([metric, subject] for metric, subject in said(path))


def table_hash() -> str:
    from importlib.resources import files

    return hashlib.sha256(files("sim.benchmarks").joinpath("table.csv").read_bytes()).hexdigest()


def scenario_hash(name: str) -> str:
    """SHA-256 of the scenario as written: its file, then each file of its ``extends`` chain (a
    POD scenario extends pods_no_split.yaml: a change there makes its stored check stale too)."""
    from sim.scenario import source_files

    h = hashlib.sha256()
    for path in source_files(SCENARIOS / f"{name}.yaml"):
        h.update(path.read_bytes())
    return h.hexdigest()


def check(name: str, reps: int) -> dict:
    """One scenario's check, as stored."""
    from sim.experiments.montecarlo.benchmark_check import run_check
    from sim.scenario import load_scenario

    path = SCENARIOS / f"{name}.yaml"
    result = run_check(load_scenario(path), reps=reps)
    return {
        "scenario": name,
        "scenario_sha256": scenario_hash(name),
        "table_sha256": table_hash(),
        "reps": result.reps,
        "root_seed": result.root_seed,
        "deliberately_outside": deliberately_outside(path),
        "comparisons": [{"metric": c.metric, "segment": c.segment, "subject": c.subject, "kind": c.kind,
                         "mean": c.mean, "ci": list(c.ci) if c.ci is not None else None,
                         "low": c.benchmark.low, "high": c.benchmark.high, "position": c.position,
                         "mechanism": c.mechanism} for c in result.comparisons],
        "unchecked": [list(u) for u in result.unchecked],
    }


def costs(reps: int) -> dict:
    """Each cost line's mean a year over ``reps`` replications of each scenario of :data:`PAIR`,
    with the bookings that drive the commissions."""
    import numpy as np

    from sim.experiments.runner.seeds import replication_seed
    from sim.run import simulate
    from sim.scenario import load_scenario

    out: dict = {"reps": reps, "scenarios": {}}
    for name in PAIR:
        scen = load_scenario(SCENARIOS / f"{name}.yaml")
        years = scen.horizon_weeks / 52
        rows: dict[str, list[float]] = {}
        for i in range(reps):
            k = simulate(scen, seed=replication_seed(scen.seed, i), record="kpis").kpis
            c = k["costs"]
            vals = {key: float(c.get(key) or 0.0) for _, key in COST_LINES if key != "salaries"}
            vals["salaries"] = float(sum(c["salaries_by_role_usd"].values()))
            vals["bookings_usd"] = float(k["bookings_usd"])
            for key, v in vals.items():
                rows.setdefault(key, []).append(v / years)
        out["scenarios"][name] = {"scenario_sha256": scenario_hash(name), "root_seed": scen.seed,
                                  "means_per_year": {k: float(np.mean(v)) for k, v in rows.items()}}
    return out


def _money(v: float) -> str:
    return f"{'-' if v < 0 else ''}${abs(v) / 1e3:,.0f}k"


def render_costs() -> str:
    d = json.loads((STORE / "same_cost.json").read_text())
    a, b = (d["scenarios"][n]["means_per_year"] for n in PAIR)
    lines = [f"Generated by `python scripts/benchmark_rows.py render` from `data/benchmark_checks/same_cost.json` "
             f"(mean a year over {d['reps']} replications of each, the scenarios' own seeds; a test fails when "
             "either scenario changed since). Commissions are paid per booked dollar, so the organization that "
             "books more pays more of them.",
             "", f"| cost a year | `{PAIR[0]}` | `{PAIR[1]}` | difference |", "|---|---|---|---|"]
    for label, key in COST_LINES:
        if not (a.get(key) or b.get(key)):
            continue
        lines.append(f"| {label} | {_money(a[key])} | {_money(b[key])} | {_money(b[key] - a[key])} |")
    lines.append(f"| bookings | {_money(a['bookings_usd'])} | {_money(b['bookings_usd'])} | "
                 f"{_money(b['bookings_usd'] - a['bookings_usd'])} |")
    return "\n".join(lines)


def load(name: str) -> dict:
    return json.loads((STORE / f"{name}.json").read_text())


def _label(c: dict) -> str:
    from sim.report.benchmark_section import LABELS

    seg = "" if c["segment"] == "all" else f" {c['segment'].replace('_', '-')}"
    subj = "" if c["subject"] in ("company", c["segment"]) else f" ({c['subject']})"
    return f"{LABELS.get(c['metric'], c['metric'])}{seg}{subj}"


def render_block() -> str:
    lines = [
        "Generated by `python scripts/benchmark_rows.py render` from the stored `salesim check` outputs in "
        "`data/benchmark_checks/` (each with the replications and seed it ran; a test fails when a scenario "
        "or the table changed since). A row is met when the mean over the replications is inside its range; "
        "\"outside on purpose\" rows are named in the scenario's comment with the reason "
        "(`# benchmark outside: METRIC (SUBJECT) -- why`).",
        "",
        "| scenario | reps | rows met | met | outside on purpose | outside |",
        "|---|---|---|---|---|---|",
    ]
    for name in shipped():
        if not (STORE / f"{name}.json").exists():
            lines.append(f"| `{name}` | - | not checked | | | |")
            continue
        d = load(name)
        said = {tuple(x) for x in d["deliberately_outside"]}
        met = [c for c in d["comparisons"] if c["position"] == "inside"]
        purpose = [c for c in d["comparisons"] if c["position"] != "inside" and (c["metric"], c["subject"]) in said]
        other = [c for c in d["comparisons"] if c["position"] != "inside"
                 and (c["metric"], c["subject"]) not in said]
        lines.append(f"| `{name}` | {d['reps']} | {len(met)} of {len(d['comparisons'])} | "
                     f"{', '.join(_label(c) for c in met) or '-'} | "
                     f"{', '.join(_label(c) for c in purpose) or '-'} | "
                     f"{', '.join(_label(c) + ' ' + c['position'] for c in other) or '-'} |")
    return "\n".join(lines)


RENDERERS = {"benchmark-rows": lambda: render_block(), "same-cost": lambda: render_costs()}


def rendered(text: str) -> str:
    """``text`` with its blocks replaced by :func:`render_block` and :func:`render_costs`."""
    try:
        return markers.render(text, RENDERERS, str(README.relative_to(ROOT)), required=BLOCKS)
    except markers.MarkerError as e:
        raise SystemExit(f"benchmark_rows: {e}") from None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="check scenarios and store the outputs")
    r.add_argument("names", nargs="*", help="scenario names (default: every shipped scenario)")
    r.add_argument("--reps", type=int, default=DEFAULT_REPS)
    c = sub.add_parser("costs", help="run the same-cost pair and store its cost lines")
    c.add_argument("--reps", type=int, default=10)
    sub.add_parser("render", help="rewrite the blocks of docs/guide/shipped-scenarios.md from the stored outputs")
    args = ap.parse_args(argv)
    if args.cmd == "run":
        STORE.mkdir(parents=True, exist_ok=True)
        for name in args.names or shipped():
            d = check(name, args.reps)
            (STORE / f"{name}.json").write_text(json.dumps(d, indent=1, sort_keys=True) + "\n")
            print(f"{name}: {sum(c['position'] == 'inside' for c in d['comparisons'])} of "
                  f"{len(d['comparisons'])} inside", file=sys.stderr)
        return 0
    if args.cmd == "costs":
        STORE.mkdir(parents=True, exist_ok=True)
        (STORE / "same_cost.json").write_text(json.dumps(costs(args.reps), indent=1, sort_keys=True) + "\n")
        return 0
    README.write_text(rendered(README.read_text()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
