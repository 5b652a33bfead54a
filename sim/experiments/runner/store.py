"""Results on disk as they complete: Parquet part files, a manifest, resume.

Why this shape:

* **One part per finished chunk**, written under a hidden temporary name in
  the same folder, flushed, then renamed into place (``os.replace`` is atomic
  on one file system). A reader -- or a resumed batch -- therefore sees whole
  parts or nothing; a driver killed mid-write leaves at most a hidden
  temporary file, removed on resume.
* **The KPI part is renamed last.** A chunk is complete exactly when its
  ``.kpis.parquet`` exists (its weekly and agent-level parts -- ``reps``,
  ``departures`` -- if any, were renamed before it),
  so resuming skips complete chunks and recomputes the rest -- never a
  duplicate, never a partial chunk.
* **The manifest** (written before any part) pins what the parts mean: the
  study's points and their scenario hashes, the root seed, replications,
  horizon, chunk size, and the package, numpy and bit-generator versions. A
  resume that would mix different studies or library versions is refused,
  and so is a manifest whose values are impossible (edited or damaged).
* **Each part says what it holds** (root seed, point and scenario hash,
  chunk, replications, the study's identity) in its Parquet metadata, and
  every read of the folder checks it: see :mod:`sim.experiments.runner.parts`.
* **A lock file** (``flock``) keeps two drivers from writing one folder.

Workers never write here; the driver does (see :mod:`sim.experiments.runner.worker`).
"""

from __future__ import annotations

import json
import os
import platform
import shutil
from collections.abc import Callable, Collection
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from sim import outpaths
from sim.errors import ArgumentError, UsageError
from sim.experiments.runner.parts import (  # noqa: F401 - FORMAT, FORMAT_VERSION: imported from here too
    FORMAT,
    FORMAT_VERSION,
    IDENTITY,
    MANIFEST,
    NAME,
    PART_KEY,
    PARTS,
    PartChecker,
    combine,
    concat,
    manifest_problems,
    part_name,
    short,
)
from sim.outpaths import check_parent, make_parent


def now_utc() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def versions() -> dict:
    import numpy as np
    import pandas as pd
    import pyarrow

    import sim

    return {"salesim_version": sim.__version__, "numpy_version": np.__version__,
            "pandas_version": pd.__version__, "pyarrow_version": pyarrow.__version__,
            "python_version": platform.python_version()}


def atomic_write(path: Path, write: Callable[[Path], object]) -> None:
    """Write via ``write(tmp)`` to a hidden sibling, flush it to disk, rename
    into place (the one helper every output uses: :func:`sim.outpaths.atomic_write`)."""
    outpaths.atomic_write(path, write)


def _write_frame(df, path: Path) -> None:
    if path.suffix == ".csv":
        atomic_write(path, lambda p: df.to_csv(p, index=False))
    else:
        atomic_write(path, lambda p: df.to_parquet(p, index=False))


def _write_part(df, path: Path, meta: dict) -> None:
    """A part as ``DataFrame.to_parquet`` writes it, plus its identity under :data:`PART_KEY`."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(df, preserve_index=False)
    table = table.replace_schema_metadata({**(table.schema.metadata or {}),
                                           PART_KEY: json.dumps(meta, sort_keys=True).encode("utf-8")})
    atomic_write(path, lambda p: pq.write_table(table, p, compression="snappy"))


class MemoryStore:
    """Keeps parts in memory: for quick studies from Python (``out=None``)."""

    out: Path | None = None

    def __init__(self) -> None:
        self._rows: list = []
        self._weekly: list = []
        self._tables: dict[str, list] = {}
        self.manifest: dict = {}

    def open(self, manifest: dict, resume: bool = False, unset: Collection[str] = ()) -> dict:
        self.manifest = dict(manifest)
        return self.manifest

    def done(self) -> set[tuple[int, int]]:
        return set()

    def save(self, result) -> None:
        self._rows.append(result.rows)
        if result.weekly is not None:
            self._weekly.append(result.weekly)
        for name, df in result.tables.items():
            self._tables.setdefault(name, []).append(df)

    def load(self):
        return combine(self._rows, ["point", "rep"]), combine(self._weekly, ["point", "rep", "week"])

    def tables(self) -> dict:
        """Agent-level long tables (one row per replication x rep), by name."""
        return {name: concat(frames) for name, frames in self._tables.items()}

    def write_frame(self, name: str, df) -> None:
        pass

    def write_text(self, name: str, text: str) -> None:
        pass

    def finish(self, **info) -> None:
        self.manifest.update(info)

    def discard_if_unused(self) -> None:
        pass

    def close(self) -> None:
        pass


class FolderStore(MemoryStore):
    """A study folder: ``manifest.json``, ``parts/`` and the final tables."""

    out: Path  # (always a folder here; the memory store has none)

    def __init__(self, out: str | os.PathLike):
        super().__init__()
        self.out = Path(out)
        self._lock: IO | None = None
        self._made_folder = False
        self._made_parents: list[Path] = []  # missing folders above out, made by this call
        self._there_before: set[str] = set()  # entries of the folder before this call wrote anything
        self._check: PartChecker | None = None
        self._loaded_tables: dict | None = None
        self.fresh = False  # this call started the study (nothing was resumed)

    def discard_if_unused(self) -> None:
        """A study that failed before its first chunk was saved leaves nothing
        behind: what this call wrote goes (the folder too, if this call made it)."""
        if not self.fresh or self._any_chunk():
            return
        self.close()
        if self._made_folder:
            shutil.rmtree(self.out, ignore_errors=True)
            outpaths.unmake(self._made_parents)
            return
        for p in list(self.out.iterdir()):  # only what this call wrote: never a user's hidden files
            if p.name not in self._there_before:
                shutil.rmtree(p, ignore_errors=True) if p.is_dir() and not p.is_symlink() else p.unlink(missing_ok=True)

    # ------------------------------------------------------------------ opening
    def open(self, manifest: dict, resume: bool = False, unset: Collection[str] = ()) -> dict:
        """Start the study in the folder, or (``resume``) continue the one it holds.

        ``unset`` names identity keys the caller did not choose (an automatic
        chunk size): on resume they are taken from the folder's manifest
        instead of compared with it."""
        out = self.out
        if out.exists() and not out.is_dir():
            raise ArgumentError("out", "exists and is not a folder", out)
        check_parent(out, "--out")
        existing = out / MANIFEST
        nonempty = out.exists() and _has_content(out)
        if nonempty and not resume:
            raise ArgumentError("out", "folder exists and is not empty; add {resume} to finish the "
                                "study in it, or choose another folder", out)
        if nonempty and not existing.exists():
            raise ArgumentError("out", f"{{resume}}: the folder has no {MANIFEST}, so it holds no "
                                "salesim study to resume", out)
        self._made_folder = not out.exists()
        self._there_before = set() if self._made_folder else set(os.listdir(out))
        try:
            make_parent(out, "--out", self._made_parents)
            out.mkdir(exist_ok=True)
            (out / PARTS).mkdir(exist_ok=True)
        except OSError as exc:
            raise ArgumentError("out", f"cannot create the folder ({exc.strerror})", out) from None
        self._take_lock()
        if nonempty:
            self.manifest = self._check_resume(existing, manifest, unset)
            self._clean()
        else:
            self.manifest = dict(manifest, created_utc=now_utc())
            self._write_manifest()
            self.fresh = True
        self._check = PartChecker(self.out, self.manifest)
        return self.manifest

    def _take_lock(self) -> None:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX: no lock
            return
        fh = open(self.out / ".lock", "a+")  # noqa: SIM115 - held until close()
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.close()
            raise ArgumentError("out", "another salesim process is writing this folder", self.out) from None
        self._lock = fh

    def _check_resume(self, path: Path, new: dict, unset: Collection[str] = ()) -> dict:
        try:
            old = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise ArgumentError("out", f"cannot read {path} ({exc})", self.out) from None
        problems = manifest_problems(old)
        if problems:
            raise UsageError(f"{path}: {'; '.join(problems)}: the file was edited or is damaged, so it cannot "
                             "say what the study's parts hold; put back the manifest salesim wrote, or run the "
                             "study again in another folder")
        diffs = [k for k in IDENTITY if k not in unset and old.get(k) != new.get(k)]
        if diffs:
            detail = "; ".join(f"{k}: folder has {short(old.get(k))}, this study {short(new.get(k))}"
                               for k in diffs)
            raise ArgumentError("out", f"{{resume}}: {path} describes a different study ({detail}); resume "
                                "with the same scenario, settings and versions, or choose another folder",
                                self.out)
        return old

    def _clean(self) -> None:
        """Remove what an interrupted driver may have left: temporary files, and
        weekly parts whose chunk never completed."""
        for folder in (self.out, self.out / PARTS):
            for p in folder.glob(".*.tmp-*"):  # written by salesim before one helper wrote every output
                p.unlink(missing_ok=True)
            outpaths.clean_temporaries(folder)
        for p in (self.out / PARTS).glob("*.parquet"):
            m = NAME.match(p.name)
            if m is None or m.group(3) == "kpis":
                continue
            if not p.with_name(part_name(int(m.group(1)), int(m.group(2)), "kpis")).exists():
                p.unlink(missing_ok=True)

    def _write_manifest(self) -> None:
        text = json.dumps(self.manifest, indent=2) + "\n"
        atomic_write(self.out / MANIFEST, lambda p: p.write_text(text))

    # ------------------------------------------------------------------ parts
    def _any_chunk(self) -> bool:
        parts = self.out / PARTS
        return parts.is_dir() and any(p.name.endswith(".kpis.parquet") and NAME.match(p.name)
                                      for p in parts.iterdir())

    @property
    def _checker(self) -> PartChecker:
        """The folder's part checker (made by :meth:`open`)."""
        if self._check is None:
            raise RuntimeError("the study folder is not open")
        return self._check

    def done(self) -> set[tuple[int, int]]:
        """The chunks on disk, every part of them checked (:meth:`PartChecker.scan`)."""
        return set(self._checker.scan(frames=False))

    def save(self, result) -> None:
        parts, check = self.out / PARTS, self._checker
        reps = sorted(int(r) for r in result.rows["rep"])
        want = check.layout(result.point, result.chunk)
        if want is not None and reps != want:  # a bug, not an input: the driver made the task
            raise RuntimeError(f"chunk {result.chunk} of point {result.point} came back with replications "
                               f"{reps}, not {want}")
        written = []
        if result.weekly is not None:
            _write_part(result.weekly, parts / part_name(result.point, result.chunk, "weekly"),
                        check.metadata(result.point, result.chunk, "weekly", reps))
            written.append("weekly")
        for name, df in result.tables.items():
            if len(df):
                _write_part(df, parts / part_name(result.point, result.chunk, name),
                            check.metadata(result.point, result.chunk, name, reps))
                written.append(name)
        _write_part(result.rows, parts / part_name(result.point, result.chunk, "kpis"),
                    check.metadata(result.point, result.chunk, "kpis", reps, parts=written))

    def load(self):
        chunks = self._checker.scan(frames=True)
        found: dict[str, list] = {}
        for key in sorted(chunks):
            for kind, (path, frame) in sorted(chunks[key].items()):
                found.setdefault(kind, []).append((path, frame))

        def joined(kind: str, keys: list[str]):
            pairs = found.get(kind, [])
            return combine([f for _, f in pairs], keys, [p for p, _ in pairs])

        rows, weekly = joined("kpis", ["point", "rep"]), joined("weekly", ["point", "rep", "week"])
        from sim.experiments.runner.flatten import LONG_TABLES

        self._loaded_tables = {name: concat([f for _, f in found.get(name, [])]) for name in LONG_TABLES}
        return rows, weekly

    def tables(self) -> dict:
        if self._loaded_tables is None:
            self.load()
        return self._loaded_tables or {}

    # ------------------------------------------------------------------ outputs
    def write_frame(self, name: str, df) -> None:
        _write_frame(df, self.out / name)

    def write_text(self, name: str, text: str) -> None:
        path = self.out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, lambda p: p.write_text(text))

    def finish(self, **info) -> None:
        self.manifest.update(info, completed_utc=now_utc())
        self._write_manifest()

    def close(self) -> None:
        if self._lock is not None:
            self._lock.close()
            self._lock = None


def _has_content(out: Path) -> bool:
    """Anything but hidden files and an empty ``parts/`` (a start killed before
    its manifest was written leaves only those)."""
    for p in out.iterdir():
        if p.name.startswith("."):
            continue
        if p.name == PARTS and p.is_dir() and not any(p.iterdir()):
            continue
        return True
    return False
