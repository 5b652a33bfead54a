"""The planner's report (text) and its cost-vs-probability figure (PNG).

Why a decision first: the reader asked "how many, hired when, at what cost?";
the report opens with the plan as ``--set`` lines, its cost and P(targets)
with its interval, then the evidence -- what binds, one more or one fewer of
each variable, runner-ups, the frontier -- and ends with what the search cost.
Every number is also in the output folder (``plan.json`` and CSV files).
"""

from __future__ import annotations

from sim.cli.study_report import num, table
from sim.experiments.planner.space import count_text


def _share(x: float) -> str:
    """A share of the full grid; a tiny one (a search of a 10^21-plan space) is "<1%", not "0%"."""
    return "<1%" if 0 < x < 0.005 else f"{x:.0%}"


def _p(row) -> str:
    return f"{row['probability']:.1%} [{row['ci_low']:.1%}, {row['ci_high']:.1%}] (n={int(row['n'])})"


def _plan(row, variables: list[str]) -> str:
    return ", ".join(f"{v}={num(row[v])}" for v in variables)


def report(r) -> str:
    s = r.search
    goal = " and ".join(r.targets)
    lines = [f"plan: lowest mean {r.objective} with P({goal}) >= {r.probability:.0%}",
             f"searched {s['candidates']} of {count_text(s['plans_in_space'])} plans with {s['simulations']} "
             f"simulations ({_share(s['share_of_grid'])} of the full grid's {count_text(s['grid_simulations'])} at "
             f"{s['max_reps']} replications per plan) in {s['wall_s']:.1f} s on {s['executor']}"
             + (f"; {s['simulations_resumed']} reloaded from the folder" if s["simulations_resumed"] else ""),
             f"stopped: {s['stop']}",
             f"results in {r.out}/ (plan.json, candidates.csv, frontier.csv, frontier.png, neighbours.csv, "
             "recommended.scenario.yaml)" if r.out is not None else "", ""]
    if not r.feasible:
        return "\n".join(lines + _frontier(r))
    rec = r.recommended
    lines += ["Recommended plan (paste as --set):", *(f"  --set {x}" for x in r.set_lines),
              f"{r.objective}: {num(rec['objective'])}",
              f"P(all targets met): {_p(rec)}  (95% Wilson interval, common random numbers)"]
    for t in r.targets:
        lines.append(f"  P({t}): {rec[f'p[{t}]']:.1%}")
    if rec["ci_low"] < r.probability:
        lines.append(f"  note: the interval still reaches below {r.probability:.0%} after {int(rec['n'])} "
                     "replications (P-hat decided); raise --max-reps for a sharper answer")
    if r.recheck is not None:
        c = r.recheck
        lines.append(f"re-check on {c['n']} new seeds: P = {c['probability']:.1%} [{c['ci_low']:.1%}, "
                     f"{c['ci_high']:.1%}]; {'feasible' if c['feasible'] else 'NOT feasible'}, "
                     f"{'within' if c['within_search_ci'] else 'outside'} the search's interval")
    b = r.binding
    lines += ["", "What binds:"]
    if "target" in b:
        lines.append(f"  target closest to failing: {b['target']} (P {b['target_probability']:.1%})")
    if b.get("variables"):
        lines.append(f"  cannot go one step lower: {', '.join(b['variables'])}")
    if "role" in b:
        lines.append(f"  {b['role'].upper()} capacity: utilization {b['utilization']:.0%}"
                     + "".join(f"; {k.upper()} {u:.0%}" for k, u in list(b["utilization_by_role"].items())[1:]))
    if len(r.neighbours):
        lines += ["", "One step either way (other variables as recommended):"]
        lines += table(["variable", "change", "value", r.objective, "change in cost", "P(targets)", "status"],
                       [[x["variable"], x["change"], num(x["value"]), num(x["objective"]),
                         num(x["objective_change"]), _p(x), x["status"]] for _, x in r.neighbours.iterrows()])
    if len(r.runner_ups):
        lines += ["", "Runner-up plans:"]
        lines += table(["plan", r.objective, "P(targets)"],
                       [[_plan(x, r.variables), num(x["objective"]), _p(x)] for _, x in r.runner_ups.iterrows()])
    return "\n".join(lines + [""] + _frontier(r))


def _frontier(r) -> list[str]:
    f = r.frontier
    if not len(f):
        return []
    return ["Cost vs probability frontier (no cheaper plan evaluated has a higher P):",
            *table(["plan", r.objective, "P(targets)", "status"],
                   [[_plan(x, r.variables), num(x["objective"]), _p(x), x["status"]] for _, x in f.iterrows()])]


def unreachable(r) -> str:
    b = r.best
    plan = _plan(b, r.variables)
    return (f"salesim: no plan reached P({' and '.join(r.targets)}) >= {r.probability:.0%}; the best P found was "
            f"{_p(b)} with {plan} ({r.objective} {num(b['objective'])}). Widen --vary, lower a target or "
            "--probability, or raise --budget.")
