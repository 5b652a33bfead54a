"""Rendering report sections: plain text for files and pipes, rich tables on a terminal.

Why two renderings of one structure: a summary piped to a file or read by a
test must be stable plain text (aligned columns, no colour codes), while a
person at a terminal reads better with rich's boxed tables and bold headings.
Both come from the same :class:`Section` list, so they never disagree.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import TextIO


@dataclass
class Section:
    """A heading (may be empty), lines of text, at most one table, footnotes."""

    title: str
    lines: list[str] = field(default_factory=list)
    headers: list[str] | None = None
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def num(x, spec: str = ",.0f", none: str = "-") -> str:
    return none if x is None else format(x, spec)


def pct(x, spec: str = ".1%") -> str:
    return num(x, spec)


def money(x) -> str:
    """USD with a k/M suffix: $1.41M, $19.92k, $250."""
    if x is None:
        return "-"
    for unit, div in (("M", 1e6), ("k", 1e3)):
        if abs(x) >= div:
            return f"${x / div:,.2f}{unit}"
    return f"${x:,.0f}"


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


def render_rich(sections: list[Section], file: TextIO | None = None) -> None:
    """Print the sections with rich (boxed tables, bold headings)."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console(file=file, highlight=False)
    for s in sections:
        if s.title:
            console.rule(f"[bold]{escape(s.title)}", align="left")
        for line in s.lines:
            console.print(escape(line), style="bold red" if line.startswith("! ") else None)
        if s.headers:
            t = Table(show_edge=False, header_style="bold")
            for i, h in enumerate(s.headers):
                t.add_column(h, justify="left" if i == 0 else "right", overflow="fold")
            for r in s.rows:
                t.add_row(*r)
            console.print(t)
        for line in s.notes:
            console.print(escape(line), style="dim")
        console.print()


def emit(sections: list[Section], file: TextIO | None = None) -> None:
    """Rich on a terminal, plain text otherwise (files, pipes, tests)."""
    file = file or sys.stdout
    if getattr(file, "isatty", lambda: False)():
        render_rich(sections, file)
    else:
        print(render_text(sections), file=file)
