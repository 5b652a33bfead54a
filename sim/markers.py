"""Marker blocks: the generated parts of a hand-written page.

A page (the README, a study's README, a docs page) keeps each figure a script
renders between two HTML comments, ``<!-- NAME:begin -->`` and
``<!-- NAME:end -->`` (``start`` is accepted for ``begin``: two older pages use
it). Every renderer of the project - ``scripts/figures.py``,
``benchmarks/results.py``, the process-lever, CRM-acceptance, benchmark-row,
mutation and pod-growth scripts, the KPI table of the registry - reads and
rewrites its blocks here, so that a page's blocks are found one way: a block's
body is the text between the line of its opening marker and the line of its
closing one, and a rendered block is written back as::

    <!-- NAME:begin -->
    BODY
    <!-- NAME:end -->

A page whose markers do not pair up (an end without its beginning, a block
left open, a name used twice, a block opened inside another) is refused with a
:class:`MarkerError` naming the page and the block, never half-rendered.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

MARKER = re.compile(r"<!-- ([a-z0-9][a-z0-9_-]*):(begin|start|end) -->")

Renderers = Mapping[str, Callable[[], str]]


class MarkerError(ValueError):
    """A page whose marker blocks cannot be read: the message names the page and the block."""


@dataclass(frozen=True)
class Block:
    """One marker block of a page: its name, its opening word, its body and where it is."""

    name: str
    opening: str  # "begin" (or "start")
    body: str  # between the marker lines, without the newline after the opening or before the closing marker
    start: int  # the offset of the opening marker in the page
    end: int  # the offset just after the closing marker

    def with_body(self, body: str) -> str:
        """The whole block, markers included, holding ``body``."""
        return block_text(self.name, body, self.opening)


def block_text(name: str, body: str, opening: str = "begin") -> str:
    """A block as a page holds it: the opening marker's line, ``body``, the closing marker's line."""
    return f"<!-- {name}:{opening} -->\n{body}\n<!-- {name}:end -->"


def _at(where: str) -> str:
    return f"{where}: " if where else ""


def blocks(text: str, where: str = "") -> list[Block]:
    """Every block of ``text``, in page order (``where`` names the page in an error)."""
    out: list[Block] = []
    seen: set[str] = set()
    open_: re.Match[str] | None = None
    for m in MARKER.finditer(text):
        name, word = m.group(1), m.group(2)
        if word != "end":
            if open_ is not None:
                raise MarkerError(f"{_at(where)}block {name!r} opens inside block {open_.group(1)!r} "
                                  f"(blocks do not nest)")
            if name in seen:
                raise MarkerError(f"{_at(where)}block {name!r} appears twice (a name marks one block of a page)")
            open_ = m
            continue
        if open_ is None:
            raise MarkerError(f"{_at(where)}block {name!r} ends without beginning (no <!-- {name}:begin --> "
                              f"before it)")
        if open_.group(1) != name:
            raise MarkerError(f"{_at(where)}block {open_.group(1)!r} is closed by the end marker of {name!r}")
        body = text[open_.end():m.start()]
        body = body[1:] if body.startswith("\n") else body
        body = body[:-1] if body.endswith("\n") else body
        out.append(Block(name, open_.group(2), body, open_.start(), m.end()))
        seen.add(name)
        open_ = None
    if open_ is not None:
        raise MarkerError(f"{_at(where)}block {open_.group(1)!r} has no end marker (<!-- {open_.group(1)}:end -->)")
    return out


def names(text: str, where: str = "") -> list[str]:
    """The names of ``text``'s blocks, in page order."""
    return [b.name for b in blocks(text, where)]


def _missing(found: Iterable[str], required: Iterable[str], where: str) -> None:
    have = set(found)
    lost = [n for n in required if n not in have]
    if lost:
        raise MarkerError(f"{_at(where)}no block {', '.join(repr(n) for n in lost)} (expected "
                          + " and ".join(f"<!-- {n}:begin --> ... <!-- {n}:end -->" for n in lost) + ")")


def render(text: str, renderers: Renderers, where: str = "", *, others: Collection[str] | None = None,
           required: Iterable[str] = ()) -> str:
    """``text`` with the body of every block that has a renderer made afresh (each renderer called once,
    only when its block is on the page); the rest of the page is left as it is.

    ``others``: the names of blocks other scripts render; when given, a block in neither ``renderers``
    nor ``others`` is refused (a block nobody renders). ``required``: names the page must hold."""
    found = blocks(text, where)
    _missing((b.name for b in found), required, where)
    parts, pos = [], 0
    for b in found:
        if b.name not in renderers:
            if others is not None and b.name not in others:
                raise MarkerError(f"{_at(where)}block {b.name!r} has no renderer (known: "
                                  f"{', '.join(sorted(renderers))}; written by other scripts: "
                                  f"{', '.join(sorted(others))})")
            continue
        parts += [text[pos:b.start], b.with_body(renderers[b.name]())]
        pos = b.end
    return "".join(parts) + text[pos:]


def differing(text: str, renderers: Renderers, where: str = "", *, required: Iterable[str] = ()) -> list[str]:
    """The names of ``text``'s blocks whose body is not what its renderer makes (a hand edit, or a block not
    rendered since its source changed), in page order; blocks without a renderer are not looked at."""
    found = blocks(text, where)
    _missing((b.name for b in found), required, where)
    return [b.name for b in found if b.name in renderers and renderers[b.name]() != b.body]


def render_file(path: Path, renderers: Renderers, where: str = "", *, others: Collection[str] | None = None,
                required: Iterable[str] = ()) -> bool:
    """Render ``path``'s blocks in place; the file is written only when a block changed (True then)."""
    old = path.read_text(encoding="utf-8")
    new = render(old, renderers, where or str(path), others=others, required=required)
    if new == old:
        return False
    path.write_text(new, encoding="utf-8")
    return True
