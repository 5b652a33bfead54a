"""Figures of one run: the weekly overview, the bow-tie and the ARR bridge.

Each ``*_figure`` function takes a :class:`sim.Result` (or the parts of it
named in its docstring) and returns a matplotlib Figure; ``plot_*`` also
writes it to a PNG when given a path.
"""

from __future__ import annotations

import os
from typing import Any

from sim.plots.canvas import (
    BAD,
    GOOD,
    MUTED,
    NEUTRAL,
    count_axis,
    figure,
    missing,
    short_usd,
    usd_axis,
    week_axis,
    write,
)


def weekly_of(result: Any):
    """The weekly frame of a :class:`sim.Result`, or a weekly DataFrame as given."""
    weekly = getattr(result, "weekly", result)
    if not hasattr(weekly, "columns") or "week" not in weekly.columns:
        raise TypeError("plot_run expects a sim.Result or its weekly DataFrame (with a 'week' column)")
    return weekly


def kpis_of(result: Any) -> dict:
    k = getattr(result, "kpis", result)
    if not isinstance(k, dict) or "stages" not in k:
        raise TypeError("expected a sim.Result or its KPI dict")
    return k


def run_title(result: Any, n_weeks: int) -> str:
    kpis = getattr(result, "kpis", None) or {}
    if "scenario" not in kpis:
        return "salesim run"
    return f"{kpis['scenario']} (seed {kpis.get('seed')}, {kpis.get('horizon_weeks', n_weeks):g} weeks)"


def run_figure(result: Any, title: str | None = None):
    """The four-panel figure of one run: weekly bookings; ARR and cumulative
    recognized revenue; pipeline per stage at week end (log scale, so a large
    stage does not flatten the others); mean queue per role."""
    weekly = weekly_of(result)
    title = title or run_title(result, len(weekly))
    fig, axes = figure(2, 2, (12, 8))
    week = weekly["week"].to_numpy()
    (ax_b, ax_m), (ax_p, ax_q) = axes

    ax_b.bar(week, weekly["bookings_usd"], width=0.85, color=NEUTRAL)
    ax_b.set_title(f"Bookings per week (total {short_usd(weekly['bookings_usd'].sum())})")
    ax_b.set_ylabel("bookings (USD / week)")
    usd_axis(ax_b)

    if "arr_usd" in weekly.columns:
        ax_m.plot(week, weekly["arr_usd"], label="ARR at week end", color=GOOD, lw=2)
    if "revenue_usd" in weekly.columns:
        ax_m.plot(week, weekly["revenue_usd"].cumsum(), label="recognized revenue, cumulative",
                  color="tab:orange", lw=2)
    if "arr_usd" in weekly.columns or "revenue_usd" in weekly.columns:
        ax_m.legend(loc="upper left", frameon=False)
    else:
        missing(ax_m, "ARR or revenue")
    ax_m.set_title("ARR and recognized revenue")
    ax_m.set_ylabel("USD")
    usd_axis(ax_m)

    prefixed_panel(ax_p, week, weekly, "pipeline_", "stage", "Open pipeline per stage at week end",
                   "open leads (log scale)", "pipeline series", log=True)
    prefixed_panel(ax_q, week, weekly, "queue_", "role", "Queue length per role (weekly mean)",
                   "tasks waiting", "queue series")

    splits = sorted({s["t_days"] / 7 for s in (getattr(result, "kpis", None) or {}).get("pod_genealogy") or []})
    for ax in axes.flat:
        week_axis(ax)
        ax.set_xlim(week.min() - 0.5 if len(week) else 0, week.max() + 0.5 if len(week) else 1)
        ax.grid(alpha=0.3)
        for i, w in enumerate(splits):  # POD splits change capacity: mark them on every panel
            ax.axvline(w, color=MUTED, ls=":", lw=1.2, label="POD split" if i == 0 and ax is ax_b else None)
    if splits:
        ax_b.legend(loc="upper left", frameon=False)
    fig.suptitle(title, fontsize="x-large")
    fig.set_label(f"Four weekly charts of {title}: bookings per week, ARR and cumulative recognized revenue, "
                  "open pipeline per stage, and queue length per role"
                  + (f"; dotted lines mark POD splits in weeks {', '.join(f'{w:.0f}' for w in splits)}." if splits
                     else "."))
    return fig


def prefixed_panel(ax, week, weekly, prefix: str, legend_title: str, title: str, ylabel: str,
                   what: str, log: bool = False) -> list[str]:
    """One line per weekly column named ``prefix<name>`` (pipeline per stage, queue per role)."""
    cols = [c for c in weekly.columns if c.startswith(prefix)]
    for c in cols:
        ax.plot(week, weekly[c], label=c.removeprefix(prefix), lw=1.5)
    if cols:
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize="small", title=legend_title)
        if log:
            ax.set_yscale("symlog", linthresh=1.0)
    else:
        missing(ax, what)
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    if not log:
        count_axis(ax)
    return cols


def plot_run(result: Any, path: str | os.PathLike | None = None, title: str | None = None):
    """Plot one run (a :class:`sim.Result` or its ``weekly`` frame); write a PNG to
    ``path`` if given. Returns the matplotlib Figure (a notebook shows it inline)."""
    from sim.plots.canvas import check_png_target

    if path is not None:
        check_png_target(path, force=True)  # from Python: replaces a figure salesim wrote, nothing else
    return write(run_figure(result, title), path)


def bowtie_figure(result: Any, title: str | None = None):
    """The bow-tie: the funnel narrowing to the win on the left (bar height =
    leads entering each stage, labelled with conversion), the customer side
    opening after it on the right (accounts entering, labelled with ARR).

    Heights are on a square-root scale so a 30-lead stage is still visible
    next to a 3,000-lead one; the numbers are written on every bar.
    """
    import numpy as np

    k = kpis_of(result)
    left, right = k["stages"], k.get("customer_stages", [])
    fig, axes = figure(1, 1, (12, 5.5))
    ax = axes[0, 0]
    top = max([s["entered"] for s in left] + [s["entered"] for s in right] + [1])
    scale = lambda n: np.sqrt(n / top)  # noqa: E731
    xs = list(range(len(left))) + [len(left) + 0.4 + i for i in range(len(right))]
    heights = [scale(s["entered"]) for s in left] + [scale(s["entered"]) for s in right]
    colors = [NEUTRAL] * len(left) + [GOOD] * len(right)
    ax.bar(xs, heights, bottom=[-h / 2 for h in heights], width=0.8, color=colors, alpha=0.85)
    for x, s, h in zip(xs, left + right, heights, strict=True):
        conv = "" if s.get("conversion") is None else f"\n{s['conversion']:.0%} moved on"
        money = f"\n{short_usd(s['arr_usd'])} ARR" if "arr_usd" in s and s["entered"] else ""
        ax.text(x, max(h / 2, 0.02) + 0.02, f"{s['entered']:,}{conv}{money}", ha="center", va="bottom",
                fontsize="small")
    ax.set_xticks(xs, [s["stage"].replace("_", " ") for s in left + right], rotation=30, ha="right")
    ax.set_yticks([])
    ax.set_ylim(-0.6, 0.95)
    ax.set_ylabel("leads / accounts entering (bar height ~ square root)")
    if right:
        ax.axvline(len(left) - 0.3, color=MUTED, ls=":", lw=1)
        ax.text(len(left) - 0.3, -0.58, " after the sale ->", color=MUTED, fontsize="small")
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    name = k.get("scenario", "run")
    ax.set_title(title or f"Bow-tie of {name}: {k['leads_created']:,} leads, {k['leads_won']:,} won")
    fig.set_label(f"Bow-tie of {name}: leads entering each funnel stage ({', '.join(s['stage'] for s in left)}) "
                  f"and accounts entering each customer stage ({', '.join(s['stage'] for s in right) or 'none'}), "
                  "with conversion and ARR written on each bar.")
    return fig


BRIDGE = (("arr_new_usd", "new", 1), ("arr_expansion_usd", "expansion", 1),
          ("arr_contraction_usd", "contraction", -1), ("arr_churned_usd", "churn", -1))


def bridge_figure(result: Any, title: str | None = None):
    """The ARR bridge as a waterfall: ARR at the start, + new, + expansion,
    - contraction, - churn, = ARR at the end (six bars)."""
    k = kpis_of(result)
    if "arr_end_usd" not in k:
        raise TypeError("this run reports no ARR (no customer side)")
    steps = [(label, sign * abs(k[key])) for key, label, sign in BRIDGE]
    end = k["arr_end_usd"]
    start = end - sum(v for _, v in steps)
    fig, axes = figure(1, 1, (9, 5))
    ax = axes[0, 0]
    names, bottoms, heights, colors = ["start"], [0.0], [start], [MUTED]
    level = start
    for label, v in steps:
        names.append(label)
        bottoms.append(level if v >= 0 else level + v)
        heights.append(abs(v))
        colors.append(GOOD if v >= 0 else BAD)
        level += v
    names.append("end")
    bottoms.append(0.0)
    heights.append(end)
    colors.append(NEUTRAL)
    ax.bar(range(len(names)), heights, bottom=bottoms, color=colors, width=0.7)
    signs = ["", "+", "+", "-", "-", ""]
    for i, (b, h) in enumerate(zip(bottoms, heights, strict=True)):
        ax.text(i, b + h, f"{signs[i]}{short_usd(h)}", ha="center", va="bottom", fontsize="small")
    ax.set_xticks(range(len(names)), names)
    ax.set_ylim(0, max(max(b + h for b, h in zip(bottoms, heights, strict=True)), 1.0) * 1.12)
    ax.set_ylabel("ARR (USD)")
    usd_axis(ax)
    ax.grid(axis="y", alpha=0.3)
    name = k.get("scenario", "run")
    ax.set_title(title or f"ARR bridge of {name} over {k.get('horizon_weeks', 0):g} weeks")
    fig.set_label(f"Waterfall of ARR for {name}: start {short_usd(start)}, "
                  + ", ".join(f"{label} {short_usd(v)}" for label, v in steps) + f", end {short_usd(end)}.")
    return fig
