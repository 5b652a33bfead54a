"""Output paths: checked before any work, written whole or not at all, and
never over something the user owns.

One module for every file or folder salesim writes, so that every command
keeps the same three promises:

1. **Never write over an input.** An output may not be, or contain, a file the
   same command reads (the scenario and its ``extends`` chain, the CRM
   history, the mapping, the run folder being exported...); a file output may
   not go inside a folder the command reads, unless that is the command's own
   design (``salesim report DIR`` writes ``DIR/report.html``).
2. **Never replace without ``--force``, and ``--force`` replaces only what
   salesim wrote.** salesim records what it wrote: a folder it made carries a
   marker (:data:`FOLDER_MARK`, listing the names it wrote); a file it wrote is
   listed, with the SHA-256 of its bytes, in the ledger of its folder
   (:data:`LEDGER`). ``--force`` replaces a folder whose marker lists every
   entry in it, and a file whose bytes are still the ones salesim wrote;
   anything else (a folder of scenarios, a file edited since, a shipped
   sample) is refused with exit 2.
3. **Whole or nothing.** Everything is written to a hidden temporary sibling,
   flushed to disk and renamed into place (``os.replace`` is atomic on one
   file system). A group of files (a fitted scenario with its report and
   figure) is written completely before the first rename. A full disk, a
   read-only folder or an interruption leaves the old content, never a
   truncated file, and ends with exit 2 and a message.

The checks (:func:`file_target`, :func:`folder_target`) create nothing, so a
refused or failed command leaves no empty folders behind; missing parent
folders are made only when the output is about to be written.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import secrets
import shutil
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sim.errors import UsageError

FOLDER_MARK = ".salesim-output.json"  # inside a folder salesim wrote: the names it wrote
LEDGER = ".salesim-written.json"  # beside files salesim wrote: name -> SHA-256 of the bytes
_FORMAT = "salesim-output"
_TMP = ".salesim-tmp-"  # prefix of temporary siblings; removed on failure

Writer = Callable[[Path], object]  # what it returns is ignored


# --------------------------------------------------------------------------- checks (create nothing)


def check_parent(path: str | os.PathLike, flag: str) -> Path:
    """Refuse ``path`` if its folder cannot be made or written; creates nothing.

    The nearest existing ancestor must be a writable folder; every missing
    folder between it and ``path`` will be created by :func:`make_parent`.
    """
    p = Path(path)
    try:
        parent = p.resolve().parent
    except (OSError, RuntimeError) as exc:  # a symlink loop
        raise UsageError(f"{flag} {p}: cannot resolve the path ({exc})") from None
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


def make_parent(path: str | os.PathLike, flag: str, made: list[Path] | None = None) -> Path:
    """Create the missing folders above ``path`` (after :func:`check_parent`);
    ``made`` collects the folders created, outermost first, so that a failed
    write can take them away again (:func:`unmake`)."""
    parent = check_parent(path, flag)
    missing = []
    probe = parent
    while not probe.exists():
        missing.append(probe)
        probe = probe.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        unmake([m for m in reversed(missing) if m.exists()])
        raise UsageError(f"{flag} {path}: cannot create folder {parent} ({exc.strerror or exc})") from None
    if made is not None:
        made.extend(m for m in reversed(missing) if m not in made)
    return parent


def unmake(made: list[Path]) -> None:
    """Remove folders this command created (innermost first) if still empty."""
    for folder in reversed(made):
        with contextlib.suppress(OSError):
            folder.rmdir()


@dataclass(frozen=True)
class Inputs:
    """What a command reads: files, and folders it reads files from.

    ``writable_folders`` are input folders the command may add its own output
    to (``report`` writes ``DIR/report.html``); it still never writes over a
    file listed in ``files``.
    """

    files: tuple[Path, ...] = ()
    folders: tuple[Path, ...] = ()
    writable_folders: tuple[Path, ...] = ()

    @classmethod
    def of(cls, files: Iterable[str | os.PathLike | None] = (), folders: Iterable[str | os.PathLike | None] = (),
           writable_folders: Iterable[str | os.PathLike | None] = ()) -> Inputs:
        def real(items):
            return tuple(_real(Path(p)) for p in items if p is not None)

        return cls(real(files), real(folders), real(writable_folders))

    def all(self) -> tuple[Path, ...]:
        return self.files + self.folders + self.writable_folders


NO_INPUTS = Inputs()


def _real(p: Path) -> Path:
    try:
        return p.resolve()
    except (OSError, RuntimeError):
        return p.absolute()


def _inside(child: Path, parent: Path) -> bool:
    return child == parent or parent in child.parents


def _same(a: Path, b: Path) -> bool:
    if a == b:
        return True
    try:
        return os.path.samefile(a, b)  # hard links, bind mounts
    except OSError:
        return False


def _check_not_input(out: Path, inputs: Inputs, flag: str, folder: bool) -> None:
    real = _real(out)
    for inp in inputs.all():
        if _same(real, inp):
            raise UsageError(f"{flag} {out}: is an input of this command ({inp}); salesim never writes over "
                             "its inputs; choose another name")
        if folder and _inside(inp, real):
            raise UsageError(f"{flag} {out}: contains an input of this command ({inp}); salesim never writes "
                             "over its inputs; choose another folder")
    for inp in inputs.folders:
        if _inside(real, inp):
            raise UsageError(f"{flag} {out}: is inside {inp}, a folder this command reads; choose a path "
                             "outside it")


def file_target(path: str | os.PathLike, *, flag: str = "--out", inputs: Inputs = NO_INPUTS, force: bool = False,
                suffixes: Sequence[str] = (), example: str | None = None) -> Path:
    """Check a file output before any work: not an input, not a folder, the
    right suffix, replaced only with ``force`` and only if salesim wrote it."""
    p = Path(path)
    if not str(path).strip():
        raise UsageError(f"{flag}: expected a file name, got an empty string")
    if p.is_dir():
        name = example or (f"output{suffixes[0]}" if suffixes else "output")
        raise UsageError(f"{flag} {p}: is a folder; give a file name such as {p / name}")
    if suffixes and p.suffix.lower() not in suffixes:
        raise UsageError(f"{flag} {p}: expected a file name ending in {' or '.join(suffixes)}")
    _check_not_input(p, inputs, flag, folder=False)
    if p.exists() or p.is_symlink():
        if not force:
            raise UsageError(f"{flag} {p}: file exists; add --force to replace it (only a file salesim "
                             "wrote is replaced)")
        why = _not_ours_file(p)
        if why:
            raise UsageError(f"{flag} {p}: file exists and {why}; --force only replaces what salesim wrote. "
                             "Move it away yourself or choose another name")
    check_parent(p, flag)
    return p


def folder_target(path: str | os.PathLike, *, flag: str = "--out", inputs: Inputs = NO_INPUTS,
                  force: bool = False) -> Path:
    """Check a folder output before any work: not an input nor holding one,
    new or empty, or (with ``force``) a folder salesim wrote."""
    p = Path(path)
    if not str(path).strip():
        raise UsageError(f"{flag}: expected a folder name, got an empty string")
    if p.is_symlink():
        raise UsageError(f"{flag} {p}: is a symbolic link; give the folder itself")
    if p.exists() and not p.is_dir():
        raise UsageError(f"{flag} {p}: exists and is not a folder")
    _check_not_input(p, inputs, flag, folder=True)
    if p.exists() and _entries(p):
        if not force:
            raise UsageError(f"{flag} {p}: folder exists and is not empty; add --force to replace it (only a "
                             "folder salesim wrote is replaced)")
        why = _not_ours_folder(p)
        if why:
            raise UsageError(f"{flag} {p}: {why}; --force only replaces a folder salesim wrote. "
                             "Choose another folder")
    check_parent(p, flag)
    return p


def _entries(folder: Path) -> list[str]:
    try:
        return sorted(os.listdir(folder))
    except OSError as exc:
        raise UsageError(f"--out {folder}: cannot read the folder ({exc.strerror or exc})") from None


# --------------------------------------------------------------------------- what salesim wrote


def _sha256(path: Path) -> str | None:
    h = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    except OSError:
        return None
    return h.hexdigest()


def _read_json(path: Path) -> dict | None:
    try:
        if path.is_symlink() or not path.is_file() or path.stat().st_size > 10_000_000:
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError, RecursionError):
        return None
    return data if isinstance(data, dict) and data.get("format") == _FORMAT else None


def _ledger(folder: Path) -> dict[str, dict]:
    data = _read_json(folder / LEDGER)
    files = data.get("files") if data else None
    return files if isinstance(files, dict) else {}


def _not_ours_file(p: Path) -> str | None:
    """Why ``p`` is not a file salesim wrote and left unchanged (None when it is)."""
    if p.is_symlink() or not p.is_file():
        return "is not a regular file"
    entry = _ledger(_real(p).parent).get(p.name)
    if not isinstance(entry, dict) or "sha256" not in entry:
        return "was not written by salesim"
    if entry["sha256"] != _sha256(p):
        return "was changed since salesim wrote it"
    return None


def _not_ours_folder(p: Path) -> str | None:
    mark = _read_json(p / FOLDER_MARK)
    if mark is None:
        legacy = _legacy_run_folder(p)
        return None if legacy else "the folder was not written by salesim (it has no salesim marker)"
    names = mark.get("files")
    if not isinstance(names, list):
        return "the folder's salesim marker is damaged"
    extra = [n for n in _entries(p) if n not in names and n not in (FOLDER_MARK, LEDGER) and not n.startswith(_TMP)]
    if extra:
        shown = ", ".join(extra[:5]) + (" ..." if len(extra) > 5 else "")
        return f"the folder holds files salesim did not write ({shown})"
    return None


_LEGACY_RUN = {"events.csv", "leads.csv", "weekly.csv", "timeline.csv", "accounts.csv", "events.parquet",
               "leads.parquet", "weekly.parquet", "timeline.parquet", "accounts.parquet", "kpis.json",
               "scenario.resolved.yaml", "run.json", "report.html"}


def _legacy_run_folder(p: Path) -> bool:
    """A run folder written before folders carried a marker: only the names
    ``salesim run --out`` writes, and a ``run.json`` that says salesim."""
    names = set(_entries(p))
    if "run.json" not in names or not names <= _LEGACY_RUN:
        return False
    try:
        info = json.loads((p / "run.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return False
    return isinstance(info, dict) and "salesim_version" in info


def _mark(by: str, files: Iterable[str]) -> str:
    return json.dumps({"format": _FORMAT, "by": by, "written_utc": datetime.now(UTC).isoformat(timespec="seconds"),
                       "files": sorted(files)}, indent=2) + "\n"


def _record(paths: Iterable[Path], by: str) -> None:
    """Add files salesim just wrote to the ledger of their folder (best effort:
    if the ledger cannot be written, ``--force`` will refuse them later)."""
    by_folder: dict[Path, list[Path]] = {}
    for p in paths:
        by_folder.setdefault(_real(p).parent, []).append(p)
    for folder, items in by_folder.items():
        files = _ledger(folder)
        for p in items:
            digest = _sha256(p)
            if digest is not None:
                files[p.name] = {"sha256": digest, "by": by}
        files = {n: e for n, e in files.items() if (folder / n).exists()}
        text = json.dumps({"format": _FORMAT, "files": files}, indent=2, sort_keys=True) + "\n"
        with contextlib.suppress(OSError):
            _replace_with(folder / LEDGER, text_writer(text))
        mark = _read_json(folder / FOLDER_MARK)  # a file added to a folder salesim wrote (its report)
        if mark is not None and isinstance(mark.get("files"), list):
            names = sorted(set(mark["files"]) | {p.name for p in items})
            with contextlib.suppress(OSError):
                _replace_with(folder / FOLDER_MARK, text_writer(_mark(str(mark.get("by", by)), names)))


# --------------------------------------------------------------------------- writing


def cannot_write(path: str | os.PathLike, exc: OSError, flag: str = "--out") -> UsageError:
    """The message for an output that could not be written (exit 2, no traceback)."""
    why = exc.strerror or str(exc)
    if exc.errno == errno.ENOSPC:
        why += "; free some space or choose another place"
    return UsageError(f"{flag} {path}: cannot write ({why}); nothing was written")


def _tmp_sibling(path: Path) -> Path:
    # hidden, and never ending like the real file, so no glob for finished files can match it
    return path.with_name(f"{_TMP}{os.getpid()}-{secrets.token_hex(4)}-{path.name}"[:240] + ".partial")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _replace_with(path: Path, write: Writer) -> None:
    tmp = _tmp_sibling(path)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~_umask())
        _fsync(tmp)
        os.replace(tmp, path)
    except BaseException:
        _unlink(tmp)
        raise


def _unlink(p: Path) -> None:
    with contextlib.suppress(OSError):
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink()


def atomic_write(path: str | os.PathLike, write: Writer) -> None:
    """Write via ``write(tmp)`` to a hidden sibling, flush it to disk, rename
    into place. OSError propagates (callers inside a store handle it); the
    temporary file never survives."""
    _replace_with(Path(path), write)


def write_files(items: Sequence[tuple[str | os.PathLike, Writer]], *, by: str, flag: str = "--out") -> list[Path]:
    """Write several files as one: every temporary sibling is complete and on
    disk before the first is renamed into place. Folders above are made.
    Records them as written by ``by`` (the command, e.g. ``salesim calibrate``)."""
    staged: list[tuple[Path, Path]] = []
    made: list[Path] = []
    done = False
    try:
        for path, write in items:
            p = Path(path)
            make_parent(p, flag, made)
            tmp = _tmp_sibling(p)
            staged.append((tmp, p))
            try:
                write(tmp)
                os.chmod(tmp, 0o666 & ~_umask())
                _fsync(tmp)
            except OSError as exc:
                raise cannot_write(p, exc, flag) from None
        for tmp, p in staged:
            try:
                os.replace(tmp, p)
            except OSError as exc:
                raise cannot_write(p, exc, flag) from None
        done = True
    finally:
        for tmp, _ in staged:
            if tmp.exists():
                _unlink(tmp)
        if not done:
            unmake(made)
    written = [p for _, p in staged]
    _record(written, by)
    return written


def write_file(path: str | os.PathLike, write: Writer, *, by: str, flag: str = "--out") -> Path:
    """One file, atomically, recorded as written by ``by``."""
    return write_files([(path, write)], by=by, flag=flag)[0]


def text_writer(text: str) -> Writer:
    return lambda p: p.write_text(text, encoding="utf-8")


@contextlib.contextmanager
def staged_folder(out: str | os.PathLike, *, by: str, flag: str = "--out") -> Iterator[Path]:
    """Build a folder in a hidden temporary sibling; on success, mark it as
    salesim's and put it in place of ``out`` (the old folder, already checked
    by :func:`folder_target`, goes only once the new one is complete); on any
    failure nothing changes and nothing is left behind."""
    out = Path(out)
    made: list[Path] = []
    make_parent(out, flag, made)
    tmp = _tmp_sibling(out)
    try:
        tmp.mkdir()
    except OSError as exc:
        unmake(made)
        raise cannot_write(out, exc, flag) from None
    old: Path | None = None
    done = False
    try:
        os.chmod(tmp, 0o777 & ~_umask())
        yield tmp
        names = _entries(tmp)
        (tmp / FOLDER_MARK).write_text(_mark(by, names), encoding="utf-8")
        for name in names + [FOLDER_MARK]:
            if (tmp / name).is_file():
                _fsync(tmp / name)
        if out.exists():
            old = _tmp_sibling(out)
            os.replace(out, old)
            try:
                os.replace(tmp, out)
            except OSError:
                os.replace(old, out)  # put the old folder back
                old = None
                raise
        else:
            os.replace(tmp, out)
        done = True
    except OSError as exc:
        raise cannot_write(out, exc, flag) from None
    finally:
        _unlink(tmp)
        if old is not None:
            _unlink(old)
        if not done:
            unmake(made)


def mark_folder(folder: str | os.PathLike, *, by: str) -> None:
    """Mark a folder salesim wrote in place (a study folder, written part by
    part), listing what is in it now."""
    f = Path(folder)
    names = [n for n in _entries(f) if n != FOLDER_MARK and not n.startswith(_TMP)]
    with contextlib.suppress(OSError):
        _replace_with(f / FOLDER_MARK, text_writer(_mark(by, names)))


def clean_temporaries(folder: str | os.PathLike) -> None:
    """Remove temporary siblings a killed salesim left in ``folder``."""
    with contextlib.suppress(OSError):
        for p in Path(folder).glob(f"{_TMP}*"):
            _unlink(p)
