"""Figures of a run and of a batch, as PNG files (presentation layer).

Why object-oriented matplotlib on the Agg canvas rather than ``pyplot``: a
:class:`~matplotlib.figure.Figure` built directly holds no global state, so
plotting from the CLI, a test or a notebook never switches the caller's
backend or leaks open figures; and matplotlib is imported inside the
functions, so ``import sim`` stays light.

Files are written like every other salesim output: checked before any
simulation time is spent (:func:`check_png_target`), then rendered to a
temporary file in the same folder and renamed into place, so a failure never
leaves a half-written PNG behind.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from sim.errors import UsageError
from sim.outpaths import check_parent, make_parent

DPI = 110
LABELS = {"arr_usd": "ARR", "mrr_usd": "MRR", "bookings_usd": "bookings", "revenue_usd": "recognized revenue",
          "cash_usd": "cash collected", "customers": "customers"}


def check_png_target(path: str | os.PathLike, flag: str = "--plot") -> Path:
    """Refuse a PNG path we cannot write, before the run: exit-2 message, no traceback."""
    p = Path(path)
    if p.is_dir():
        raise UsageError(f"{flag} {p}: is a folder; give a file name such as {p / 'run.png'}")
    if p.suffix.lower() != ".png":
        raise UsageError(f"{flag} {p}: expected a file name ending in .png")
    check_parent(p, flag)
    return p


def save_png(fig, path: str | os.PathLike, flag: str = "--plot") -> Path:
    """Render ``fig`` to ``path`` atomically (temporary sibling file, then rename)."""
    p = check_png_target(path, flag)
    make_parent(p, flag)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.resolve().parent)
    except OSError as exc:
        raise UsageError(f"{flag} {p}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fig.savefig(fh, format="png", dpi=DPI)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; the result is an ordinary file
        os.replace(tmp, p)
    except OSError as exc:
        _remove(tmp)
        raise UsageError(f"{flag} {p}: {exc.strerror or exc}") from None
    except BaseException:
        _remove(tmp)
        raise
    return p


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _figure(nrows: int, ncols: int, size: tuple[float, float]):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, squeeze=False)
    return fig, axes


def _usd_axis(ax) -> None:
    from matplotlib.ticker import FuncFormatter

    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"${v:,.0f}" if v >= 0 else f"-${-v:,.0f}"))


def _count_axis(ax) -> None:
    from matplotlib.ticker import FuncFormatter

    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}" if float(v).is_integer() else f"{v:,.1f}"))


def _week_axis(ax) -> None:
    from matplotlib.ticker import MaxNLocator

    ax.set_xlabel("week")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def _missing(ax, what: str) -> None:
    ax.text(0.5, 0.5, f"no {what} in this run", ha="center", va="center", transform=ax.transAxes, color="0.4")


def _weekly_of(result: Any):
    """The weekly frame of a :class:`sim.Result`, or a weekly DataFrame as given."""
    weekly = getattr(result, "weekly", result)
    if not hasattr(weekly, "columns") or "week" not in weekly.columns:
        raise TypeError("plot_run expects a sim.Result or its weekly DataFrame (with a 'week' column)")
    return weekly


def run_figure(result: Any, title: str | None = None):
    """The four-panel figure of one run: weekly bookings; ARR and cumulative
    recognized revenue; pipeline per stage at week end; mean queue per role."""
    weekly = _weekly_of(result)
    if title is None:
        kpis = getattr(result, "kpis", None) or {}
        title = (f"{kpis['scenario']} (seed {kpis.get('seed')}, {kpis.get('horizon_weeks', len(weekly)):g} weeks)"
                 if "scenario" in kpis else "salesim run")
    fig, axes = _figure(2, 2, (12, 8))
    week = weekly["week"].to_numpy()
    (ax_b, ax_m), (ax_p, ax_q) = axes

    ax_b.bar(week, weekly["bookings_usd"], width=0.85, color="tab:blue")
    ax_b.set_title(f"Bookings per week (total ${weekly['bookings_usd'].sum():,.0f})")
    ax_b.set_ylabel("bookings (USD / week)")
    _usd_axis(ax_b)

    if "arr_usd" in weekly.columns:
        ax_m.plot(week, weekly["arr_usd"], label="ARR at week end", color="tab:green", lw=2)
    if "revenue_usd" in weekly.columns:
        ax_m.plot(week, weekly["revenue_usd"].cumsum(), label="recognized revenue, cumulative",
                  color="tab:orange", lw=2)
    if "arr_usd" in weekly.columns or "revenue_usd" in weekly.columns:
        ax_m.legend(loc="upper left", frameon=False)
    else:
        _missing(ax_m, "ARR or revenue")
    ax_m.set_title("ARR and recognized revenue")
    ax_m.set_ylabel("USD")
    _usd_axis(ax_m)

    _prefixed_panel(ax_p, week, weekly, "pipeline_", "stage", "Open pipeline per stage at week end",
                    "open leads", "pipeline series")
    _prefixed_panel(ax_q, week, weekly, "queue_", "role", "Queue length per role (weekly mean)",
                    "tasks waiting", "queue series")

    for ax in axes.flat:
        _week_axis(ax)
        ax.set_xlim(week.min() - 0.5 if len(week) else 0, week.max() + 0.5 if len(week) else 1)
        ax.grid(alpha=0.3)
    fig.suptitle(title, fontsize="x-large")
    return fig


def _prefixed_panel(ax, week, weekly, prefix: str, legend_title: str, title: str, ylabel: str,
                    missing: str) -> None:
    """One line per weekly column named ``prefix<name>`` (pipeline per stage, queue per role)."""
    cols = [c for c in weekly.columns if c.startswith(prefix)]
    for c in cols:
        ax.plot(week, weekly[c], label=c.removeprefix(prefix), lw=1.5)
    if cols:
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize="small", title=legend_title)
    else:
        _missing(ax, missing)
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    _count_axis(ax)


def plot_run(result: Any, path: str | os.PathLike | None = None, title: str | None = None):
    """Plot one run (a :class:`sim.Result` or its ``weekly`` frame); write a PNG to
    ``path`` if given. Returns the matplotlib Figure (a notebook shows it inline)."""
    if path is not None:
        check_png_target(path)
    fig = run_figure(result, title)
    if path is not None:
        save_png(fig, path)
    return fig


def fan_figure(fan_df: Any, column: str | None = None, title: str | None = None):
    """Percentile bands of a weekly series across replications.

    ``fan_df`` is what :func:`sim.experiments.fan` returns (``BatchResult.fan``
    or ``.fan_of(column)``: one row per week, ``p5 p25 p50 p75 p95 mean``), or
    a batch's weekly table (``BatchResult.weekly``), whose fan of ``column`` is
    then computed here.
    """
    if "rep" in getattr(fan_df, "columns", ()):  # a batch's weekly table
        from sim.experiments.summary import fan

        fan_df = fan(fan_df, column)
    if fan_df is None or not len(fan_df):
        raise UsageError("no fan to plot (the batch kept no weekly series?)")
    series = fan_df.attrs.get("series") or column or "weekly series"
    fig, axes = _figure(1, 1, (10, 5.5))
    ax = axes[0, 0]
    week = fan_df.index.to_numpy()
    cols = set(fan_df.columns)
    if {"p5", "p95"} <= cols:
        ax.fill_between(week, fan_df["p5"], fan_df["p95"], color="tab:blue", alpha=0.18, label="5th-95th percentile")
    if {"p25", "p75"} <= cols:
        ax.fill_between(week, fan_df["p25"], fan_df["p75"], color="tab:blue", alpha=0.35,
                        label="25th-75th percentile")
    if "p50" in cols:
        ax.plot(week, fan_df["p50"], color="tab:blue", lw=2, label="median")
    if "mean" in cols:
        ax.plot(week, fan_df["mean"], color="black", lw=1, ls="--", label="mean")
    ax.legend(loc="upper left", frameon=False)
    _week_axis(ax)
    money = "usd" in series.lower()
    ax.set_ylabel(f"{series} (USD)" if money else series)
    (_usd_axis if money else _count_axis)(ax)
    ax.grid(alpha=0.3)
    words = series.split()
    pretty = " ".join([*words[:-1], LABELS.get(words[-1], words[-1])]) if words else series
    ax.set_title(title or f"{pretty[:1].upper()}{pretty[1:]} by week: spread across replications")
    return fig


def plot_fan(fan_df: Any, path: str | os.PathLike | None = None, column: str | None = None,
             title: str | None = None):
    """Plot a batch's fan (see :func:`fan_figure`); write a PNG to ``path`` if given.
    Returns the matplotlib Figure."""
    if path is not None:
        check_png_target(path)
    fig = fan_figure(fan_df, column, title)
    if path is not None:
        save_png(fig, path)
    return fig
