"""Plain-language findings of a factorial study (``findings.md``).

Why generated: the tables (effects, variance shares, cell means) answer the
question, but a reader deciding between organizations wants it in one
paragraph per KPI: which factor explains how much of the difference, which
way it points, whether the replications can tell it from noise, and where
the factors interact (the conditions under which one side wins). The text
is built only from the tables, so it says what was measured and nothing
more; an effect whose confidence interval straddles zero is reported as not
resolved rather than as a direction.

Every name and text that comes from the study file (its name, description,
factors and levels) goes through :func:`sim.textsafe.escape_markdown`, and
KPI names are code spans, so no link, HTML or heading can be slipped into the
rendered file.
"""

from __future__ import annotations

import math
from typing import Any

from sim.textsafe import code_span
from sim.textsafe import escape_markdown as md

LABELS = {
    "arr_end_usd": "ARR at the end", "bookings_usd": "bookings", "cost_per_arr_usd": "cost per $ of ARR",
    "costs.total_usd": "total cost", "grr_trailing_12m": "GRR (trailing 12 months)",
    "nrr_trailing_12m": "NRR (trailing 12 months)", "win_rate": "win rate",
    "win_rate_stability": "quarterly win-rate spread (std; lower is steadier)",
    "win_rate_stability_detrended": "quarterly win-rate spread around its trend (std; lower is steadier)",
    "key_person_exposure.max_pipeline_usd": "key-person exposure (largest pipeline a leaver held)",
    "key_person_exposure.max_arr_usd": "key-person exposure (largest ARR a leaver held)",
    "top_departure.recovery_weeks": "weeks until bookings recover after the top rep leaves",
    "top_departure.dip": "bookings dip in the quarter after the top rep leaves",
    "leads_won": "wins", "customers_end": "customers at the end",
}


def label(kpi: str) -> str:
    return f"{LABELS[kpi]} ({code_span(kpi)})" if kpi in LABELS else code_span(kpi)


def fmt(kpi: str, v: float, signed: bool = False) -> str:
    """A value in the KPI's unit: dollars for ``*_usd``, else three significant digits."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "n/a"
    sign = "+" if signed and v > 0 else ("-" if v < 0 else "")
    a = abs(v)
    money = "_usd" in kpi and "per_arr" not in kpi
    cur = "$" if money else ""
    if money:
        for div, unit in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
            if a >= div:
                return f"{sign}{cur}{a / div:.3g}{unit}"
    elif a >= 1e4:
        return f"{sign}{a:,.0f}"
    return f"{sign}{cur}{a:.3g}"


def pct(x: float) -> str:
    return "n/a" if x is None or math.isnan(x) else f"{100 * x:.0f}%"


def _clear(r) -> bool:
    return bool(r["ci_low"] > 0 or r["ci_high"] < 0)


def _effect_line(kpi: str, r) -> str:
    if r["estimate"] == 0 and r["ci_low"] == 0 and r["ci_high"] == 0:
        what = (f"{md(r['factor'])} = {md(r['level'])} instead of {md(r['reference'])}" if r["kind"] == "main" else
                f"interaction of {md(r['factor'])} = {md(r['level'])} and {md(r['factor_b'])} = {md(r['level_b'])}")
        return f"- {what}: none (identical in every replication under common random numbers)"
    ci = f"95% CI {fmt(kpi, r['ci_low'], True)} to {fmt(kpi, r['ci_high'], True)}"
    if r["kind"] == "main":
        what = f"{md(r['factor'])} = {md(r['level'])} instead of {md(r['reference'])}"
    else:
        size = "larger" if r["estimate"] > 0 else "smaller"
        what = (f"the effect of {md(r['factor_b'])} = {md(r['level_b'])} (vs {md(r['reference_b'])}) is "
                f"{fmt(kpi, abs(r['estimate']))} {size} when {md(r['factor'])} = {md(r['level'])} than when "
                f"{md(r['factor'])} = {md(r['reference'])}")
        return f"- interaction: {what} ({ci}){'' if _clear(r) else '; not resolved: could be zero'}"
    verdict = "" if _clear(r) else "; not resolved: could be zero"
    return f"- {what}: {fmt(kpi, r['estimate'], True)} ({ci}){verdict}"


def kpi_paragraph(kpi: str, effects, variance, cells, factors: list[str]) -> list[str]:
    lines = [f"## {label(kpi)}", ""]
    c = cells[cells["kpi"] == kpi].dropna(subset=["mean"])
    if len(c):
        hi, lo = c.loc[c["mean"].idxmax()], c.loc[c["mean"].idxmin()]
        where = lambda r: ", ".join(f"{md(f)}={md(r[f])}" for f in factors)  # noqa: E731
        if fmt(kpi, lo["mean"]) == fmt(kpi, hi["mean"]):
            lines.append(f"Cell means are all about {fmt(kpi, hi['mean'])}.")
        else:
            lines.append(f"Cell means run from {fmt(kpi, lo['mean'])} ({where(lo)}) to {fmt(kpi, hi['mean'])} "
                         f"({where(hi)}).")
    else:
        lines.append("Not defined in any replication of this study (e.g. the horizon is too short for it, or "
                     "the event it measures never happened), so it has no effects.")
    v = variance[variance["kpi"] == kpi]
    if len(v) and v["share"].notna().any():
        between = v[v["kind"].isin(["main", "interaction", "rest"])]
        total_between = between["sum_sq"].sum()
        parts = []
        if total_between <= 0:
            parts.append("there is none: no factor changes this KPI (the same in every cell under common "
                         "random numbers)")
        for _, r in between.sort_values("sum_sq", ascending=False).iterrows():
            if total_between <= 0:
                break
            share = r["sum_sq"] / total_between if total_between > 0 else math.nan
            if share >= 0.01 or r["kind"] == "main":
                parts.append(f"{md(r['source'])} {pct(share)}")
        noise = v[v["kind"] == "noise"]
        shared = float(noise["share"].iloc[0]) if len(noise) else math.nan
        within = float(noise["share"].iloc[1]) if len(noise) > 1 else math.nan
        lines.append(f"Of the difference between cells, {'; '.join(parts)}. "
                     f"Across all runs the rest is noise: {pct(shared + within)} of the variation "
                     f"({pct(shared)} luck shared by every cell, which common random numbers take out of the "
                     f"effects below, and {pct(within)} within cells).")
    e = effects[effects["kpi"] == kpi] if len(effects) else effects
    if len(e):
        lines += ["", "Effects (each averaged over the other factors' levels):"]
        lines += [_effect_line(kpi, r) for _, r in e[e["kind"] == "main"].iterrows()]
        inter = e[e["kind"] == "interaction"]
        shown = [r for _, r in inter.iterrows() if _clear(r)]
        if len(inter) and all(r["estimate"] == 0 == r["ci_low"] == r["ci_high"] for _, r in inter.iterrows()):
            inter = inter.iloc[:0]  # nothing to say beyond the main effects
        lines += [_effect_line(kpi, r) for r in shown]
        if len(inter) and len(shown) < len(inter):
            lines.append(f"- {'no other' if shown else 'no'} two-way interaction is distinguishable from zero "
                         f"with these replications ({len(inter) - len(shown)} of {len(inter)}; all in effects.csv)")
    lines.append("")
    return lines


def findings_markdown(study, eff, reps: int, root_seed: int, rows: Any) -> str:
    """The findings of one study as Markdown: a header, then one section per KPI."""
    spec = study.spec
    factors = list(eff.factors)
    ncell = len(study.cells)
    design = ("full factorial" if spec.design == "full" else
              f"half fraction (resolution {study.resolution})")
    failed = int(rows["error"].notna().sum()) if "error" in rows.columns else 0
    head = [f"# Findings: {md(spec.name)}", ""]
    if spec.description and spec.description.strip():
        head += [md(spec.description), ""]  # one line, escaped: the user's words, never Markdown
    described = ", ".join(f"{md(f)} ({' / '.join(md(x) for x in lv)})" for f, lv in eff.factors.items())
    head.append(f"{ncell} cells ({design} of {described}), "
                f"{reps} replication(s) each under common random numbers (root seed {root_seed}); "
                "intervals are 95% Student-t from a regression with the replication as a block. "
                "An effect is measured from the factor's first level.")
    if not eff.interactions:
        head.append("Two-way interactions are aliased with each other in this fraction and are not estimated; "
                    "they are part of 'higher-order interactions'.")
    if failed:
        head.append(f"{failed} replication(s) failed and are left out (see replications.parquet).")
    if reps < 2:
        head.append("With one replication there is no estimate of noise: intervals are not available.")
    head.append("")
    body: list[str] = frontier_lines(spec.frontier, eff.cells, factors) if spec.frontier else []
    for kpi in spec.kpis:
        body += kpi_paragraph(kpi, eff.effects, eff.variance, eff.cells, factors)
    return "\n".join(head + body).rstrip() + "\n"


def frontier_lines(frontier, cells, factors: list[str]) -> list[str]:
    """Cells that no other cell beats on both KPIs (higher ``maximize``, lower ``minimize``)."""
    up, down = frontier.maximize, frontier.minimize
    a = cells[cells["kpi"] == up].set_index(factors)["mean"]
    b = cells[cells["kpi"] == down].set_index(factors)["mean"]
    both = [(k, a[k], b[k]) for k in a.index if k in b.index and not (math.isnan(a[k]) or math.isnan(b[k]))]
    best = [(k, x, y) for k, x, y in both
            if not any(x2 >= x and y2 <= y and (x2 > x or y2 < y) for _, x2, y2 in both)]
    best.sort(key=lambda t: -t[1])
    lines = [f"## Frontier: {label(up)} against {label(down)}", "",
             f"Cells no other cell beats on both (more {md(up)}, less {md(down)}), best {md(up)} first:"]
    for k, x, y in best:
        k = k if isinstance(k, tuple) else (k,)
        where = ", ".join(f"{md(f)}={md(lv)}" for f, lv in zip(factors, k, strict=True))
        lines.append(f"- {where}: {fmt(up, x)}, {md(down)} {fmt(down, y)}")
    lines.append(f"Every other cell is dominated: another cell has at least as much {md(up)} for at most the "
                 f"{md(down)}.")
    return lines + [""]
