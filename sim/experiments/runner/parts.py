"""A study folder read back: what its manifest and each part must say, checked.

Why: a study folder is the user's; it may be edited, copied into or damaged
between runs, and a resume that trusted file names would mix studies or lose
replications. So each part carries its identity in its Parquet key-value
metadata (:data:`PART_KEY`, JSON): the study's digest and identity values,
root seed, point and its scenario hash, chunk, replications and, on the KPI
part, the chunk's other parts. :class:`PartChecker` checks every part against
the manifest, its name, its rows and the other parts before anything is
merged; what does not fit is refused (:class:`~sim.errors.UsageError` naming
the file, exit 2) and left in place. An unreadable part is refused too, not
recomputed behind the user's back: salesim never writes one (parts are
renamed into place whole); the message says which files to delete.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import NoReturn

from sim.errors import UsageError
from sim.units import MAX_HORIZON_WEEKS

FORMAT = "salesim-study"
FORMAT_VERSION = 2  # 2: parts carry their identity in their metadata
MANIFEST = "manifest.json"
PARTS = "parts"
PART_KEY = b"salesim.part"  # the Parquet key-value metadata entry of a part (JSON)
PART_FORMAT = "salesim-study-part"
NAME = re.compile(r"^p(\d{5,})-c(\d{6,})\.([a-z_]+)\.parquet$")
# Keys that must agree for a resume to continue the same study; their digest is in every part.
IDENTITY = ("format", "format_version", "kind", "root_seed", "reps", "chunk_size", "weekly", "points", "design",
            "salesim_version", "numpy_version", "bit_generator")
_HASH = re.compile(r"^[0-9a-f]{64}$")

Chunks = dict[tuple[int, int], dict[str, tuple[Path, object]]]  # (point, chunk) -> {kind: (path, frame)}


def part_name(point: int, chunk: int, kind: str) -> str:
    return f"p{point:05d}-c{chunk:06d}.{kind}.parquet"


def part_kinds() -> tuple[str, ...]:
    """The kinds of part a chunk may have: KPI rows, weekly series, agent-level tables."""
    from sim.experiments.runner.flatten import LONG_TABLES

    return ("kpis", "weekly", *LONG_TABLES)


def study_digest(manifest: dict) -> str:
    """SHA-256 of the manifest's identity keys (:data:`IDENTITY`): the study every part belongs to."""
    data = {k: manifest.get(k) for k in IDENTITY}
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- the manifest


def _whole(value, low: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= low


def manifest_problems(m) -> list[str]:
    """What is impossible in a manifest read back from a folder (empty: nothing)."""
    if not isinstance(m, dict):
        return [f"expected a JSON object, found {short(m)}"]
    if m.get("format") != FORMAT:
        return [f"format: expected {FORMAT!r}, got {short(m.get('format'))}"]
    problems: list[str] = []

    def need(key: str, ok: Callable[[object], bool], what: str) -> None:
        if key not in m:
            problems.append(f"{key}: missing")
        elif not ok(m[key]):
            problems.append(f"{key}: expected {what}, got {short(m[key])}")

    need("format_version", lambda v: _whole(v, 1), "a whole number >= 1")
    need("kind", lambda v: isinstance(v, str) and bool(v), "the kind of study")
    need("root_seed", lambda v: _whole(v, 0), "a whole number >= 0")
    need("reps", lambda v: _whole(v, 1), "a whole number >= 1")
    need("chunk_size", lambda v: _whole(v, 1), "a whole number >= 1")
    need("weekly", lambda v: isinstance(v, bool), "true or false")
    for key in ("salesim_version", "numpy_version", "bit_generator"):
        need(key, lambda v: isinstance(v, str), "a version string")
    if not (m.get("design") is None or isinstance(m.get("design"), dict)):
        problems.append(f"design: expected an object or null, got {short(m.get('design'))}")
    points = m.get("points")
    if not isinstance(points, list):
        problems.append(f"points: expected a list of the study's points, got {short(points)}")
    else:
        for i, pt in enumerate(points):
            problem = _point_problem(i, pt)
            if problem:
                problems.append(f"points[{i}]: {problem}")
                break
    return problems


def _point_problem(i: int, pt) -> str | None:
    if not isinstance(pt, dict):
        return f"expected an object, got {short(pt)}"
    if not _whole(pt.get("point"), 0) or pt["point"] != i:
        return f"point: expected {i}, got {short(pt.get('point'))}"
    h = pt.get("scenario_hash")
    if not (isinstance(h, str) and _HASH.match(h)):
        return f"scenario_hash: expected 64 hexadecimal digits, got {short(h)}"
    w = pt.get("horizon_weeks")
    if isinstance(w, bool) or not isinstance(w, int | float) or not 0 < w <= MAX_HORIZON_WEEKS:
        return f"horizon_weeks: expected a number of weeks in (0, {MAX_HORIZON_WEEKS}], got {short(w)}"
    return None


# --------------------------------------------------------------------------- the parts


class PartChecker:
    """What the parts of the study ``manifest`` describes must say, in ``out/parts``."""

    def __init__(self, out: Path, manifest: dict):
        self.out, self.manifest = out, manifest
        self.digest = study_digest(manifest)
        self.kinds = part_kinds()

    def layout(self, point: int, chunk: int) -> list[int] | None:
        """The replications chunk ``chunk`` of ``point`` holds, for a study that lists its
        points up front (``None`` for one that discovers them, the planner: its parts
        are checked for consecutive replications, at most ``chunk_size`` of them)."""
        m, size = self.manifest, self.manifest["chunk_size"]
        return list(range(chunk * size, min((chunk + 1) * size, m["reps"]))) if m.get("points") else None

    def point(self, point: int) -> dict:
        """The manifest's entry of a point (name, scenario hash, horizon...), or ``{}``."""
        points = self.manifest.get("points") or []
        return points[point] if 0 <= point < len(points) else {}

    def metadata(self, point: int, chunk: int, kind: str, reps: list[int], parts: list[str] | None = None) -> dict:
        """What a part of this study says about itself (``parts``: the chunk's other parts, on its KPI part)."""
        m = self.manifest
        meta = {"format": PART_FORMAT, "format_version": FORMAT_VERSION, "kind": kind,
                "salesim_version": m.get("salesim_version"), "study": self.digest,
                "identity": {k: m.get(k) for k in IDENTITY if not isinstance(m.get(k), list | dict)},
                "root_seed": m.get("root_seed"), "point": point,
                "scenario_hash": self.point(point).get("scenario_hash"),
                "horizon_weeks": self.point(point).get("horizon_weeks"), "chunk": chunk, "replications": reps}
        return meta if parts is None else dict(meta, parts=parts)

    def scan(self, frames: bool) -> Chunks:
        """Every part in ``parts/``, checked against the manifest, its name, its rows
        and the other parts of its chunk (the whole frame if ``frames``, else only
        its point and rep columns). Anything that does not fit is refused."""
        chunks: Chunks = {}
        metas: dict[Path, dict] = {}
        holder: dict[tuple[int, int], Path] = {}  # (point, rep) -> the KPI part holding it
        folder = self.out / PARTS
        files = sorted(p for p in folder.iterdir() if p.name.endswith(".parquet")
                       and not p.name.startswith(".")) if folder.is_dir() else []
        for path in files:
            m = NAME.match(path.name)
            if m is None or m.group(3) not in self.kinds:
                self._refuse(path, "is not named as salesim names a part (pPPPPP-cCCCCCC.KIND.parquet, KIND one "
                             f"of {', '.join(self.kinds)})", move=True)
            point, chunk, kind = int(m.group(1)), int(m.group(2)), m.group(3)
            meta, frame = self._read(path, point, chunk, kind, frames)
            if kind == "kpis":
                for rep in meta["replications"]:
                    other = holder.setdefault((point, rep), path)
                    if other != path:
                        self._refuse(path, f"holds replication {rep} of point {point}, which {other.name} holds too")
            metas[path] = meta
            chunks.setdefault((point, chunk), {})[kind] = (path, frame)
        for (point, chunk), got in chunks.items():
            self._check_chunk(point, chunk, got, metas)
        return chunks

    def _check_chunk(self, point: int, chunk: int, got: dict, metas: dict[Path, dict]) -> None:
        if "kpis" not in got:
            self._refuse(next(iter(got.values()))[0], f"belongs to a chunk without its KPI part "
                         f"({part_name(point, chunk, 'kpis')}), which salesim writes last")
        kpis = got["kpis"][0]
        listed = metas[kpis]["parts"]
        for kind, (path, _) in got.items():
            if kind != "kpis" and kind not in listed:
                self._refuse(path, f"is not one of the parts {kpis.name} lists for its chunk ({short(listed)})")
            if metas[path]["replications"] != metas[kpis]["replications"]:
                self._refuse(path, f"holds replications {span(metas[path]['replications'])}, but its chunk's "
                             f"KPI part {kpis.name} holds {span(metas[kpis]['replications'])}")
        for kind in listed:
            if kind not in got:
                self._refuse(kpis, f"its chunk's {kind} part ({part_name(point, chunk, kind)}) is missing")

    def _read(self, path: Path, point: int, chunk: int, kind: str, whole: bool) -> tuple[dict, object]:
        """The part's metadata and rows (the whole frame, or ``None`` if not ``whole``), checked."""
        import pandas as pd
        import pyarrow.parquet as pq

        try:
            with pq.ParquetFile(path) as pf:
                schema = pf.schema_arrow
                cols = ["point", "rep"]
                light = None if whole or not set(cols) <= set(schema.names) else pf.read(columns=cols)
        except Exception as exc:  # noqa: BLE001 - whatever the reader says, the file is unreadable
            self._damaged(path, exc)
        meta = self._check_meta(path, schema.metadata, point, chunk, kind)
        if not set(cols) <= set(schema.names):
            self._refuse(path, "has no point or rep column")
        frame = None
        if whole:
            try:
                frame = pd.read_parquet(path)
            except Exception as exc:  # noqa: BLE001
                self._damaged(path, exc)
            pts, reps = frame["point"].to_numpy(), frame["rep"].to_numpy()
        else:
            if light is None:  # (a part without the columns was refused above)
                self._refuse(path, "has no point or rep column")
            pts, reps = light.column("point").to_numpy(), light.column("rep").to_numpy()
        self._check_rows(path, pts, reps, point, kind, meta["replications"])
        return meta, frame

    def _check_meta(self, path: Path, metadata: dict | None, point: int, chunk: int, kind: str) -> dict:
        """The part's metadata, checked against the manifest and the part's name."""
        raw = (metadata or {}).get(PART_KEY)
        if raw is None:
            self._refuse(path, "carries no salesim part metadata (it was written by another program, or by an "
                         "older salesim, or rewritten since)")
        try:
            meta = json.loads(raw)
        except ValueError:
            meta = None
        if not isinstance(meta, dict) or meta.get("format") != PART_FORMAT:
            self._refuse(path, "its salesim part metadata is not readable")
        for key, want in (("kind", kind), ("point", point), ("chunk", chunk)):
            if meta.get(key) != want or isinstance(meta.get(key), bool):
                self._refuse(path, f"holds {key} {short(meta.get(key))} by its metadata, not {want!r} as its "
                             "name says (renamed?)")
        m = self.manifest
        if m.get("points") and point >= len(m["points"]):
            self._refuse(path, f"is for point {point}, but the study has {len(m['points'])} point(s)")
        info = self.point(point)
        if meta.get("scenario_hash") != info.get("scenario_hash"):
            self._refuse(path, f"was run on another scenario than point {point}'s in {MANIFEST} (scenario_hash "
                         f"{short(meta.get('scenario_hash'))}, not {short(info.get('scenario_hash'))})")
        if meta.get("study") != self.digest:
            identity = meta.get("identity")
            said = dict(identity if isinstance(identity, dict) else {}, horizon_weeks=meta.get("horizon_weeks"))
            diffs = [f"{k}: the part says {short(v)}, {MANIFEST} {short(m.get(k, info.get(k)))}"
                     for k, v in said.items() if m.get(k, info.get(k)) != v]
            detail = "; ".join(diffs) or "their study points or design differ"
            self._refuse(path, f"was written for another study than {self.out / MANIFEST} describes ({detail})")
        reps = meta.get("replications")
        if not isinstance(reps, list) or not reps or not all(_whole(r, 0) for r in reps):
            self._refuse(path, "its metadata lists no replications")
        layout = self.layout(point, chunk)
        sizes = f"reps={m['reps']}, chunk_size={m['chunk_size']}"
        if layout is None:
            if len(reps) > m["chunk_size"] or reps != list(range(reps[0], reps[0] + len(reps))):
                self._refuse(path, f"holds replications {span(reps)}: not at most chunk_size={m['chunk_size']} "
                             "consecutive ones")
        elif not layout:
            self._refuse(path, f"is chunk {chunk}, but the study has {math.ceil(m['reps'] / m['chunk_size'])} "
                         f"chunk(s) per point ({sizes})")
        elif reps != layout:
            self._refuse(path, f"holds replications {span(reps)}, but chunk {chunk} of this study holds "
                         f"{span(layout)} ({sizes})")
        listed = meta.get("parts")
        if kind == "kpis" and not (isinstance(listed, list) and set(listed) <= set(self.kinds) - {"kpis"}):
            self._refuse(path, "its metadata does not list its chunk's other parts")
        return meta

    def _check_rows(self, path: Path, pts, reps, point: int, kind: str, want: list[int]) -> None:
        """The rows' point and rep columns (numpy arrays) against the part's metadata."""
        import numpy as np

        if pts.dtype.kind not in "iu" or reps.dtype.kind not in "iu":
            self._refuse(path, "its point or rep column does not hold whole numbers")
        points = [int(p) for p in np.unique(pts)]
        held = [int(r) for r in (np.sort(reps) if kind == "kpis" else np.unique(reps))]
        if set(points) - {point}:
            self._refuse(path, f"has rows of point(s) {span(points)}, but its metadata says point {point}")
        if kind == "kpis" and held != want or kind != "kpis" and not set(held) <= set(want):
            self._refuse(path, f"has rows of replication(s) {span(held)}, but its metadata says {span(want)}")

    def _refuse(self, path: Path, why: str, move: bool = False) -> NoReturn:
        """A part that does not fit the study: never merged, left for the user to decide."""
        fix = f"move it out of {path.parent}" if move else recompute(path)
        raise UsageError(f"{path}: {why}; the study folder was edited (a part copied in, renamed or rewritten, "
                         f"or {MANIFEST} changed), so nothing was merged: put back what was changed, or {fix}")

    def _damaged(self, path: Path, exc: BaseException) -> NoReturn:
        why = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UsageError(f"{path}: cannot be read ({why}): the file is truncated or damaged, so nothing was "
                         f"merged; {recompute(path)}") from None


def combine(frames: list, keys: list[str], names: list[Path] | None = None):
    """Concatenate parts, ordered by replication, refusing duplicates (naming their files)."""
    import pandas as pd

    paths: list[Path | None] = list(names) if names is not None else [None] * len(frames)
    named = [(f, n) for f, n in zip(frames, paths, strict=True) if len(f)]
    if not named:
        return pd.DataFrame(columns=keys)
    df = pd.concat([f for f, _ in named], ignore_index=True).sort_values(keys, kind="stable").reset_index(drop=True)
    dup = df.duplicated(keys)
    if dup.any():
        key = tuple(df.loc[dup.idxmax(), keys])
        where = [n for f, n in named if n is not None and (f[keys] == key).all(axis=1).any()]
        if not where:  # in memory: the driver's own doing
            raise RuntimeError(f"duplicate rows for {keys} in the study's parts")
        raise UsageError(f"{', '.join(map(str, where))}: more than one row for {dict(zip(keys, key, strict=True))}; "
                         f"the study folder was edited, so nothing was merged: {recompute(where[0])}")
    return df


def concat(frames: list):
    """Long tables of the parts, ordered by (point, replication), rows within a run kept in order."""
    import pandas as pd

    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=["point", "rep"])
    return pd.concat(frames, ignore_index=True).sort_values(["point", "rep"], kind="stable").reset_index(drop=True)


def recompute(path: Path) -> str:
    """How to have a chunk computed again: delete its files, resume."""
    m = NAME.match(path.name)
    stem = path.name.split(".")[0] if m is None else f"p{m.group(1)}-c{m.group(2)}"
    return (f"delete that chunk's files ({path.parent / stem}.*.parquet) and run the same command with "
            "--resume to compute them again")


def span(values: Iterable[int]) -> str:
    """Replication indices, briefly: ``0-3``, ``0, 2, 5``, ``0, 1, ... (120 in all)``."""
    values = list(values)
    if not values:
        return "none"
    if len(values) > 2 and values == list(range(values[0], values[0] + len(values))):
        return f"{values[0]}-{values[-1]}"
    text = ", ".join(str(v) for v in values[:8])
    return text + (f", ... ({len(values)} in all)" if len(values) > 8 else "")


def short(value) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 80 else text[:77] + "..."
