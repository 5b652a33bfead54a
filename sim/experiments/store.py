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
  resume that would mix different studies or library versions is refused.
* **A lock file** (``flock``) keeps two drivers from writing one folder.

Workers never write here; the driver does (see :mod:`sim.experiments.worker`).
"""

from __future__ import annotations

import json
import os
import platform
import re
import secrets
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sim.errors import ArgumentError
from sim.outpaths import check_parent, make_parent

FORMAT = "salesim-study"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
PARTS = "parts"
_PART = re.compile(r"^p(\d{5,})-c(\d{6,})\.kpis\.parquet$")
# Keys that must agree for a resume to continue the same study.
IDENTITY = ("format", "format_version", "kind", "root_seed", "reps", "weekly", "points", "design",
            "salesim_version", "numpy_version", "bit_generator")


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


def part_name(point: int, chunk: int, kind: str) -> str:
    return f"p{point:05d}-c{chunk:06d}.{kind}.parquet"


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Write via ``write(tmp)`` to a hidden sibling, flush it to disk, rename into place."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}")
    try:
        write(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _write_frame(df, path: Path) -> None:
    if path.suffix == ".csv":
        atomic_write(path, lambda p: df.to_csv(p, index=False))
    else:
        atomic_write(path, lambda p: df.to_parquet(p, index=False))


class MemoryStore:
    """Keeps parts in memory: for quick studies from Python (``out=None``)."""

    out = None

    def __init__(self) -> None:
        self._rows: list = []
        self._weekly: list = []
        self._tables: dict[str, list] = {}
        self.manifest: dict = {}

    def open(self, manifest: dict, resume: bool = False) -> dict:
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
        return _combine(self._rows, ["point", "rep"]), _combine(self._weekly, ["point", "rep", "week"])

    def tables(self) -> dict:
        """Agent-level long tables (one row per replication x rep), by name."""
        return {name: _concat(frames) for name, frames in self._tables.items()}

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

    def __init__(self, out: str | os.PathLike):
        super().__init__()
        self.out = Path(out)
        self._lock = None
        self._made_folder = False
        self.fresh = False  # this call started the study (nothing was resumed)

    def discard_if_unused(self) -> None:
        """A study that failed before its first chunk was saved leaves nothing
        behind: what this call wrote goes (the folder too, if this call made it)."""
        if not self.fresh or self.done():
            return
        self.close()
        if self._made_folder:
            shutil.rmtree(self.out, ignore_errors=True)
            return
        for p in list(self.out.iterdir()):
            shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)

    # ------------------------------------------------------------------ opening
    def open(self, manifest: dict, resume: bool = False) -> dict:
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
        try:
            make_parent(out, "--out")
            out.mkdir(exist_ok=True)
            (out / PARTS).mkdir(exist_ok=True)
        except OSError as exc:
            raise ArgumentError("out", f"cannot create the folder ({exc.strerror})", out) from None
        self._take_lock()
        if nonempty:
            self.manifest = self._check_resume(existing, manifest)
            self._clean()
        else:
            self.manifest = dict(manifest, created_utc=now_utc())
            self._write_manifest()
            self.fresh = True
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

    def _check_resume(self, path: Path, new: dict) -> dict:
        try:
            old = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise ArgumentError("out", f"cannot read {MANIFEST} ({exc})", self.out) from None
        diffs = [k for k in IDENTITY if old.get(k) != new.get(k)]
        if diffs:
            detail = "; ".join(f"{k}: folder has {_short(old.get(k))}, this study {_short(new.get(k))}"
                               for k in diffs)
            raise ArgumentError("out", f"{{resume}}: the folder holds a different study ({detail}); "
                                "resume with the same scenario, settings and versions, or choose another folder",
                                self.out)
        return old

    def _clean(self) -> None:
        """Remove what an interrupted driver may have left: temporary files, and
        weekly parts whose chunk never completed."""
        for folder in (self.out, self.out / PARTS):
            for p in folder.glob(".*.tmp-*"):
                p.unlink(missing_ok=True)
        for p in (self.out / PARTS).glob("*.parquet"):
            kind = p.name.split(".")[-2]
            if kind != "kpis" and not p.with_name(p.name.replace(f".{kind}.", ".kpis.")).exists():
                p.unlink(missing_ok=True)

    def _write_manifest(self) -> None:
        text = json.dumps(self.manifest, indent=2) + "\n"
        atomic_write(self.out / MANIFEST, lambda p: p.write_text(text))

    # ------------------------------------------------------------------ parts
    def done(self) -> set[tuple[int, int]]:
        found = set()
        for p in (self.out / PARTS).iterdir():
            m = _PART.match(p.name)
            if m:
                found.add((int(m.group(1)), int(m.group(2))))
        return found

    def save(self, result) -> None:
        parts = self.out / PARTS
        if result.weekly is not None:
            _write_frame(result.weekly, parts / part_name(result.point, result.chunk, "weekly"))
        for name, df in result.tables.items():
            if len(df):
                _write_frame(df, parts / part_name(result.point, result.chunk, name))
        _write_frame(result.rows, parts / part_name(result.point, result.chunk, "kpis"))

    def load(self):
        import pandas as pd

        parts = self.out / PARTS
        rows = [pd.read_parquet(p) for p in sorted(parts.glob("*.kpis.parquet"))]
        weekly = [pd.read_parquet(p) for p in sorted(parts.glob("*.weekly.parquet"))]
        return _combine(rows, ["point", "rep"]), _combine(weekly, ["point", "rep", "week"])

    def tables(self) -> dict:
        import pandas as pd

        from sim.experiments.flatten import LONG_TABLES

        parts = self.out / PARTS
        return {name: _concat([pd.read_parquet(p) for p in sorted(parts.glob(f"*.{name}.parquet"))])
                for name in LONG_TABLES}

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


def _combine(frames: list, keys: list[str]):
    """Concatenate parts, ordered by replication, refusing duplicates."""
    import pandas as pd

    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=keys)
    df = pd.concat(frames, ignore_index=True).sort_values(keys, kind="stable").reset_index(drop=True)
    if df.duplicated(keys).any():
        raise RuntimeError(f"duplicate rows for {keys} in the study's parts; the folder was edited by hand?")
    return df


def _concat(frames: list):
    """Long tables of the parts, ordered by (point, replication), rows within a run kept in order."""
    import pandas as pd

    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=["point", "rep"])
    return pd.concat(frames, ignore_index=True).sort_values(["point", "rep"], kind="stable").reset_index(drop=True)


def _short(value) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 80 else text[:77] + "..."
