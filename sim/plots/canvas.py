"""The drawing board every salesim figure shares: figures, axes formats, PNG/SVG files.

Why object-oriented matplotlib on the Agg canvas rather than ``pyplot``: a
:class:`~matplotlib.figure.Figure` built directly holds no global state, so
plotting from the CLI, a test, a notebook or the HTML report never switches
the caller's backend or leaks open figures; and matplotlib is imported inside
the functions, so ``import sim`` stays light.

Files are written like every other salesim output: checked before any
simulation time is spent (:func:`check_png_target`), then rendered to a
temporary file in the same folder and renamed into place, so a failure never
leaves a half-written PNG behind. Missing parent folders are created.

Every figure carries a one-sentence description of what it shows as its
label (``fig.get_label()``): the HTML report uses it as the image's alt text.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

from sim.outpaths import NO_INPUTS, Inputs, file_target, write_file

DPI = 110
LABELS = {"arr_usd": "ARR", "mrr_usd": "MRR", "bookings_usd": "bookings", "revenue_usd": "recognized revenue",
          "cash_usd": "cash collected", "customers": "customers"}
GOOD, BAD, NEUTRAL, MUTED = "#1b7837", "#b2182b", "#2166ac", "0.55"


def check_png_target(path: str | os.PathLike, flag: str = "--plot", inputs: Inputs = NO_INPUTS,
                     force: bool = False) -> Path:
    """Refuse a PNG path we cannot or must not write, before the run: exit-2
    message, no traceback (an existing file only with ``force``, and only one
    salesim wrote; see :mod:`sim.outpaths`)."""
    return file_target(path, flag=flag, inputs=inputs, force=force, suffixes=(".png",), example="run.png")


def save_png(fig, path: str | os.PathLike, flag: str = "--plot", force: bool = True) -> Path:
    """Render ``fig`` to ``path`` atomically. From Python, an existing PNG is
    replaced when salesim wrote it (re-running a notebook cell), never a file
    it did not write; commands check with ``force`` first."""
    p = check_png_target(path, flag, force=force)
    return write_file(p, lambda tmp: fig.savefig(tmp, format="png", dpi=DPI), by="salesim plot", flag=flag)


def write(fig, path: str | os.PathLike | None, flag: str = "--plot"):
    """Save ``fig`` to ``path`` when given; return the figure (a notebook shows it inline)."""
    if path is not None:
        save_png(fig, path, flag)
    return fig


def to_svg(fig, salt: str = "salesim") -> str:
    """The figure as an SVG element (text stays text: searchable, sharp in print).
    ``salt`` keeps element ids unique when several figures share one page, and
    the output the same from run to run."""
    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": salt}):
        fig.savefig(buf, format="svg")
    text = buf.getvalue()
    return text[text.index("<svg"):]


def figure(nrows: int, ncols: int, size: tuple[float, float], **kw):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, squeeze=False, **kw)
    return fig, axes


def short_usd(v: float) -> str:
    a = abs(v)
    sign = "-" if v < 0 else ""
    for unit, div in (("M", 1e6), ("k", 1e3)):
        if a >= div:
            return f"{sign}${a / div:,.1f}{unit}"
    return f"{sign}${a:,.0f}"


def usd_axis(ax, axis: str = "y") -> None:
    from matplotlib.ticker import FuncFormatter

    getattr(ax, f"{axis}axis").set_major_formatter(FuncFormatter(lambda v, _: short_usd(v)))


def count_axis(ax, axis: str = "y") -> None:
    from matplotlib.ticker import FuncFormatter

    getattr(ax, f"{axis}axis").set_major_formatter(
        FuncFormatter(lambda v, _: f"{v:,.0f}" if float(v).is_integer() else f"{v:,.1f}"))


def pct_axis(ax, axis: str = "y") -> None:
    from matplotlib.ticker import PercentFormatter

    getattr(ax, f"{axis}axis").set_major_formatter(PercentFormatter(1.0))


def week_axis(ax) -> None:
    from matplotlib.ticker import MaxNLocator

    ax.set_xlabel("week")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def missing(ax, what: str) -> None:
    ax.text(0.5, 0.5, f"no {what} in this run", ha="center", va="center", transform=ax.transAxes, color="0.4")


def kpi_unit(name: str) -> str:
    """The unit of a KPI, from the KPI registry (the one place units are declared);
    a fraction is shown as a share."""
    from sim.metrics.registry import unit_of

    unit = unit_of(name)
    return "share" if unit == "fraction" else unit


def kpi_label(name: str) -> str:
    """A KPI's name with its unit, for an axis: ``arr_end_usd (USD)``."""
    unit = kpi_unit(name)
    return f"{name} ({unit})" if unit else name


def format_axis_for(ax, name: str, axis: str = "y") -> None:
    unit = kpi_unit(name)
    if unit == "USD":
        usd_axis(ax, axis)
    elif unit == "share":
        pct_axis(ax, axis)
    elif unit == "ratio":
        ratio_axis(ax, axis)
    else:
        count_axis(ax, axis)


def ratio_axis(ax, axis: str = "y") -> None:
    """A ratio such as cost per ARR (USD of cost per USD of ARR): plain decimals, never dollars."""
    from matplotlib.ticker import FuncFormatter

    getattr(ax, f"{axis}axis").set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.2f}"))
