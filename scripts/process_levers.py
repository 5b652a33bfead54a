"""The process levers of upright_triangle.yaml one by one (docs/process.md): each
lever switched off in turn, against the scenario as it is, over the same
replication seeds (common random numbers), and what moved on the way from the
lever's price to ARR.

    python scripts/process_levers.py run --reps 6    # a few minutes on two cores; writes docs/process_levers.json
    python scripts/process_levers.py render          # docs/process.md's table, from that file

``run`` simulates the scenario with every lever on and with each lever off
(``process.<lever>`` removed), replication i under seed ``SEED + i`` in every
arm, and stores per arm and replication the KPIs of the chain: the lever's cost
a year (costs.process_by_lever_usd over the horizon), the win rate (SQL to
won), the AEs' utilization and wait, the MQL-to-SQL conversion, wins and end
ARR. ``render`` rewrites the part of docs/process.md between the markers from
the stored file (a test checks the page is what ``render`` makes, so no figure
in it is typed by hand).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from sim import markers

REPO = Path(__file__).resolve().parents[1]
SCENARIO = REPO / "scenarios" / "upright_triangle.yaml"
DOC = REPO / "docs" / "process.md"
DATA = REPO / "docs" / "process_levers.json"
BLOCK = "process_levers"  # docs/process.md's marker block (sim/markers.py)
README = REPO / "README.md"
CHAIN_BLOCK = "process_chain"  # the README's lever chain
SEED = 1000
LEVERS = ("playbooks", "tools", "enablement", "data_driven")


def channel(scenario, lever: str) -> str:
    """What the lever acts on in the model (sim/model/process.py, sim/model/selling_time.py,
    sim/model/data_loop.py), with the scenario's own settings: read from the file, not typed."""
    from sim.scenario.work_model import moves_time, week_shares

    pr = scenario.process
    wm = scenario.work_model
    timed = moves_time(scenario)
    if lever == "playbooks":
        p = pr.playbooks
        text = (f"skill spread x{p.skill_spread_multiplier:g}, ramps x{p.ramp_multiplier:g}: conversion of new and "
                "weak reps")
        if timed:
            text += f"; research and preparation hours -{wm.playbooks_research_cut:.0%}: deal time"
        return text
    if lever == "tools":
        if timed:
            role = "ae" if "ae" in scenario.roles else next(iter(wm.time_use))
            with_ = week_shares(scenario, role)["deal"]
            without = week_shares(scenario.model_copy(update={"process": pr.model_copy(update={"tools": None})}),
                                  role)["deal"]
            return (f"admin hours -{wm.tools_admin_cut:.0%} (role {role}: deal share of the week {without:.0%} -> "
                    f"{with_:.0%}): capacity, so shorter queues and more leads worked in time")
        return (f"work hours of every task x{pr.tools.work_hours_multiplier:g}: capacity, so shorter queues and "
                "more leads worked in time")
    if lever == "enablement":
        return f"learning by practice x{pr.enablement.learning_multiplier:g}: conversion rises faster with tasks done"
    out = pr.data_driven.outside
    target = "an outside benchmark" if out is None else f"an outside benchmark ({out.source.split(',')[0]})"
    return f"the conversion of the step furthest below {target}, part of the gap a month: conversion"

# (column, KPI path) of the chain, from cost to ARR
CHAIN = (("cost_per_year_usd", None), ("win_rate", ("win_rate",)), ("mql_to_sql", None),
         ("ae_utilization", ("roles", "ae", "utilization")), ("ae_wait_hours", ("roles", "ae", "mean_wait_hours")),
         ("leads_won", ("leads_won",)), ("arr_end_usd", ("arr_end_usd",)))


def _figures(kpis: dict, lever: str | None) -> dict[str, float]:
    out: dict[str, float] = {}
    years = kpis["horizon_weeks"] / 52.0
    for name, path in CHAIN:
        if name == "cost_per_year_usd":
            by = kpis["costs"]["process_by_lever_usd"]
            out[name] = float(sum(by.values())) / years
        elif name == "mql_to_sql":
            out[name] = float(next(s["conversion"] for s in kpis["stages"] if s["stage"] == "mql"))
        else:
            v = kpis
            for k in path:
                v = v[k]
            out[name] = float(v)
    return out


def run(reps: int) -> dict:
    import sim

    base = sim.load_scenario(SCENARIO)
    arms: dict[str, list[dict[str, float]]] = {}
    for lever in (None, *LEVERS):
        sc = base if lever is None else base.model_copy(
            update={"process": base.process.model_copy(update={lever: None})})
        arms["all_on" if lever is None else f"{lever}_off"] = [
            _figures(sim.simulate(sc, seed=SEED + i, record="kpis").kpis, lever) for i in range(reps)]
        print(lever or "all on", file=sys.stderr)
    priced = {lever: _lever_price(base, lever) for lever in LEVERS}
    return {"scenario": SCENARIO.relative_to(REPO).as_posix(), "scenario_hash": resolved_hash(),
            "reps": reps, "seeds": [SEED, SEED + reps - 1],
            "horizon_weeks": base.horizon_weeks, "price_per_year_usd": priced, "arms": arms}


def resolved_hash() -> str:
    """The resolved scenario's hash (as a study manifest records it): a stored measurement of another
    scenario is stale."""
    import sim
    from sim.experiments.runner.driver import scenario_hash

    return scenario_hash(sim.load_scenario(SCENARIO))


def _lever_price(base, lever: str) -> float:
    """The lever's configured price a year before seats: its licence price and its ops staff (per seat
    prices are per covered seat and shown as such)."""
    p = getattr(base.process, lever)
    if p is None:
        return 0.0
    return float(p.cost_per_year_usd + p.ops_headcount * p.ops_loaded_cost_per_year_usd)


def _mean(xs: list[float]) -> float:
    return sum(xs) / len(xs)


def _paired(on: list[float], off: list[float]) -> tuple[float, float]:
    """Mean of off - on and the half-width of its 95% interval (t, n - 1 degrees of freedom)."""
    d = [b - a for a, b in zip(on, off, strict=True)]
    n = len(d)
    m = _mean(d)
    if n < 2:
        return m, math.nan
    sd = math.sqrt(sum((x - m) ** 2 for x in d) / (n - 1))
    t = {2: 12.706, 3: 4.303, 4: 3.182, 5: 2.776, 6: 2.571, 7: 2.447, 8: 2.365, 9: 2.306, 10: 2.262}.get(n, 2.0)
    return m, t * sd / math.sqrt(n)


def _usd(x: float) -> str:
    return f"${x / 1e6:,.2f}M" if abs(x) >= 1e6 else f"${x / 1e3:,.0f}k"


def _signed_usd(x: float) -> str:
    return ("+" if x >= 0 else "-") + _usd(abs(x))


def table(data: dict) -> str:
    arms = data["arms"]
    on = arms["all_on"]
    col = lambda arm, k: [r[k] for r in arm]  # noqa: E731
    lines = [
        f"Measured on `{data['scenario']}` ({data['horizon_weeks']:g} weeks), {data['reps']} paired replications "
        f"(seeds {data['seeds'][0]}-{data['seeds'][1]} in every arm). With every lever on: end ARR "
        f"{_usd(_mean(col(on, 'arr_end_usd')))}, win rate {_mean(col(on, 'win_rate')):.3f}, "
        f"MQL to SQL {_mean(col(on, 'mql_to_sql')):.3f}, AE utilization {_mean(col(on, 'ae_utilization')):.2f}, "
        f"AE wait {_mean(col(on, 'ae_wait_hours')):.1f} h; the process levers cost "
        f"{_usd(_mean(col(on, 'cost_per_year_usd')))} a year.",
        "",
        "| lever switched off | its price a year | what it acts on | win rate | MQL to SQL | AE utilization "
        "| AE wait (h) | wins | end ARR, off minus on (95% CI) | end ARR per $ of its price over the run |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    import sim

    scenario = sim.load_scenario(REPO / data["scenario"])
    years = data["horizon_weeks"] / 52.0
    for lever in LEVERS:
        off = arms[f"{lever}_off"]
        price = data["price_per_year_usd"][lever]
        cost = _mean(col(on, "cost_per_year_usd")) - _mean(col(off, "cost_per_year_usd"))
        price_txt = "free (not priced in this scenario)" if price == 0 else f"{_usd(cost)} (measured)"
        d, h = _paired(col(on, "arr_end_usd"), col(off, "arr_end_usd"))
        cells = [f"`{lever}`", price_txt, channel(scenario, lever)]
        for k, fmt in (("win_rate", "{:.3f}"), ("mql_to_sql", "{:.3f}"), ("ae_utilization", "{:.2f}"),
                       ("ae_wait_hours", "{:.1f}"), ("leads_won", "{:.0f}")):
            cells.append(f"{fmt.format(_mean(col(on, k)))} -> {fmt.format(_mean(col(off, k)))}")
        cells.append(f"{_signed_usd(d)} ({_signed_usd(d - h)} to {_signed_usd(d + h)})")
        cells.append("-" if cost <= 0 else f"${-d / (cost * years):,.1f}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def chain(data: dict) -> str:
    """The README's short form: per lever, its price, what it acts on, and the end ARR it is worth."""
    import sim

    arms = data["arms"]
    on = arms["all_on"]
    col = lambda arm, k: [r[k] for r in arm]  # noqa: E731
    scenario = sim.load_scenario(REPO / data["scenario"])
    lines = [f"On `{data['scenario']}`, each lever switched off in turn ({data['reps']} paired replications, "
             f"{data['horizon_weeks']:g} weeks): its price a year -> what it acts on -> end ARR switched off minus on "
             "(95% interval):", ""]
    for lever in LEVERS:
        off = arms[f"{lever}_off"]
        cost = _mean(col(on, "cost_per_year_usd")) - _mean(col(off, "cost_per_year_usd"))
        d, h = _paired(col(on, "arr_end_usd"), col(off, "arr_end_usd"))
        price = "free" if data["price_per_year_usd"][lever] == 0 else f"{_usd(cost)} a year"
        lines.append(f"- `{lever}`: {price} -> {channel(scenario, lever)} -> {_signed_usd(d)} "
                     f"({_signed_usd(d - h)} to {_signed_usd(d + h)})")
    return "\n".join(lines)


def rendered_doc(text: str, data: dict) -> str:
    return markers.render(text, {BLOCK: lambda: table(data)}, "docs/process.md", required=[BLOCK])


def rendered_readme(text: str, data: dict) -> str:
    return markers.render(text, {CHAIN_BLOCK: lambda: chain(data)}, "README.md", required=[CHAIN_BLOCK])


def read_data() -> dict:
    return json.loads(DATA.read_text())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="simulate the arms and write docs/process_levers.json")
    r.add_argument("--reps", type=int, default=6)
    sub.add_parser("render", help="rewrite docs/process.md's table and the README's lever chain from "
                   "docs/process_levers.json")
    args = ap.parse_args(argv)
    if args.command == "run":
        if args.reps < 2:
            print("process_levers: --reps must be at least 2 (a paired interval needs two)", file=sys.stderr)
            return 2
        DATA.write_text(json.dumps(run(args.reps), indent=1) + "\n")
    data = read_data()
    markers.render_file(DOC, {BLOCK: lambda: table(data)}, "docs/process.md", required=[BLOCK])
    markers.render_file(README, {CHAIN_BLOCK: lambda: chain(data)}, "README.md", required=[CHAIN_BLOCK])
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except markers.MarkerError as e:
        sys.exit(f"process_levers: {e}")
