"""A robust study's findings in plain language (``findings.md`` and the command's output).

For each group of cells (e.g. each budget): the best layout of every design
with its objective, cost and flatness; then P(B beats A) over the worlds with
its interval, the assumptions the margin is most sensitive to, and the
conditions that flip the verdict, as thresholds.
"""

from __future__ import annotations

import math

from sim.experiments.study.designs import short
from sim.textsafe import code_span, escape_markdown


def money(x: float) -> str:
    if x is None or not math.isfinite(x):
        return "n/a"
    a = abs(x)
    sign = "-" if x < 0 else ""
    if a >= 1e6:
        return f"{sign}${a / 1e6:.2f}M"
    if a >= 1e3:
        return f"{sign}${a / 1e3:.0f}k"
    return f"{sign}${a:.0f}"


def value(kpi: str, x: float) -> str:
    return money(x) if kpi.endswith("_usd") else (f"{x:.3g}" if math.isfinite(x) else "n/a")


def _layout(values: dict) -> str:
    if not values:
        return "as written"
    return ", ".join(f"{short(k)} {v:g}" for k, v in values.items())




def _box(box) -> str:
    """A flip box in words: each assumption as code, "at most" or "above" its threshold."""
    if not box.rules:
        return "in every world"
    words = {"<=": "at most", ">": "above"}
    return " and ".join(f"{code_span(n)} {words[op]} {v:.3g}" for n, op, v in box.rules)


def findings_markdown(r) -> str:
    spec = r.study.spec
    obj = spec.objective
    factor = r.design_factor
    lines = [f"# {escape_markdown(spec.name)}: designs at their best, across plausible worlds", ""]
    if spec.description:
        lines += [spec.description, ""]
    lines += [f"Each design is optimised for the **nominal world** (its scenario as written): `{obj}` maximised "
              f"with the capacity planner's search under common random numbers ({spec.search.reps} replications "
              f"per layout), its cost (`{spec.search.cost_kpi}` a year) within the budget in at least "
              f"{spec.search.budget_probability:.0%} of them; no one-seat move or swap beats the optimum on the "
              "same replications."]
    if r.worlds is not None:
        lines += [f"The optima are then evaluated unchanged in {len(r.worlds)} worlds sampled "
                  f"({spec.uncertain.sampler}) from {len(r.worlds.names)} uncertain assumptions, "
                  f"{r.info['reps']} replications each, the same seeds in every world (root seed "
                  f"{r.info['root_seed']})."]
    lines.append("")
    groups: dict[tuple, list[int]] = {}
    for d, cell in enumerate(r.study.cells):
        groups.setdefault(tuple((f, v) for f, v in cell.levels.items() if f != factor), []).append(d)
    for g, ds in groups.items():
        title = ", ".join(f"{f}={v}" for f, v in g) or "all cells"
        lines += [f"## {escape_markdown(title)}", ""]
        worlds = r.per_world is not None
        lines += [f"| {factor} | best layout | {obj} (nominal) | cost a year | within budget | "
                  "best affordable one-seat move |" + (" mean across worlds |" if worlds else ""),
                  "|---|---|---|---|---|---|" + ("---|" if worlds else "")]
        for d in ds:
            o = r.optima[d]
            lv = r.study.cells[d].levels[factor]
            move = "none within budget"
            affordable = o.flatness[o.flatness["within_budget"]] if len(o.flatness) else o.flatness
            if len(affordable):
                top = affordable.iloc[0]
                move = f"{escape_markdown(str(top['move']))}: {value(obj, float(top['change']))}"
            lines.append(f"| {escape_markdown(lv)} | {escape_markdown(_layout(o.values))} | {value(obj, o.objective)} "
                         f"| {money(o.cost_per_year)} | {'yes' if o.feasible else 'NO'} ({o.p_within_budget:.0%}) "
                         f"| {move} |" + (f" {value(obj, float(r.per_world[d].mean()))} |" if worlds else ""))
        lines.append("")
        over = [r.study.cells[d].levels[factor] for d in ds if not r.optima[d].feasible]
        if over:  # a verdict between layouts that break the budget answers another question: say so first
            lines += [f"- **Not a comparison at this budget:** no layout of {', '.join(map(escape_markdown, over))} "
                      "within its seat bounds keeps the cost within the budget often enough; the figures below "
                      "compare layouts over it. Raise the budget or widen the bounds.", ""]
        for v in [v for v in r.verdicts if tuple(v.group.items()) == g]:
            b = v.beats
            lines.append(f"- **P({escape_markdown(v.b)} better than {escape_markdown(v.a)}) = {b.p:.0%}** "
                         f"[{b.lo:.0%}, {b.hi:.0%}] over {b.n} worlds ({b.wins} wins"
                         + (f", {b.ties} ties" if b.ties else "") + f"); mean margin {value(obj, v.margin_mean)}.")
            ranked = [i for i in v.indices if math.isfinite(i.s1)]
            if ranked:
                lines.append("- Sensitivity of the margin (first-order index, RBD-FAST): "
                             + "; ".join(f"`{i.name}` {i.s1:.2f} (+/-{i.conf:.2f})" for i in ranked[:4]) + ".")
            if v.flip.flips:
                lines.append(f"- The verdict flips (a depth-2 tree classifies {v.flip.accuracy:.0%} of the worlds):")
                for box in v.flip.boxes:
                    who = v.b if box.verdict else v.a
                    lines.append(f"  - {escape_markdown(who)} wins when {_box(box)} "
                                 f"({box.worlds} worlds, {escape_markdown(v.b)} wins in {box.share:.0%})")
            else:
                winner = v.b if v.flip.base_rate > 0.5 else v.a
                lines.append(f"- No assumption flips it: {escape_markdown(winner)} wins in every box of the tree.")
            lines.append("")
    lines.append(f"{r.simulations} simulations in {r.wall_s:.0f} s.")
    return "\n".join(lines) + "\n"
