"""Figures of the organization in one run: queues and bottlenecks, the spread
of rep bookings (Lorenz curve), and the POD family tree."""

from __future__ import annotations

from typing import Any

from sim.metrics.bottlenecks import SATURATED, find_bottlenecks
from sim.plots.canvas import BAD, MUTED, NEUTRAL, figure, missing, pct_axis, short_usd, week_axis
from sim.plots.run_figures import kpis_of, weekly_of


def queues_figure(result: Any, steps: dict[str, str | None] | None = None, title: str | None = None):
    """Queue length per role by week (left) and utilization per role (right),
    bottleneck roles (see :mod:`sim.metrics.bottlenecks`) drawn in red and named."""
    k, weekly = kpis_of(result), weekly_of(result)
    if steps is None and getattr(result, "scenario", None) is not None:
        steps = {name: st.role for name, st in result.scenario.steps.items()}
    flagged = {b.role: b for b in find_bottlenecks(k, weekly, steps)}
    fig, axes = figure(1, 2, (12, 4.8), width_ratios=[2, 1])
    ax_q, ax_u = axes[0]
    week = weekly["week"].to_numpy()
    roles = [r for r in k["roles"] if f"queue_{r}" in weekly.columns]
    palette = [f"C{i}" for i in range(10)]  # one colour per role; a bottleneck is drawn thick and named
    for i, r in enumerate(roles):
        is_hot = r in flagged
        ax_q.plot(week, weekly[f"queue_{r}"], lw=2.8 if is_hot else 1.3, color=palette[i % len(palette)],
                  ls="-" if is_hot or i < len(palette) else "--", label=f"{r} (bottleneck)" if is_hot else r)
    if roles:
        ax_q.legend(loc="upper left", frameon=False, fontsize="small", title="role")
    else:
        missing(ax_q, "queue series")
    ax_q.set_title("Queue length per role (weekly mean)")
    ax_q.set_ylabel("tasks waiting")
    week_axis(ax_q)
    ax_q.grid(alpha=0.3)

    names = list(k["roles"])
    utils = [k["roles"][r]["utilization"] or 0.0 for r in names]
    ax_u.barh(names, utils, color=[BAD if r in flagged else NEUTRAL for r in names])
    ax_u.axvline(SATURATED, color=MUTED, ls="--", lw=1)
    ax_u.text(SATURATED, len(names) - 0.4, f" {SATURATED:.0%}", color=MUTED, fontsize="small", va="bottom")
    for i, u in enumerate(utils):
        ax_u.text(u, i, f" {u:.0%}", va="center", fontsize="small")
    ax_u.invert_yaxis()
    ax_u.set_xlim(0, max(1.15, max(utils, default=0) * 1.15))
    ax_u.set_xlabel("utilization (work time / available time)")
    ax_u.set_ylabel("role")
    pct_axis(ax_u, "x")
    ax_u.set_title("Utilization over the horizon")
    name = k.get("scenario", "run")
    hot = ", ".join(f"{b.role} ({' and '.join(b.reasons)})" for b in flagged.values()) or "none"
    fig.suptitle(title or f"Queues and utilization of {name}; bottlenecks: {hot}")
    fig.set_label(f"Weekly queue length and utilization per role for {name}. Bottlenecks: {hot}.")
    return fig


def lorenz_points(bookings: list[float]) -> tuple[list[float], list[float]]:
    """Cumulative share of reps (poorest first) against cumulative share of bookings."""
    xs = sorted(max(b, 0.0) for b in bookings)
    total = sum(xs) or 1.0
    n = len(xs)
    cx, cy, acc = [0.0], [0.0], 0.0
    for i, b in enumerate(xs, 1):
        acc += b
        cx.append(i / n)
        cy.append(acc / total)
    return cx, cy


def lorenz_figure(result: Any, title: str | None = None):
    """Lorenz curve of bookings across the reps who close deals, against the
    line of equality; the Gini coefficient and top-20% share in the title."""
    k = kpis_of(result)
    reps = k.get("reps", [])
    fig, axes = figure(1, 1, (6.5, 6))
    ax = axes[0, 0]
    ax.plot([0, 1], [0, 1], color=MUTED, ls="--", lw=1, label="every rep books the same")
    if reps:
        cx, cy = lorenz_points([r["bookings_usd"] for r in reps])
        ax.plot(cx, cy, color=NEUTRAL, lw=2, marker="o", ms=3, label=f"{len(reps)} reps")
        ax.fill_between(cx, cx, cy, color=NEUTRAL, alpha=0.12)
    else:
        missing(ax, "reps who close deals")
    ax.set_xlabel("share of reps (lowest bookings first)")
    ax.set_ylabel("share of bookings")
    pct_axis(ax, "x")
    pct_axis(ax)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.legend(loc="upper left", frameon=False)
    ax.grid(alpha=0.3)
    gini, top = k.get("rep_bookings_gini"), k.get("top20_bookings_share")
    stats = (f"Gini {gini:.2f}, top 20% hold {top:.0%}" if gini is not None and top is not None else "")
    ax.set_title(title or f"Spread of bookings across reps{': ' + stats if stats else ''}")
    fig.set_label(f"Lorenz curve of bookings across {len(reps)} reps of {k.get('scenario', 'the run')}; {stats}.")
    return fig


def pod_tree_figure(result: Any, title: str | None = None):
    """The POD family tree: one row per POD, a bar from its birth to the end
    of the horizon labelled with its slice and ARR, an arrow from parent to
    child at each split date."""
    k = kpis_of(result)
    pods = k.get("pods") or []
    horizon = k.get("horizon_weeks", 0) * 7
    fig, axes = figure(1, 1, (11, 1.2 + 0.55 * max(len(pods), 1)))
    ax = axes[0, 0]
    if not pods:
        missing(ax, "PODs")
        fig.set_label("No PODs in this run.")
        return fig
    row = {p["name"]: i for i, p in enumerate(pods)}
    for p in pods:
        i = row[p["name"]]
        born = p.get("born_days") or 0.0
        ax.barh(i, horizon - born, left=born, height=0.55, color=NEUTRAL, alpha=0.75)
        ax.text(born + 3, i, f" {'/'.join(p.get('owns') or [])}  ARR {short_usd(p.get('arr_end_usd') or 0)}",
                va="center", fontsize="small", color="white" if horizon - born > horizon * 0.3 else "black")
    for split in k.get("pod_genealogy") or []:
        if split["parent"] in row and split["child"] in row:
            t = split["t_days"]
            x = t + horizon * 0.006 * (row[split["parent"]] % 4)  # splits on one day stay apart
            ax.annotate("", xy=(x, row[split["child"]]), xytext=(x, row[split["parent"]]),
                        arrowprops={"arrowstyle": "->", "color": BAD, "lw": 1.5})
            ax.text(t, row[split["child"]] + 0.38, f"split day {t:.0f}", fontsize="x-small", color=BAD, ha="center")
    ax.set_yticks(range(len(pods)), [p["name"] for p in pods])
    ax.invert_yaxis()
    ax.set_xlim(0, horizon or 1)
    ax.set_xlabel("day of the horizon")
    ax.set_ylabel("POD")
    ax.grid(axis="x", alpha=0.3)
    n = len(k.get("pod_genealogy") or [])
    ax.set_title(title or f"POD genealogy of {k.get('scenario', 'the run')}: {len(pods)} PODs, {n} splits")
    fig.set_label(f"POD family tree: {len(pods)} PODs with {n} splits; "
                  + "; ".join(f"{s['parent']} -> {s['child']} on day {s['t_days']:.0f}"
                              for s in k.get("pod_genealogy") or []) + ".")
    return fig
