"""Reading a CRM export into rows, and what a file's problems are reported as.

A regular file (a folder, a pipe or a device is named, never waited on), CSV
or Parquet told by its content rather than its name, text in UTF-8 (with or
without a byte-order mark), UTF-16 or, failing those, Windows-1252 (reported),
fields separated by commas, semicolons, tabs or bars (read from the header), a
header whose names are unique where used. Each problem found is an
:class:`Issue` naming the file rows (line numbers of a CSV, header = line 1;
row numbers of a Parquet file, first row = 1) and how many there were.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import stat
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.calibration.mapping import DataError

MAX_LISTED_ROWS = 20
MAX_FIELD = 1_000_000  # characters in one CSV field


@dataclass
class Issue:
    """One kind of problem in a file: what, which rows, what was done about it."""

    kind: str
    message: str
    rows: list[int]
    action: str

    @property
    def count(self) -> int:
        return len(self.rows)

    def __str__(self) -> str:
        if not self.rows:
            return f"{self.kind}: {self.message}; {self.action}"
        shown = ", ".join(str(r) for r in self.rows[:MAX_LISTED_ROWS])
        more = f" and {self.count - MAX_LISTED_ROWS} more" if self.count > MAX_LISTED_ROWS else ""
        return f"{self.kind}: {self.count} row(s) ({shown}{more}): {self.message}; {self.action}"


def _read_bytes(p: Path, what: str) -> bytes:
    """The bytes of a regular file, opened without blocking (a pipe or device is refused by name)."""
    from sim.scenario.files import file_kind

    try:
        fd = os.open(p, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        raise DataError(f"{what} {p}: no such file") from None
    except OSError as exc:
        raise DataError(f"{what} {p}: cannot be read ({exc.strerror})") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise DataError(f"{what} {p}: is {file_kind(st.st_mode)}, not a CSV or Parquet file")
        os.set_blocking(fd, True)
        with os.fdopen(fd, "rb", closefd=False) as fh:
            return fh.read()
    except OSError as exc:
        raise DataError(f"{what} {p}: cannot be read ({exc.strerror})") from None
    finally:
        os.close(fd)


def _decode(data: bytes, where: str) -> tuple[str, str | None]:
    """Text of a CSV file, and the name of the encoding when it was not UTF-8."""
    for bom, enc in ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                     (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                     (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(enc), None
            except UnicodeDecodeError as exc:
                raise DataError(f"{where}: not valid {enc.upper()} text ({exc.reason} at byte {exc.start})") \
                    from None
    if data.startswith(b"PK\x03\x04"):
        raise DataError(f"{where}: is a ZIP archive (an Excel workbook?), not CSV; save the sheet as CSV")
    head = data[:4096]
    for enc, zeros in (("utf-16-le", head[1::2]), ("utf-16-be", head[0::2])):
        if len(head) >= 8 and zeros.count(0) > 0.9 * len(zeros):  # UTF-16 text without a byte-order mark
            try:
                return data.decode(enc), None
            except UnicodeDecodeError:
                break
    if b"\x00" in data[:65536]:
        raise DataError(f"{where}: is a binary file (it contains NUL bytes), not CSV text or Parquet")
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "Latin-1"


def _delimiter(text: str) -> str:
    """The field separator, read from the header line (comma unless another is clearly used)."""
    first = text.split("\n", 1)[0]
    counts = {d: first.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: (counts[d], d == ","))
    return best if counts[best] > 0 else ","


def _parse_csv(text: str, where: str, issues: list[Issue] | None) -> tuple[list[str], list[list[str]], list[int]]:
    """Header, rows and each row's first line number (header = line 1; blank lines skipped)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text), strict=False)
    header: list[str] | None = None
    rows: list[list[str]] = []
    lines: list[int] = []
    short: list[int] = []
    long_: list[int] = []
    line = 1
    old_limit = csv.field_size_limit()
    csv.field_size_limit(MAX_FIELD)
    try:
        for rec in reader:
            start, line = line, reader.line_num + 1
            if not rec or (len(rec) == 1 and not rec[0].strip()):
                continue
            if header is None:
                header = rec
                continue
            n = len(header)
            if len(rec) > n:
                if any(v.strip() for v in rec[n:]):
                    long_.append(start)
                    continue
                rec = rec[:n]
            elif len(rec) < n:
                short.append(start)
                rec = rec + [""] * (n - len(rec))
            rows.append(rec)
            lines.append(start)
    except csv.Error as exc:
        raise DataError(f"{where}: cannot be read as CSV (line {reader.line_num}: {exc})") from None
    finally:
        csv.field_size_limit(old_limit)
    if header is None:
        raise DataError(f"{where}: the file is empty (no header line)")
    if issues is not None:
        if long_:
            issues.append(Issue("too many fields", f"more fields than the header's {len(header)}",
                                long_, "rows dropped"))
        if short:
            issues.append(Issue("too few fields", f"fewer fields than the header's {len(header)}",
                                short, "the missing fields read as empty"))
    return header, rows, lines


def _unique_header(names: list[str]) -> tuple[list[str], dict[str, list[int]]]:
    """Header names stripped; repeated names made unique (``Name (column 5)``) and listed."""
    out: list[str] = []
    repeats: dict[str, list[int]] = {}
    seen: dict[str, int] = {}
    for i, raw in enumerate(names, start=1):
        name = str(raw).strip().lstrip("\ufeff").strip() or f"(column {i})"
        if name in seen:
            repeats.setdefault(name, [seen[name]]).append(i)
            name = f"{name} (column {i})"
        else:
            seen[name] = i
        out.append(name)
    return out, repeats


def read_rows(path: str | Path, what: str = "history", issues: list[Issue] | None = None) -> pd.DataFrame:
    """A CSV or Parquet file as text columns (missing values as NA) with its row numbers in ``_row``
    (CSV: the line a row starts on, header = line 1; Parquet: first row = 1).

    Repeated header names are made unique; :func:`check_repeats` refuses the ones a caller uses."""
    p = Path(path)
    where = f"{what} {p}"
    data = _read_bytes(p, what)
    if data[:4] == b"PAR1" or p.suffix.lower() in (".parquet", ".pq"):
        try:
            df = pd.read_parquet(io.BytesIO(data))
        except Exception as exc:  # noqa: BLE001 - pyarrow raises several kinds for a broken file
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise DataError(f"{where}: cannot be read as Parquet ({first})") from None
        names, repeats = _unique_header([str(c) for c in df.columns])
        df.columns = names
        df = df.astype(object).where(df.notna(), None)
        for c in df.columns:
            df[c] = df[c].map(lambda v: None if v is None else str(v)).astype("string")
        df["_row"] = np.arange(len(df), dtype=np.int64) + 1
        df.attrs["repeats"] = repeats
        return df.reset_index(drop=True)
    nuls = data.count(b"\x00")
    wide = data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) or data[:4] in (codecs.BOM_UTF32_LE,
                                                                                 codecs.BOM_UTF32_BE)
    stray = 0 < nuls <= len(data) / 1_000 and not wide  # a few NULs pasted into a text field: not binary
    if stray:
        data = data.replace(b"\x00", b"")
    text, encoding = _decode(data, where)
    header, rows, lines = _parse_csv(text, where, issues)
    if stray and issues is not None:
        issues.append(Issue("NUL characters", f"{where}: {nuls} NUL byte(s) inside fields (pasted rich text?)",
                            [], "removed"))
    names, repeats = _unique_header(header)
    if encoding is not None and issues is not None:
        odd = [ln for ln, r in zip(lines, rows, strict=True) if any(not v.isascii() for v in r)]
        issues.append(Issue("not UTF-8", f"the file is not UTF-8 text; read as {encoding}", odd,
                            "check the non-ASCII letters of these rows (save as UTF-8 to avoid this)"))
    df = pd.DataFrame(rows, columns=names, dtype="string") if rows else \
        pd.DataFrame({c: pd.Series([], dtype="string") for c in names})
    df = df.replace("", pd.NA) if len(df) else df
    df["_row"] = np.asarray(lines, dtype=np.int64)
    df.attrs["repeats"] = repeats
    return df


def check_repeats(df: pd.DataFrame, used: set[str], where: str) -> None:
    """Refuse a header that names a column the reader needs more than once (which one is meant?)."""
    for name, cols in df.attrs.get("repeats", {}).items():
        if name in used:
            raise DataError(f"{where}: column {name!r} appears {len(cols)} times in the header (columns "
                            f"{', '.join(map(str, cols))}); rename the copies so one column has the name")


def read_table(path: str | Path, what: str = "history") -> tuple[pd.DataFrame, int]:
    """A CSV or Parquet file as strings, and the offset from index to the row number users see
    (kept for callers of the old interface; :func:`read_rows` gives each row's own number)."""
    df = read_rows(path, what)
    return df.drop(columns="_row"), (1 if len(df) == 0 else int(df["_row"].iloc[0]))
