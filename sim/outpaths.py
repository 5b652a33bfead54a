"""Output paths: missing parent folders are made, impossible ones refused up front.

Why one helper: ``run --out``, ``--plot``, study folders and ``report --out``
all take a path that may not exist yet (``runs/st`` on a fresh clone). The
check runs before any simulation time is spent and creates nothing, so a
refused or failed command leaves no empty folders behind; the folders are
made only when the output is about to be written.
"""

from __future__ import annotations

import os
from pathlib import Path

from sim.errors import UsageError


def check_parent(path: str | os.PathLike, flag: str) -> Path:
    """Refuse ``path`` if its folder cannot be made or written; creates nothing.

    The nearest existing ancestor must be a writable folder; every missing
    folder between it and ``path`` will be created by :func:`make_parent`.
    """
    p = Path(path)
    parent = p.resolve().parent
    probe = parent
    while not probe.exists():
        if probe.is_symlink():  # a dangling link: mkdir would fail
            raise UsageError(f"{flag} {p}: {probe} is a broken link")
        probe = probe.parent
    if not probe.is_dir():
        raise UsageError(f"{flag} {p}: {probe} is not a folder")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise UsageError(f"{flag} {p}: folder {probe} is not writable")
    return parent


def make_parent(path: str | os.PathLike, flag: str) -> Path:
    """Create the missing folders above ``path`` (after :func:`check_parent`)."""
    parent = check_parent(path, flag)
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"{flag} {path}: cannot create folder {parent} ({exc.strerror or exc})") from None
    return parent
