"""Figures of Monte Carlo studies: the batch fan, paired comparisons, sweeps,
factorial effects and the capacity planner's frontier.

Each takes the DataFrames a study returns (or writes: ``fan.csv``,
``comparison.csv``, ``replications.parquet``, ``tornado.csv``), so the same
figure comes from Python, from ``--plot`` and from ``salesim report``.
"""

from __future__ import annotations

import os
from typing import Any

from sim.errors import UsageError
from sim.metrics.registry import better_of
from sim.plots.canvas import (
    BAD,
    GOOD,
    LABELS,
    MUTED,
    NEUTRAL,
    check_png_target,
    figure,
    format_axis_for,
    kpi_label,
    kpi_unit,
    short_usd,
    week_axis,
    write,
)


def good_bad(kpi: str, change: float) -> str:
    """Green when ``change`` moves ``kpi`` the good way (the registry's :func:`better_of`: a lower cost
    per ARR is better), red when the bad way, blue when the KPI has no good direction."""
    way = better_of(kpi)
    if way == 0 or change == 0:
        return NEUTRAL
    return GOOD if change * way > 0 else BAD

def fan_figure(fan_df: Any, column: str | None = None, title: str | None = None, scenario: str | None = None,
               reps: int | None = None):
    """Percentile bands of a weekly series across replications.

    ``fan_df`` is what :func:`sim.experiments.fan` returns (``BatchResult.fan``
    or ``.fan_of(column)``: one row per week, ``p5 p25 p50 p75 p95 mean``), or
    a batch's weekly table (``BatchResult.weekly``), whose fan of ``column`` is
    then computed here. The title names the scenario, the series with its unit
    and the number of replications when they are known.
    """
    if "rep" in getattr(fan_df, "columns", ()):  # a batch's weekly table
        from sim.experiments.montecarlo.stats import fan

        reps = reps or int(fan_df["rep"].nunique())
        fan_df = fan(fan_df, column)
    if fan_df is None or not len(fan_df):
        raise UsageError("no fan to plot (the batch kept no weekly series?)")
    series = fan_df.attrs.get("series") or column or "weekly series"
    reps = reps or fan_df.attrs.get("replications")
    fig, axes = figure(1, 1, (10, 5.5))
    ax = axes[0, 0]
    week = fan_df.index.to_numpy()
    cols = set(fan_df.columns)
    if {"p5", "p95"} <= cols:
        ax.fill_between(week, fan_df["p5"], fan_df["p95"], color=NEUTRAL, alpha=0.18, label="5th-95th percentile")
    if {"p25", "p75"} <= cols:
        ax.fill_between(week, fan_df["p25"], fan_df["p75"], color=NEUTRAL, alpha=0.35, label="25th-75th percentile")
    if "p50" in cols:
        ax.plot(week, fan_df["p50"], color=NEUTRAL, lw=2, label="median")
    if "mean" in cols:
        ax.plot(week, fan_df["mean"], color="black", lw=1, ls="--", label="mean")
    ax.legend(loc="upper left", frameon=False)
    week_axis(ax)
    words = series.split()
    base = words[-1] if words else series
    pretty = " ".join([*words[:-1], LABELS.get(base, base)]) if words else series
    unit = kpi_unit(base)
    ax.set_ylabel(f"{pretty} ({unit})" if unit else pretty)
    format_axis_for(ax, base)
    ax.grid(alpha=0.3)
    who = f"{scenario}: " if scenario else ""
    n = f" ({reps} replications)" if reps else ""
    default = f"{who}{pretty[:1].upper()}{pretty[1:]} by week, spread across replications{n}"
    ax.set_title(title or default)
    fig.set_label(f"Fan chart: percentile bands (5-95, 25-75), median and mean of {pretty}"
                  f"{' in ' + unit if unit else ''} by week{' for ' + scenario if scenario else ''}{n}.")
    return fig


def plot_fan(fan_df: Any, path: str | os.PathLike | None = None, column: str | None = None,
             title: str | None = None, scenario: str | None = None, reps: int | None = None):
    """Plot a batch's fan (see :func:`fan_figure`); write a PNG to ``path`` if given."""
    if path is not None:
        check_png_target(path, force=True)  # from Python: replaces a figure salesim wrote, nothing else
    return write(fan_figure(fan_df, column, title, scenario, reps), path)


HEADLINE = ("arr_end_usd", "bookings_usd", "leads_won", "win_rate", "costs.total_usd", "cost_per_arr_usd",
            "grr_trailing_12m", "nrr_trailing_12m", "customers_end", "cac_usd")


def compare_figure(paired: Any, kpis: list[str] | None = None, title: str | None = None):
    """Paired differences to the baseline with their 95% CIs, one row per KPI
    (and per challenger), as a share of the baseline mean so KPIs in different
    units share one axis; the absolute difference is written on each row."""
    import numpy as np

    p = paired[paired["n"] > 0] if "n" in paired.columns else paired
    if kpis is None:
        kpis = [k for k in HEADLINE if k in set(p["kpi"])] or list(dict.fromkeys(p["kpi"]))[:10]
    p = p[p["kpi"].isin(kpis)]
    challengers = list(dict.fromkeys(p["scenario"]))
    base_name = p["baseline"].iloc[0] if len(p) else "baseline"
    rows = [(k, c) for k in kpis for c in challengers if len(p[(p["kpi"] == k) & (p["scenario"] == c)])]
    fig, axes = figure(1, 1, (10, 1.4 + 0.5 * max(len(rows), 1)))
    ax = axes[0, 0]
    for i, (k, c) in enumerate(rows):
        r = p[(p["kpi"] == k) & (p["scenario"] == c)].iloc[0]
        scale = abs(r["baseline_mean"]) or np.nan
        d, lo, hi = r["diff"] / scale, r["diff_ci_low"] / scale, r["diff_ci_high"] / scale
        color = MUTED if (lo <= 0 <= hi) else good_bad(k, d)  # unresolved grey; else better green, worse red
        if np.isfinite(d):
            ax.errorbar(d, i, xerr=[[d - lo], [hi - d]], fmt="o", color=color, capsize=4)
        absolute = short_usd(r["diff"]) if kpi_unit(k) == "USD" else f"{r['diff']:+,.3g}"
        ax.text(1.01, i, absolute, transform=ax.get_yaxis_transform(), va="center", fontsize="small")
    ax.axvline(0, color="black", lw=1)
    labels = [k if len(challengers) == 1 else f"{k} ({c})" for k, c in rows]
    ax.set_yticks(range(len(rows)), labels)
    ax.invert_yaxis()
    from matplotlib.ticker import PercentFormatter

    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel(f"paired difference to {base_name}, % of its mean (95% CI); absolute difference at right")
    ax.set_ylabel("KPI")
    ax.grid(axis="x", alpha=0.3)
    n = int(p["n"].max()) if "n" in p.columns and len(p) else 0
    ax.set_title(title or f"{', '.join(challengers)} vs {base_name}: {n} paired replications")
    fig.set_label(f"Paired differences of {', '.join(challengers)} against {base_name} for {len(kpis)} KPIs "
                  f"with 95% confidence intervals, over {n} paired replications; grey = interval includes zero, blue = "
                  "it does not.")
    return fig


def sweep_figure(replications: Any, params: list[str], metric: str, title: str | None = None):
    """The metric's mean and 95% CI at each level of each swept parameter (one
    panel per parameter; design points only, other parameters averaged over)."""
    from sim.experiments.montecarlo.stats import t_interval

    df = replications
    if "design" in df.columns:
        df = df[df["design"] == "design"]
    if "error" in df.columns:
        df = df[df["error"].isna()]
    fig, axes = figure(1, max(len(params), 1), (4.5 * max(len(params), 1), 4.2), sharey=True)
    for ax, param in zip(axes[0], params, strict=False):
        col = f"param:{param}"
        levels, means, los, his = [], [], [], []
        for level, g in df.groupby(col):
            x = g[metric].dropna().to_numpy(dtype=float)
            if not len(x):
                continue
            lo, hi = t_interval(x) if len(x) > 1 else (x.mean(), x.mean())
            levels.append(level)
            means.append(x.mean())
            los.append(x.mean() - lo)
            his.append(hi - x.mean())
        ax.errorbar(levels, means, yerr=[los, his], fmt="o-", color=NEUTRAL, capsize=3)
        if all(float(v).is_integer() for v in levels):
            from matplotlib.ticker import MaxNLocator

            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel(param)
        ax.grid(alpha=0.3)
        format_axis_for(ax, metric)
    axes[0, 0].set_ylabel(f"mean {kpi_label(metric)}")
    ax0 = axes[0, 0]
    ax0.figure.suptitle(title or f"{metric} by parameter level (mean and 95% CI)")
    fig.set_label(f"Mean {metric} with 95% confidence intervals at each level of "
                  f"{', '.join(params)}.")
    return fig


def tornado_figure(tornado: Any, metric: str | None = None, title: str | None = None):
    """Tornado: for each parameter, the metric at its LOW and HIGH value (others
    at base) as a bar around the base value, widest swing on top."""
    t = tornado
    if metric is not None and "metric" in t.columns:
        t = t[t["metric"] == metric]
    if not len(t):
        raise UsageError("no tornado rows to plot")
    metric = metric or t["metric"].iloc[0]
    t = t.assign(width=(t["at_high"] - t["at_low"]).abs()).sort_values("width", ascending=True)
    base = float(t["at_base"].iloc[0])
    fig, axes = figure(1, 1, (10, 1.4 + 0.55 * len(t)))
    ax = axes[0, 0]
    for i, (_, r) in enumerate(t.iterrows()):
        ax.barh(i, r["at_low"] - base, left=base, color=BAD, alpha=0.8,
                label="parameter at LOW" if i == 0 else None)
        ax.barh(i, r["at_high"] - base, left=base, color=GOOD, alpha=0.8,
                label="parameter at HIGH" if i == 0 else None)
    ax.axvline(base, color="black", lw=1)
    ax.set_yticks(range(len(t)), [f"{r['param']} [{r['low']:g}, {r['high']:g}]" for _, r in t.iterrows()])
    ax.set_xlabel(kpi_label(metric))
    ax.set_ylabel("parameter [LOW, HIGH]")
    format_axis_for(ax, metric, "x")
    ax.legend(loc="lower right", frameon=False, fontsize="small")
    ax.grid(axis="x", alpha=0.3)
    ax.set_title(title or f"Tornado: {metric} when one parameter moves to LOW or HIGH")
    fig.set_label(f"Tornado chart of {metric} for {len(t)} parameters around the base value; widest swing on top.")
    return fig


def effects_figure(effects: Any, kpi: str, title: str | None = None):
    """Main effects and two-way interactions of a factorial study on one KPI,
    each with its 95% CI (in the KPI's unit); grey = the interval includes zero."""
    import numpy as np

    e = effects[effects["kpi"] == kpi]
    if not len(e):
        raise UsageError(f"no effects on {kpi} to plot")
    labels, est, lo, hi = [], [], [], []
    for _, r in e.iterrows():
        label = f"{r['factor']}: {r['level']}"
        if isinstance(r.get("factor_b"), str) and r["factor_b"]:
            label += f" x {r['factor_b']}: {r['level_b']}"
        labels.append(label)
        est.append(float(r["estimate"]))
        lo.append(float(r["ci_low"]))
        hi.append(float(r["ci_high"]))
    fig, axes = figure(1, 1, (10, 1.4 + 0.5 * len(labels)))
    ax = axes[0, 0]
    for i, (d, a, b) in enumerate(zip(est, lo, hi, strict=True)):
        color = MUTED if (a <= 0 <= b) or not np.isfinite(a) else good_bad(kpi, d)  # by what is good for the KPI
        ax.errorbar(d, i, xerr=[[max(d - a, 0.0)], [max(b - d, 0.0)]] if np.isfinite(a) else None, fmt="o",
                    color=color, capsize=4)
    ax.axvline(0, color="black", lw=1)
    ax.set_yticks(range(len(labels)), labels)
    ax.invert_yaxis()
    ax.set_xlabel(f"effect on {kpi_label(kpi)} (95% CI)")
    ax.set_ylabel("factor: level (vs the first level)")
    format_axis_for(ax, kpi, "x")
    ax.grid(axis="x", alpha=0.3)
    ax.set_title(title or f"Effects on {kpi}")
    fig.set_label(f"Main effects and interactions on {kpi} with 95% confidence intervals: "
                  + "; ".join(f"{lab} {short_usd(d) if kpi_unit(kpi) == 'USD' else format(d, '+,.3g')}"
                              for lab, d in zip(labels, est, strict=True)) + ".")
    return fig



def frontier_figure(r):
    """The capacity planner's frontier (``frontier.png``, the plan section of ``salesim report``):
    every plan evaluated (cost vs P, with its interval), the frontier, P and the recommendation."""
    fig, axes = figure(1, 1, (8, 5))
    ax = axes[0][0]
    c = r.candidates
    err = [c["probability"] - c["ci_low"], c["ci_high"] - c["probability"]]
    ax.errorbar(c["objective"], c["probability"], yerr=err, fmt="o", color="0.6", ms=4, lw=0.8,
                label="plans evaluated (95% CI)")
    f = r.frontier
    ax.step(f["objective"], f["probability"], where="post", color="C0", lw=1.8, label="frontier")
    ax.axhline(r.probability, color="C3", ls="--", lw=1, label=f"required P = {r.probability:.0%}")
    if r.recommended is not None:
        ax.plot([r.recommended["objective"]], [r.recommended["probability"]], "*", color="C2", ms=16,
                label="recommended")
    ax.set_xlabel(f"mean {r.objective}")
    ax.set_ylabel("P(all targets met)")
    ax.set_ylim(-0.02, 1.02)
    format_axis_for(ax, r.objective, "x")
    ax.set_title(f"Cost vs probability: {' and '.join(r.targets)}")
    ax.legend(loc="lower right", fontsize=8)
    rec = r.recommended
    fig.set_label(f"{len(c)} plans evaluated, mean {r.objective} against the probability that all targets "
                  f"({', '.join(r.targets)}) are met, with the frontier and the required P of {r.probability:.0%}"
                  + (f"; the recommended plan costs {short_usd(rec['objective'])} with P {rec['probability']:.0%}."
                     if rec is not None and r.objective.endswith("_usd") else "."))
    return fig
