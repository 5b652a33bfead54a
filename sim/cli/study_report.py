"""Text reports of studies: KPI summaries, fans, targets, comparisons, sweeps.

Why plain text tables: the terminal report is for reading at a glance; every
number in it is also in the study folder (CSV/Parquet) for plotting.
"""

from __future__ import annotations

import math

from sim.cli.render import table
from sim.report.text import number, p_value


def num(x, pct: bool = False) -> str:
    """A number for a table: thousands separators for large values, a few digits otherwise."""
    if pct:
        try:
            v = float(x)
        except (TypeError, ValueError):
            return number(x)
        return number(v) if math.isnan(v) else f"{v:.1%}"
    return number(x)


def summary_table(summary, kpis: list[str]) -> list[str]:
    lo = next(c for c in summary.columns if c.endswith("_low"))
    hi = next(c for c in summary.columns if c.endswith("_high"))
    level = lo.removeprefix("ci").removesuffix("_low")
    rows = []
    for k in kpis:
        if k not in summary.index or summary.loc[k, "n"] == 0:
            continue
        s = summary.loc[k]
        rows.append([k, num(s["mean"]), num(s["std"]), f"[{num(s[lo])}, {num(s[hi])}]",
                     num(s["p5"]), num(s["p50"]), num(s["p95"]), str(int(s["n"]))])
    return table(["kpi", "mean", "std", f"{level}% CI of mean", "p5", "p50", "p95", "n"], rows)


def fan_lines(fan, every: int = 13) -> list[str]:
    if fan is None or not len(fan):
        return []
    weeks = list(fan.index)
    picks = sorted(set(weeks[every - 1::every]) | {weeks[-1]})
    cols = [c for c in fan.columns if c.startswith("p")]
    rows = [[f"week {int(w) + 1}", *(num(fan.loc[w, c]) for c in cols)] for w in picks]
    return [f"Weekly fan: {fan.attrs.get('series', '')} (percentiles across replications)",
            *table(["", *cols], rows)]


def target_lines(targets) -> list[str]:
    if targets is None or not len(targets):
        return []
    lines = ["Targets (share of replications; Wilson 95% interval)"]
    for _, t in targets.iterrows():
        lines.append(f"P({t['kpi']} {t['op']} {num(t['target'])}) = {num(t['probability'], pct=True)}  "
                     f"[{num(t['ci_low'], pct=True)}, {num(t['ci_high'], pct=True)}]  "
                     f"({int(t['hits'])} of {int(t['n'])})")
    return lines


def side_by_side_lines(means, kpis: list[str]) -> list[str]:
    cols = list(means.columns)
    rows = [[k, *(num(means.loc[k, c]) for c in cols)] for k in kpis if k in means.index]
    return table(["kpi", *cols], rows)


def paired_lines(paired, kpis: list[str], challenger: str, baseline: str) -> list[str]:
    p = paired[(paired["scenario"] == challenger) & paired["kpi"].isin(kpis)].set_index("kpi")
    rows = []
    for k in kpis:
        if k not in p.index or p.loc[k, "n"] == 0:
            continue
        r = p.loc[k]
        rows.append([k, num(r["baseline_mean"]), num(r["mean"]), num(r["diff"]),
                     f"[{num(r['diff_ci_low'])}, {num(r['diff_ci_high'])}]", p_value(r["p_value"]),
                     num(r["p_higher"], pct=True), num(r["variance_reduction"], pct=True)])
    head = [f"{challenger} vs {baseline} (paired, common random numbers)"]
    return head + table(["kpi", baseline, challenger, "diff", "95% CI of diff", "p-value", "P(higher)",
                         "CRN var. cut"], rows)
