"""Reading one file of a results folder: a regular file, capped, never waited on.

The same rules as a scenario file (:mod:`sim.scenario.files`): the file is
opened without blocking and checked on the open descriptor, so a folder, a
named pipe or a device where a file should be is refused by name; its size is
capped; text must be UTF-8; small files are read in a thread that is given
up after a few seconds (a stalled network mount). JSON is parsed strictly
(no ``NaN``/``Infinity``, no repeated key) and YAML through the scenario
loader's safe parser (no tags, aliases expanded under a budget).
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import IO, Any

from sim.errors import ScenarioError, UsageError
from sim.scenario.files import file_kind, read_blocking

MAX_TEXT_BYTES = 64_000_000  # kpis.json, manifest.json, plan.json, findings.md, YAML shown in a report
MAX_TABLE_BYTES = 4_000_000_000  # events.csv of a run at the 30 million event limit is ~2.5 GB
READ_TIMEOUT_S = 10.0


class FolderFileError(UsageError):
    """A file of a results folder that salesim cannot use as it is (exit 2).

    ``file`` is the file as shown, ``key`` the key path inside it (``()`` for
    the whole file), ``message`` what is wrong."""

    def __init__(self, file: str | os.PathLike, key: tuple = (), message: str = ""):
        self.file, self.key, self.message = str(file), tuple(key), message
        where = ".".join(str(k) for k in self.key)
        hint = " (was it edited by hand? write the folder again with salesim)"
        super().__init__(f"{self.file}: {where}: {message}{hint}" if where else f"{self.file}: {message}{hint}")


def open_file(path: Path, cap: int) -> int:
    """An open descriptor (blocking) on the regular file ``path`` of at most ``cap`` bytes."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        raise FolderFileError(path, (), "no such file") from None
    except OSError as exc:
        raise FolderFileError(path, (), f"cannot read: {exc.strerror}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise FolderFileError(path, (), f"is {file_kind(st.st_mode)}, not a file")
        if st.st_size > cap:
            raise FolderFileError(path, (), f"is {st.st_size:,} bytes; salesim reads at most {cap:,} from this kind "
                                  "of file")
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_bytes(path: Path, cap: int = MAX_TEXT_BYTES) -> bytes:
    """The bytes of a small file, given up after ``READ_TIMEOUT_S`` (the reader
    thread is abandoned, not killed, and keeps the descriptor)."""
    fd = open_file(path, cap)
    try:
        data = read_blocking(fd, cap, READ_TIMEOUT_S, "read-results-file")
    except TimeoutError:  # the reader thread still holds the descriptor
        raise FolderFileError(path, (), f"reading did not finish within {READ_TIMEOUT_S:g} s (a stalled network "
                              "file system?); not waiting any longer") from None
    except OSError as exc:
        os.close(fd)
        raise FolderFileError(path, (), f"cannot read: {exc.strerror}") from None
    os.close(fd)
    if len(data) > cap:
        raise FolderFileError(path, (), f"is more than {cap:,} bytes; salesim reads at most that from this kind "
                              "of file")
    return data


def read_text(path: Path, cap: int = MAX_TEXT_BYTES) -> str:
    """A small UTF-8 text file (refused by name if it is not text); a byte order mark,
    which some editors add when saving, is dropped."""
    raw = read_bytes(path, cap)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FolderFileError(path, (), f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    if "\x00" in text:
        raise FolderFileError(path, (), "not text (it holds NUL bytes)")
    return text


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows (salesim never writes it)")


def _no_repeats(pairs: list[tuple[str, Any]]) -> dict:
    out: dict = {}
    for k, v in pairs:
        if k in out:
            raise ValueError(f"key {k!r} repeated (a later value would silently win)")
        out[k] = v
    return out


def read_json(path: Path) -> Any:
    """A JSON document, parsed strictly: no NaN or Infinity, no repeated key."""
    text = read_text(path)
    if not text.strip():
        raise FolderFileError(path, (), "the file is empty; expected a JSON object")
    try:
        return json.loads(text, parse_constant=_no_constant, object_pairs_hook=_no_repeats)
    except json.JSONDecodeError as exc:
        raise FolderFileError(path, (), f"not valid JSON at line {exc.lineno}, column {exc.colno} "
                              f"({exc.msg})") from None
    except ValueError as exc:  # a constant or repeated key refused above; an integer too long to read
        raise FolderFileError(path, (), f"not valid JSON for salesim: {exc}") from None
    except RecursionError:
        raise FolderFileError(path, (), "not valid JSON for salesim: nested too deeply") from None


def read_yaml(path: Path) -> Any:
    """A YAML document through the scenario loader's safe parser (an empty one is refused)."""
    from sim.scenario.files import MAX_FILE_BYTES
    from sim.scenario.loader import parse_yaml

    text = read_text(path, MAX_FILE_BYTES)
    data, _ = _parse(parse_yaml, text, str(path))
    return data


def _parse(parse_yaml, text: str, file: str) -> tuple[Any, dict]:
    try:
        return parse_yaml(text, file)
    except ScenarioError as exc:
        first = exc.problems[0] if exc.problems else None
        what = first.message if first else "not valid YAML"
        if what.startswith("the file is empty"):
            what = "the file is empty (or only comments)"
        where = f" (line {first.line})" if first is not None and first.line else ""
        raise FolderFileError(file, first.path if first else (), f"{what}{where}") from None


def read_scenario(path: Path):
    """A resolved scenario (``scenario.resolved.yaml``) validated as a scenario file is:
    the same safe parser and schema, so every problem names its line and key."""
    return scenario_and_text(path)[0]


def scenario_and_text(path: Path) -> tuple[Any, str]:
    """:func:`read_scenario` and the file's text (shown in a report as it is)."""
    from sim.scenario.files import MAX_FILE_BYTES
    from sim.scenario.loader import parse_yaml, validate_data

    text = read_text(path, MAX_FILE_BYTES)
    data, origins = _parse(parse_yaml, text, str(path))
    if not isinstance(data, dict):
        raise FolderFileError(path, (), f"expected a scenario (a mapping of keys), got {type(data).__name__}")
    return validate_data(data, origins, str(path)), text


def open_table(path: Path) -> IO[bytes]:
    """A binary file object on a table (CSV or Parquet) under :data:`MAX_TABLE_BYTES`."""
    return os.fdopen(open_file(path, MAX_TABLE_BYTES), "rb")
