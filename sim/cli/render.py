"""Printing report sections: rich tables on a terminal, plain text otherwise.

Why two renderings of one structure: a summary piped to a file or read by a
test must be stable plain text (aligned columns, no colour codes), while a
person at a terminal reads better with rich's boxed tables and bold headings.
Both (and the HTML report) come from the same :class:`~sim.report.text.Section`
list, so they never disagree.
"""

from __future__ import annotations

import sys
from typing import TextIO

from sim.report.text import Section, money, num, pct, render_text, table

__all__ = ["Section", "emit", "money", "num", "pct", "render_rich", "render_text", "table"]


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
