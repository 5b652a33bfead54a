"""Which kind of results folder this is, and who builds its report.

Why a registry: ``salesim report DIR`` serves a run, a batch, a comparison, a
sweep, and kinds added later (a factorial study, a plan). Each kind is a
:class:`FolderKind`: a name, a test that recognizes its folder (from the
study manifest's ``kind`` or the files present), and a builder that adds its
sections to the page. Adding a kind is writing a builder and calling
:func:`register`; nothing else changes (see ARCHITECTURE.md).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sim.errors import UsageError
from sim.outpaths import Inputs, file_target, text_writer, write_file
from sim.report.html import Page


@dataclass(frozen=True)
class FolderKind:
    """A kind of results folder: how to recognize it and how to report it.

    ``detect(folder, manifest)`` gets the folder and its parsed
    ``manifest.json`` (None without one); ``build(folder, manifest, page)``
    adds headings, text, tables and figures to ``page`` and returns the page
    title."""

    name: str
    detect: Callable[[Path, dict | None], bool]
    build: Callable[[Path, dict | None, Page], str]


KINDS: list[FolderKind] = []  # the registry, in the order kinds are tried; see registry()
_BUILTINS_ADDED = False


def registry() -> list[FolderKind]:
    """The registry of folder kinds, built on first use: the built-in kinds
    (:func:`sim.report.folders.builtin_kinds`), then whatever was registered,
    later registrations tried first. Nothing is registered at import time."""
    global _BUILTINS_ADDED
    if not _BUILTINS_ADDED:
        from sim.report.folders import builtin_kinds

        _BUILTINS_ADDED = True
        mine = {k.name for k in KINDS}  # registered before first use: they replace a built-in of their name
        KINDS.extend(k for k in builtin_kinds() if k.name not in mine)
    return KINDS


def register(kind: FolderKind) -> FolderKind:
    """Add (or replace, by name) a folder kind; later registrations are tried first."""
    kinds = registry()
    kinds[:] = [k for k in kinds if k.name != kind.name]
    kinds.insert(0, kind)
    return kind


def manifest_kind(name: str) -> Callable[[Path, dict | None], bool]:
    """A detector for study folders whose ``manifest.json`` says ``"kind": name``."""
    return lambda folder, manifest: manifest is not None and manifest.get("kind") == name


def read_manifest(folder: Path) -> dict | None:
    """The folder's ``manifest.json`` checked (:func:`sim.readback.read_manifest`), None without one."""
    from sim.readback import read_manifest as read

    return read(folder)


def detect(folder: str | os.PathLike) -> tuple[FolderKind, dict | None]:
    """The kind of ``folder``, or a usage error naming the kinds that exist."""
    path = Path(folder)
    if not path.is_dir():
        raise UsageError(f"{path}: no such folder (give a folder written by salesim run --out, batch, compare, "
                         "sweep, study or plan)")
    manifest = read_manifest(path)
    for kind in registry():
        if kind.detect(path, manifest):
            return kind, manifest
    what = (f"its manifest.json says kind {manifest.get('kind')!r}" if manifest else
            "no manifest.json, kpis.json or run.json")
    raise UsageError(f"{path}: not a salesim results folder I can report on ({what}); known kinds: "
                     + ", ".join(sorted(k.name for k in registry())))


def build_report(folder: str | os.PathLike) -> str:
    """The HTML report of a results folder, as one string."""
    import sim

    kind, manifest = detect(folder)
    page = Page(title="salesim report")
    try:
        page.title = kind.build(Path(folder), manifest, page)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError, ArithmeticError) as exc:
        # the folder's files are checked as they are read (sim.readback); this is the last guard, for a
        # value of a shape no check foresaw: a message, never a traceback
        raise UsageError(f"{folder}: cannot report on this {kind.name} folder: a file holds a value of an "
                         f"unexpected shape ({type(exc).__name__}: {exc}); was it edited by hand?") from None
    return page.render(footer=f"Made by salesim {sim.__version__} from {Path(folder).name}/ ({kind.name}). "
                       "Every number is in the folder's files; this page needs no network.")


def write_report(folder: str | os.PathLike, out: str | os.PathLike, force: bool = False) -> Path:
    """Write the report of ``folder`` to ``out`` (an .html file) atomically; make
    missing folders. An existing page is replaced only with ``force`` and only if
    salesim wrote it (:mod:`sim.outpaths`); the folder's own files never."""
    target = file_target(out, flag="--out", force=force, suffixes=(".html", ".htm"), example="report.html",
                         inputs=Inputs.of(writable_folders=(folder,)))
    text = build_report(folder)
    return write_file(target, text_writer(text), by="salesim report")
