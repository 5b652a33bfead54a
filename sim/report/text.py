"""Report sections as plain text: the structure every rendering shares.

A :class:`Section` is a heading, lines of text, at most one table and
footnotes. The run summary is a list of them; they are printed as plain text
(:func:`render_text`), as rich tables on a terminal (``sim.cli.render``) and
as HTML (``sim.report.html``). The number formats are here so that the three
agree to the digit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass
class Section:
    """A heading (may be empty), lines of text, at most one table, footnotes."""

    title: str
    lines: list[str] = field(default_factory=list)
    headers: list[str] | None = None
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def num(x, spec: str = ",.0f", none: str = "-") -> str:
    """``x`` formatted with ``spec``; None and NaN (a KPI with no data) read ``none``."""
    return none if x is None or (isinstance(x, float) and math.isnan(x)) else format(x, spec)


def pct(x, spec: str = ".1%") -> str:
    return num(x, spec)


def money(x) -> str:
    """USD with a k/M suffix: $1.41M, $19.92k, $250, -$8.54k."""
    if x is None:
        return "-"
    sign, a = ("-" if x < 0 else ""), abs(x)
    for unit, div in (("M", 1e6), ("k", 1e3)):
        if a >= div:
            return f"{sign}${a / div:,.2f}{unit}"
    return f"{sign}${a:,.0f}"


def number(x) -> str:
    """A number for a table: thousands separators for large values, a few digits otherwise."""
    try:
        v = float(x)
    except (TypeError, ValueError):
        return "-" if x is None else str(x)
    if math.isnan(v):
        return "-"
    if abs(v) >= 100 or v == int(v):
        return f"{v:,.0f}"
    return f"{v:.2f}" if abs(v) >= 1 else f"{v:.3g}"


def p_value(x) -> str:
    """A p-value as people read it: "< 0.001" rather than 3.13e-96."""
    try:
        v = float(x)
    except (TypeError, ValueError):
        return "-"
    return "-" if math.isnan(v) else "< 0.001" if v < 0.001 else f"{v:.3f}"


def fmt_kpi(name: str, value) -> str:
    """A KPI value in its unit, read from its name: $1.2M, 31.5%, 1,234, 0.62."""
    from sim.plots.canvas import kpi_unit

    unit = kpi_unit(name)
    try:
        v = float(value)
    except (TypeError, ValueError):
        v = math.nan
    if math.isnan(v) or unit not in ("USD", "share"):
        return number(value)
    return money(v) if unit == "USD" else pct(v)


def fmt_ci(name: str, value, low, high) -> tuple[str, str]:
    """A value and its interval in the KPI's unit, rounded to what the interval supports: to the first
    significant digit of the interval's half-width ($1.2M [1.1M, 1.4M], not $1,234,567 [1,101,003, ...]).
    Returns ``(value, "[low, high]")``; without a finite interval, the usual format."""
    from sim.plots.canvas import kpi_unit

    try:
        v, lo, hi = float(value), float(low), float(high)
    except (TypeError, ValueError):
        return fmt_kpi(name, value), f"[{fmt_kpi(name, low)}, {fmt_kpi(name, high)}]"
    half = (hi - lo) / 2
    if not all(map(math.isfinite, (v, lo, hi))) or half <= 0:
        return fmt_kpi(name, value), f"[{fmt_kpi(name, low)}, {fmt_kpi(name, high)}]"
    unit = kpi_unit(name)
    if unit == "USD":
        top = max(abs(v), abs(lo), abs(hi))
        suffix, div = ("M", 1e6) if top >= 1e6 else ("k", 1e3) if top >= 1e3 else ("", 1.0)
    elif unit == "share":
        suffix, div = "%", 0.01
    else:
        suffix, div = "", 1.0
    digits = max(0, -math.floor(math.log10(half / div)))

    def one(x: float) -> str:
        text = f"{abs(x) / div:,.{digits}f}"
        sign = "-" if x < 0 and float(text.replace(",", "")) != 0 else ""
        return f"{sign}${text}{suffix}" if unit == "USD" else f"{sign}{text}{suffix}"

    return one(v), f"[{one(lo)}, {one(hi)}]"


def styled(df, by: str = "auto"):
    """A pandas Styler that shows each number in its unit (for notebooks).

    ``by="columns"`` reads the unit from each column's name (a weekly frame,
    a per-stage table); ``by="index"`` from each row's name (a KPI series or
    summary); ``"auto"`` picks rows when the index holds KPI names."""
    frame = df.to_frame() if hasattr(df, "to_frame") and not hasattr(df, "columns") else df
    if by == "auto":
        by = "index" if any(isinstance(i, str) and ("_" in i or "." in i) for i in frame.index) else "columns"
    st = frame.style
    if by == "index":
        for key in frame.index:
            st = st.format(lambda v, k=str(key): fmt_kpi(k, v), subset=([key], list(frame.columns)))
    else:
        for col in frame.columns:
            st = st.format(lambda v, k=str(col): fmt_kpi(k, v), subset=[col])
    return st


def table(headers: list[str], rows: list[list[str]]) -> list[str]:
    """Aligned plain-text columns: the first left-aligned, the others right-aligned."""
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]

    def fmt(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                         for i, (c, w) in enumerate(zip(cells, widths, strict=True))).rstrip()

    return [fmt(headers), "  ".join("-" * w for w in widths), *(fmt(r) for r in rows)]


def render_text(sections: list[Section]) -> str:
    out: list[str] = []
    for s in sections:
        if out:
            out.append("")
        if s.title:
            out += [s.title, "=" * len(s.title)]
        out += s.lines
        if s.headers:
            out += table(s.headers, s.rows)
        out += s.notes
    return "\n".join(out)
