"""Reading a scenario file: a regular UTF-8 file under a size cap, never waited on.

Why its own module: the loader must not hang or crash on whatever path it is
given -- a folder, a named pipe, a device, a file on a stalled mount -- and
each of those deserves a message that says what the path is.
"""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path
from typing import Any

from sim.errors import ScenarioError

MAX_FILE_BYTES = 2_000_000
READ_TIMEOUT_S = 10.0  # a scenario file is read in milliseconds; anything slower is stuck


def file_kind(mode: int) -> str:
    """What a non-regular file is, in words a user recognizes."""
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe (FIFO)"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def _read_fd(fd: int, file: str) -> bytes:
    """Read a whole file, giving up after ``READ_TIMEOUT_S``: a file on a stalled
    mount (or anything else that blocks) must not hang ``validate``. The read
    runs in a daemon thread, which is abandoned (not killed) on a timeout."""
    try:
        return read_blocking(fd, MAX_FILE_BYTES, READ_TIMEOUT_S, "read-scenario")
    except TimeoutError:
        raise ScenarioError.at(file, None, (), f"reading did not finish within {READ_TIMEOUT_S:g} s (a pipe, "
                               "a device or a stalled network file system?); not waiting any longer") from None
    except OSError as exc:
        raise ScenarioError.at(file, None, (), f"cannot read: {exc.strerror}") from None


def read_blocking(fd: int, cap: int, timeout_s: float, name: str) -> bytes:
    """Up to ``cap + 1`` bytes of ``fd`` (one more than the cap tells the caller
    it was passed), read in a daemon thread that is abandoned (not killed) when
    it takes longer than ``timeout_s``: TimeoutError then, OSError if the read
    failed. One helper for every file salesim reads that must never hang it."""
    box: dict[str, Any] = {}

    def work() -> None:
        chunks, total = [], 0
        try:
            while total <= cap:
                chunk = os.read(fd, min(cap + 1 - total, 1 << 20))
                if not chunk:
                    break
                chunks.append(chunk)
                total += len(chunk)
            box["data"] = b"".join(chunks)
        except OSError as exc:
            box["error"] = exc

    reader = threading.Thread(target=work, name=name, daemon=True)
    reader.start()
    reader.join(timeout_s)
    if reader.is_alive():
        raise TimeoutError(f"reading did not finish within {timeout_s:g} s")
    if "error" in box:
        raise box["error"]
    return box["data"]


def read_text(path: Path, file: str) -> str:
    """The text of a scenario file: a regular UTF-8 file under the size cap.

    The file is opened without blocking and checked on the open descriptor, so
    a named pipe or a device is refused by name (never waited on), even if it
    replaced a regular file after an earlier check. ``file`` is the name shown."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        raise ScenarioError.at(file, None, (), "no such file") from None
    except OSError as exc:
        raise ScenarioError.at(file, None, (), f"cannot read: {exc.strerror}") from None
    timed_out = False
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ScenarioError.at(file, None, (), f"is {file_kind(st.st_mode)}, not a scenario file")
        if st.st_size > MAX_FILE_BYTES:
            raise ScenarioError.at(file, None, (), f"file is {st.st_size} bytes; scenario files are capped at "
                                   f"{MAX_FILE_BYTES}")
        os.set_blocking(fd, True)
        try:
            raw = _read_fd(fd, file)
        except ScenarioError as exc:
            timed_out = "did not finish" in str(exc)
            raise
    finally:
        if not timed_out:  # a reader still blocked on it keeps it
            os.close(fd)
    if len(raw) > MAX_FILE_BYTES:
        raise ScenarioError.at(file, None, (), f"file is more than {MAX_FILE_BYTES} bytes; scenario files are "
                               "capped at that")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError.at(file, None, (), f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
