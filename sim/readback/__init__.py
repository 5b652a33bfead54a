"""Reading salesim's own results folders back, checked like any input.

Why: a results folder (``salesim run --out``, ``batch``, ``compare``,
``sweep``, ``study``, ``plan``) is the user's: it may be edited by hand,
truncated, copied half-way or replaced by something else. ``salesim
report`` and ``export-crm`` read it as they read any input: each file
through one loader here -- a regular file, capped, never waited on
(:mod:`~sim.readback.raw`); JSON strictly, then checked for the keys and
types salesim uses (:mod:`~sim.readback.json_shapes`, :mod:`~sim.readback.schemas`);
a resolved scenario through the scenario loader and its schema; tables for
the columns used (:mod:`~sim.readback.tables`). Any problem is a
:class:`FolderFileError` naming the file and the key (exit 2), never a
traceback.

Layer: above the scenario layer (it uses the scenario loader), below
experiments, calibration and reports, which read folders through it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sim.readback import schemas
from sim.readback.json_shapes import Bad, Shape
from sim.readback.raw import FolderFileError, read_json, read_scenario, read_text, read_yaml, scenario_and_text
from sim.readback.tables import Table, find_table, read_table


def checked(data: Any, shape: Shape, path: Path) -> Any:
    """``data`` (read from ``path``) if it has ``shape``; else its first problem."""
    try:
        shape.check(data, ())
    except Bad as bad:
        raise FolderFileError(path, bad.key, bad.message) from None
    return data


def read_checked(path: Path, shape: Shape) -> Any:
    """A JSON file of a results folder, parsed strictly and checked against ``shape``."""
    return checked(read_json(path), shape, path)


def present(path: Path) -> bool:
    """Whether something (a file, a folder, a broken link...) is at ``path``."""
    return path.exists() or path.is_symlink()


def optional_text(path: Path) -> str | None:
    """A text file shown as is (a scenario's YAML, findings), or None when absent."""
    return read_text(path) if present(path) else None


def read_kpis(folder: Path) -> dict:
    return read_checked(folder / "kpis.json", schemas.KPIS)


def read_run(folder: Path) -> dict:
    return read_checked(folder / "run.json", schemas.RUN)


def read_manifest(folder: Path) -> dict | None:
    """A study folder's ``manifest.json`` (None without one): a JSON object whose
    ``kind`` is text; a kind salesim writes is checked for the keys it needs.
    Other kinds are left to whoever registered them."""
    path = folder / "manifest.json"
    if not present(path):
        return None
    data = read_json(path)
    if not isinstance(data, dict):
        raise FolderFileError(path, (), f"expected a JSON object, got {type(data).__name__}")
    kind = data.get("kind")
    if not isinstance(kind, str):
        raise FolderFileError(path, ("kind",), "required key is missing" if "kind" not in data else
                              f"expected text (one of {', '.join(schemas.STUDY_KINDS)}), got {kind!r}")
    if kind in schemas.MANIFEST:
        checked(data, schemas.MANIFEST[kind], path)
    return data


def read_plan(folder: Path) -> dict | None:
    path = folder / "plan.json"
    return read_checked(path, schemas.PLAN) if present(path) else None


__all__ = ["FolderFileError", "Table", "checked", "find_table", "optional_text", "present", "read_checked",
           "read_json", "read_kpis", "read_manifest", "read_plan", "read_run", "read_scenario", "read_table",
           "read_text", "read_yaml", "scenario_and_text"]
