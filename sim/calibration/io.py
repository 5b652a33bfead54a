"""Reading an opportunity history and checking it, row by row.

A CRM export is never clean. Each problem found is an :class:`Issue` naming
the file rows (line numbers of a CSV, header = line 1; row numbers of a
Parquet file, first row = 1) and how many there were; the rows that make a
fit unsafe are set aside and the fit continues on the rest. Only a file that
cannot be read at all, or lacks a required column, stops the calibration.

Every value is checked before it is used, since the same kinds of input come
back with other values:

* the file: a regular file (a folder, a pipe or a device is named, never
  waited on), CSV or Parquet told by its content rather than its name, text
  in UTF-8 (with or without a byte-order mark), UTF-16 or, failing those,
  Windows-1252 (reported), fields separated by commas, semicolons, tabs or
  bars (read from the header), a header whose names are unique where used;
* timestamps: any common spelling of a date and time, refused when relative
  (``now``, ``yesterday``), outside :data:`EARLIEST`..:data:`LATEST`, or far
  from the bulk of the history (a typed-in year such as 2124 for 2024), so one
  bad row cannot stretch the history over a century;
* amounts: finite numbers from 0 to the scenario format's largest value
  (1e12), thousands separators and currency signs allowed;
* the extraction date (``--as-of``): a real date, not before the history's
  first entry and not far after its last.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sim.calibration.mapping import CANONICAL, REQUIRED, TIMESTAMPS, DataError, Mapping, normalize_name
from sim.errors import UsageError
from sim.scenario.base import MAX_MAGNITUDE

MAX_LISTED_ROWS = 20
# CRM close dates are often dates without a time: a stage entry up to a day after
# the recorded close is the same day, not disorder.
CLOSE_TOLERANCE = pd.Timedelta(days=1)
EARLIEST = pd.Timestamp("1900-01-01", tz="UTC")  # timestamps outside these are typos, not CRM history
LATEST = pd.Timestamp("2200-01-01", tz="UTC")
SPAN = f"{EARLIEST:%Y-%m-%d} to {LATEST - pd.Timedelta(days=1):%Y-%m-%d}"  # the dates accepted, in words
# A timestamp further than this many spreads of the history's middle half (at least a year each)
# from that middle half is a typo (2124 for 2024), not history.
OUTLIER_SPREADS = 10
MAX_FIELD = 1_000_000  # characters in one CSV field
RELATIVE_DATES = re.compile(r"^\s*(now|today|tomorrow|yesterday)\b", re.IGNORECASE)


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


@dataclass
class History:
    """Clean stage-entry rows in canonical columns, and what was wrong with the file."""

    rows: pd.DataFrame
    issues: list[Issue] = field(default_factory=list)
    file: str = ""
    as_of: pd.Timestamp | None = None
    rows_read: int = 0
    undated: pd.DataFrame | None = None  # open deals of a snapshot with no date (not fitted; open pipeline)
    owners_listed: tuple[int, str] | None = None  # reps a joined agents file lists, and the file

    def report(self) -> str:
        return "\n".join(f"{self.file}: {i}" for i in self.issues)


# --------------------------------------------------------------------------- reading


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


# --------------------------------------------------------------------------- columns


def _melt_wide(df: pd.DataFrame, m: Mapping, file: str) -> pd.DataFrame:
    """One row per deal with 'date entered <stage>' columns -> one row per stage entry."""
    missing = [c for c in m.wide_stage_columns if c not in df.columns]
    if missing:
        raise DataError(f"{file}: missing stage column(s) named in the mapping's wide_stage_columns: "
                        f"{', '.join(missing)}")
    df = df.copy()
    columns = dict(m.columns)
    for k, v in m.columns.items():  # a stage column that is also, say, closed_at: read it as both
        if v in m.wide_stage_columns:
            df[f"_copy:{v}"] = df[v]
            columns[k] = f"_copy:{v}"
    m = m.model_copy(update={"columns": columns})
    keep = [c for c in df.columns if c not in m.wide_stage_columns]
    long = df.melt(id_vars=keep, value_vars=list(m.wide_stage_columns), var_name="_col",
                   value_name="_entered")
    long = long[long["_entered"].notna()].copy()
    long["_stage"] = long["_col"].map(m.wide_stage_columns).astype("string")
    long = long.sort_values(["_row", "_entered"]).reset_index(drop=True)
    cols = dict(m.columns)
    cols["stage"], cols["entered_at"] = "_stage", "_entered"
    return _pick(long, cols, m)


def _pick(df: pd.DataFrame, cols: dict[str, str], m: Mapping) -> pd.DataFrame:
    """The canonical columns: each from the file column the mapping names, else from a column of that
    name not used for another (one file column may feed two canonical ones)."""
    used = set(cols.values())
    out = pd.DataFrame(index=df.index)
    for c in CANONICAL:
        src = cols.get(c, c if c in df.columns and c not in used else None)
        if src is not None:
            out[c] = df[src].astype("string")
    for flag in {m.won_flag, m.closed_flag} - {None}:
        if flag in df.columns:
            out[f"_flag:{flag}"] = df[flag].astype("string")
    out["_row"] = df["_row"]
    return out


def _canonical(df: pd.DataFrame, m: Mapping, file: str) -> pd.DataFrame:
    cols = {k: v.strip() for k, v in m.columns.items()}
    if m.wide_stage_columns:
        cols = {k: v for k, v in cols.items() if k not in ("stage", "entered_at")}
    used = set(cols.values()) | {c for c in CANONICAL if c not in cols} | set(m.wide_stage_columns) \
        | {f for f in (m.won_flag, m.closed_flag) if f}
    check_repeats(df, used, file)
    missing = [f"{k} (column {v!r})" for k, v in cols.items() if v not in df.columns]
    missing += [f"{k} (column {v!r})" for k, v in (("won_flag", m.won_flag), ("closed_flag", m.closed_flag))
                if v is not None and v not in df.columns]
    if missing:
        raise DataError(f"{file}: missing column(s) named in the mapping: {', '.join(missing)}; "
                        f"the file has: {', '.join(c for c in df.columns if c != '_row')}")
    if m.wide_stage_columns:
        return _melt_wide(df, m.model_copy(update={"columns": cols}), file)
    return _pick(df, cols, m)


# --------------------------------------------------------------------------- values


def to_utc(text: pd.Series, zone: str = "UTC") -> tuple[pd.Series, pd.Series]:
    """Timestamps as UTC (``datetime64[ns, UTC]``) and a mask of present values that are not a
    usable date: unparseable, relative (``now``), or outside EARLIEST..LATEST. Values without a
    zone are read in ``zone``."""
    text = text.astype("string").fillna("").str.strip()
    present = text != ""
    has_zone = present & text.str.contains(r"(?:Z|[+-]\d\d:?\d\d)$", regex=True)
    naive = present & ~has_zone
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns, UTC]")
    for mask, utc in ((naive, False), (has_zone, True)):
        if mask.any():
            vals = _parse_many(text[mask], utc, zone)
            if not utc:
                vals = vals.dt.tz_localize(zone, ambiguous="NaT", nonexistent="NaT").dt.tz_convert("UTC")
            out[mask] = vals
    out[text.str.match(RELATIVE_DATES).fillna(False)] = pd.NaT
    out[(out < EARLIEST) | (out >= LATEST)] = pd.NaT
    return out, present & out.isna()


def _one_time(v: str, utc: bool, zone: str) -> pd.Timestamp:
    """One value as a ns timestamp (UTC, or wall time in ``zone`` when ``utc`` is false), or NaT."""
    try:
        t = pd.Timestamp(pd.to_datetime(v, format="mixed", utc=utc))
        if t is pd.NaT or pd.isna(t):
            return pd.NaT
        if not utc and t.tzinfo is not None:  # a zone the pattern missed ("10:00 CET"): its wall time here
            t = t.tz_convert(zone).tz_localize(None)
        lo, hi = (EARLIEST, LATEST) if utc else (EARLIEST.tz_localize(None), LATEST.tz_localize(None))
        return t.as_unit("ns") if lo <= t < hi else pd.NaT
    except Exception:  # noqa: BLE001 - out of range, overflow, odd spellings: not a date
        return pd.NaT


def _parse_many(text: pd.Series, utc: bool, zone: str) -> pd.Series:
    """``pd.to_datetime`` over many spellings (ns, naive wall times or UTC); value by value when one
    bad value stops the lot (a year such as 0001, mixed zones)."""
    dtype = "datetime64[ns, UTC]" if utc else "datetime64[ns]"
    try:
        vals = pd.to_datetime(text, errors="coerce", format="mixed", utc=utc)
        if not pd.api.types.is_datetime64_any_dtype(vals) or (not utc and vals.dt.tz is not None):
            raise TypeError("mixed")
        lo, hi = (EARLIEST, LATEST) if utc else (EARLIEST.tz_localize(None), LATEST.tz_localize(None))
        return vals.where((vals >= lo) & (vals < hi)).astype(dtype)
    except Exception:  # noqa: BLE001 - parse each on its own
        return pd.Series([_one_time(v, utc, zone) for v in text], index=text.index, dtype=dtype)


_NUMERIC_DATE = re.compile(r"^(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})(?=$|[ T])")


def _as_iso(text: pd.Series, dayfirst: bool) -> pd.Series:
    """Numeric dates such as 06/04/2024 (or 06-04-24) rewritten year first, in the order given; a value
    that cannot be a date in that order (13 as a month) becomes empty (reported as a bad timestamp)."""
    parts = text.str.extract(_NUMERIC_DATE.pattern)
    hit = parts[0].notna()
    if not hit.any():
        return text
    a, b, y = parts[0][hit].astype(int), parts[2][hit].astype(int), parts[3][hit]
    day, month = (a, b) if dayfirst else (b, a)
    year = y.where(y.str.len() == 4, y.map(lambda v: f"{19 if int(v) >= 69 else 20}{v}"))  # strptime's %y rule
    rest = text[hit].str.replace(_NUMERIC_DATE.pattern, "", n=1, regex=True)
    iso = year + "-" + month.map("{:02d}".format) + "-" + day.map("{:02d}".format) + rest
    iso = iso.where((month >= 1) & (month <= 12) & (day >= 1) & (day <= 31), "not a date")
    out = text.copy()
    out[hit] = iso
    return out


def decide_dayfirst(df: pd.DataFrame, cols: list[str], m: Mapping, issues: list[Issue]) -> bool:
    """One order for the numeric dates (06/04/2024) of every timestamp column: the mapping's ``dayfirst``,
    else what the data shows (a first part above 12 means day first); ambiguous values are counted in
    a warning, so a misread is never silent."""
    if m.dayfirst is not None or m.date_format is not None:
        return bool(m.dayfirst)
    found = []
    for col in cols:
        if col in df:
            parts = df[col].fillna("").str.strip().str.extract(_NUMERIC_DATE.pattern)
            hit = parts[0].notna()
            if hit.any():
                found.append((col, parts[0][hit].astype(int), parts[2][hit].astype(int),
                              df[col][hit].str.strip()))
    if not found:
        return False
    a = pd.concat([f[1] for f in found])
    b = pd.concat([f[2] for f in found])
    day_seen, month_seen = int((a > 12).sum()), int((b > 12).sum())
    if day_seen and month_seen:
        dayfirst = day_seen > month_seen
        rows = sorted({int(df.loc[i, "_row"]) for _, x, y, _ in found
                       for i in (y[y > 12] if dayfirst else x[x > 12]).index})
        issues.append(Issue("dates in both orders", f"{day_seen} date(s) can only be day first and {month_seen} "
                            f"only month first; read {'day' if dayfirst else 'month'} first (the majority)",
                            rows, "the others are not dates (rows dropped or values ignored); set dayfirst or "
                            "date_format in the mapping"))
        return dayfirst
    dayfirst = day_seen > 0
    rows, example, count = set(), None, 0
    for col, x, y, text in found:
        amb = (x <= 12) & (y <= 12) & (x != y)
        count += int(amb.sum())
        rows |= {int(r) for r in df.loc[amb[amb].index, "_row"]}
        if example is None and amb.any():
            example = f"{col} {text[amb].iloc[0]!r}"
    if count:
        issues.append(Issue("ambiguous dates", f"{count} date(s) such as {example} read "
                            f"{'day' if dayfirst else 'month'} first "
                            + (f"({day_seen} other date(s) can only be day first)" if dayfirst else
                               "(nothing in the file says which; month first assumed)"),
                            sorted(rows), "set dayfirst: true or false (or date_format) in the mapping to say so"))
    return dayfirst


def _parse_times(df: pd.DataFrame, col: str, m: Mapping, issues: list[Issue], dayfirst: bool = False) -> pd.Series:
    """Timestamps as UTC. Values without a zone are read in the mapping's zone; a file
    mixing both, or several offsets, is reported (the values are converted, not dropped).
    Numeric dates (06/04/2024) are read in one order: ``date_format``, ``dayfirst``, or the data's."""
    text = df[col].fillna("").str.strip()
    if m.date_format is not None:
        return _with_format(df, col, text, m, issues)
    text = _as_iso(text, dayfirst)
    df = df.assign(**{col: text.where(text != "", pd.NA)})
    has_zone = text.str.contains(r"(?:Z|[+-]\d\d:?\d\d)$", regex=True)
    present = text != ""
    naive = present & ~has_zone
    out, bad = to_utc(df[col], m.timezone)
    if has_zone.any():
        offsets = text[has_zone].str.extract(r"(Z|[+-]\d\d:?\d\d)$")[0].replace({"+00:00": "Z", "+0000": "Z"})
        if naive.any() or offsets.nunique() > 1:
            common = offsets.mode().iloc[0]
            odd = has_zone & (offsets.reindex(df.index).fillna("none") != common)
            odd = (odd | naive) if naive.sum() <= has_zone.sum() else has_zone
            zones = sorted(offsets.unique()) + ([f"none (read as {m.timezone})"] if naive.any() else [])
            issues.append(Issue("mixed time zones", f"{col} mixes zones: {', '.join(zones)}",
                                [int(r) for r in df.loc[odd, "_row"]], "converted to UTC and kept"))
    if bad.any():
        issues.append(Issue("bad timestamp", f"{col} is not a date/time from {SPAN} "
                            "(relative dates such as 'now' are not read)", [int(r) for r in df.loc[bad, "_row"]],
                            "rows dropped" if col == "entered_at" else "value ignored"))
    return out


def _with_format(df: pd.DataFrame, col: str, text: pd.Series, m: Mapping, issues: list[Issue]) -> pd.Series:
    """Every value in the mapping's ``date_format`` (strftime); a value in another form is bad."""
    present = text != ""
    utc = "%z" in m.date_format or "%Z" in m.date_format
    try:
        vals = pd.to_datetime(text.where(present), format=m.date_format, errors="coerce", utc=utc)
    except (ValueError, TypeError) as exc:
        raise DataError(f"date_format {m.date_format!r}: cannot be used ({exc})") from None
    if not utc:
        vals = vals.dt.tz_localize(m.timezone, ambiguous="NaT", nonexistent="NaT").dt.tz_convert("UTC")
    vals = vals.astype("datetime64[ns, UTC]")
    vals = vals.where((vals >= EARLIEST) & (vals < LATEST))
    bad = present & vals.isna()
    if bad.any():
        issues.append(Issue("bad timestamp", f"{col} is not a date in the mapping's date_format "
                            f"{m.date_format!r}", [int(r) for r in df.loc[bad, "_row"]],
                            "rows dropped" if col == "entered_at" else "value ignored"))
    return vals


def _far_from_the_bulk(df: pd.DataFrame, issues: list[Issue]) -> pd.DataFrame:
    """Timestamps far from the middle half of the history's stage entries (a typed-in year):
    rows dropped (stage entries) or values ignored (creation and close dates)."""
    t = df["entered_at"]
    if len(t) < 4:
        return df
    ns = t.astype("int64").to_numpy()
    q1, q3 = np.quantile(ns, [0.25, 0.75])
    spread = max(q3 - q1, pd.Timedelta(days=365).value)
    lo, hi = q1 - OUTLIER_SPREADS * spread, q3 + OUTLIER_SPREADS * spread
    lo_t, hi_t = pd.Timestamp(int(max(lo, EARLIEST.value)), tz="UTC"), pd.Timestamp(int(min(hi, LATEST.value)),
                                                                                     tz="UTC")
    for col in TIMESTAMPS:
        if col not in df:
            continue
        far = df[col].notna() & ((df[col] < lo_t) | (df[col] > hi_t))
        if far.any():
            issues.append(Issue("implausible timestamp", f"{col} far from the rest of the history "
                                f"({lo_t:%Y-%m-%d} to {hi_t:%Y-%m-%d} holds the bulk and its margin): a typo?",
                                [int(r) for r in df.loc[far, "_row"]],
                                "rows dropped" if col == "entered_at" else "value ignored"))
            if col == "entered_at":
                df = df[~far]
            else:
                df[col] = df[col].where(~far)
    return df


_EUROPEAN = re.compile(r"^-?\d{1,3}(?:\.\d{3})+,\d+$|^-?\d+,\d{1,2}$")


def to_amounts(text: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Amounts as floats and a mask of present values that are not a finite number from 0 to
    MAX_MAGNITUDE. Currency signs, spaces and thousands separators are allowed; ``1.234,50`` and
    ``99,5`` read as decimal commas."""
    s = text.astype("string").str.strip()
    s = s.str.replace(r"[\s$€£¥\u00a0\u202f]", "", regex=True)
    euro = s.fillna("").str.match(_EUROPEAN)
    s = s.where(~euro, s.str.replace(".", "", regex=False).str.replace(",", ".", regex=False))
    s = s.where(euro, s.str.replace(",", "", regex=False))
    num = pd.to_numeric(s, errors="coerce").astype(float)
    finite = np.isfinite(num.to_numpy(dtype=float, na_value=np.nan))
    ok = pd.Series(finite, index=num.index) & (num >= 0) & (num <= MAX_MAGNITUDE)
    bad = text.notna() & (text.astype("string").str.strip() != "") & ~ok
    return num.where(ok), bad


def _outcomes(df: pd.DataFrame, m: Mapping, issues: list[Issue], file: str = "history",
              stage_label: pd.Series | None = None) -> pd.Series:
    """won/lost/open per row, from the outcome column (through ``outcome_values``), the IsWon/IsClosed
    flags or the stage. When the outcome column is the stage column, a stage label is ``open``."""
    out = pd.Series(pd.NA, index=df.index, dtype="string")
    truthy = {"true", "1", "yes", "y", "t"}
    if "outcome" in df:
        raw = df["outcome"].str.strip()
        given = {normalize_name(k): v for k, v in m.outcome_values.items()}
        same = m.columns.get("outcome") is not None and m.columns.get("outcome") == m.columns.get("stage")
        if same:  # the stage column read as the outcome: its (renamed) stage names
            won = {normalize_name(s) for s in m.won_stages}
            lost = {normalize_name(s) for s in m.lost_stages}
            given = {s: "open" for s in df["stage"].dropna().unique()} | {s: "won" for s in won} \
                | {s: "lost" for s in lost} | given
            raw = df["stage"]
        raw = raw.map(lambda x: given.get(normalize_name(x), x), na_action="ignore").astype("string")
        v = raw.str.lower().map(normalize_name, na_action="ignore").astype("string")
        v = v.replace({"closed_won": "won", "closedwon": "won", "closed_lost": "lost", "closedlost": "lost"})
        v = v.where(~v.fillna("").str.startswith("lost"), "lost")
        bad = v.notna() & ~v.isin(["won", "lost", "open"])
        if bad.any():
            issues.append(Issue("bad outcome", "outcome must be won, lost or open",
                                [int(r) for r in df.loc[bad, "_row"]], "value ignored"))
        out = v.where(~bad)
    for flag in (m.won_flag, m.closed_flag):
        if flag is not None and f"_flag:{flag}" not in df:
            raise DataError(f"{file}: missing column {flag!r} named in the mapping's won_flag/closed_flag (a stage "
                            "column of wide_stage_columns cannot be a flag)")
    if m.closed_flag is not None:
        closed = df[f"_flag:{m.closed_flag}"].str.strip().str.lower().isin(truthy).fillna(False)
        won = df[f"_flag:{m.won_flag}"].str.strip().str.lower().isin(truthy).fillna(False) if m.won_flag \
            else pd.Series(False, index=df.index)
        out = out.fillna(pd.Series(np.where(closed, np.where(won, "won", "lost"), "open"), index=df.index,
                                   dtype="string"))
    return out


def parse_as_of(as_of: str | None, flag: str = "--as-of") -> pd.Timestamp | None:
    """An extraction or cut-off date given on the command line, as UTC; a clear error otherwise."""
    if as_of is None:
        return None
    text = str(as_of).strip()
    expected = f"{flag} {as_of!r}: expected a date such as 2025-06-30"
    if not text or RELATIVE_DATES.match(text):
        raise UsageError(expected)
    try:
        ts = pd.Timestamp(text)
    except (ValueError, OverflowError, TypeError):
        raise UsageError(expected) from None
    if ts is pd.NaT or pd.isna(ts):
        raise UsageError(expected)
    try:
        ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    except (ValueError, OverflowError):
        raise UsageError(expected) from None
    if not EARLIEST <= ts < LATEST:
        raise UsageError(f"{flag} {as_of!r}: expected a date from {SPAN}")
    return ts.as_unit("ns")


def load_history(path: str | Path, mapping: Mapping | None = None, as_of: str | None = None) -> History:
    """Read, map and check an opportunity history (CSV or Parquet), with the files the mapping joins."""
    m = mapping or Mapping()
    file = str(path)
    cut = parse_as_of(as_of)
    issues: list[Issue] = []
    from sim.calibration.shapes import join_files, snapshot_rows, won_stage_conflicts

    raw = read_rows(path, "history", issues)
    raw, listed = join_files(raw, m, issues, file)
    df = _canonical(raw, m, file)
    snapshot = m.layout == "snapshot"
    required = ("opportunity_id", "stage") if snapshot else REQUIRED
    missing = [c for c in required if c not in df.columns]
    if snapshot and "created_at" not in df.columns:
        missing.append("created_at (the date a deal entered created_stage)")
    if missing:
        raise DataError(f"{file}: missing required column(s) {', '.join(missing)}; the file has: "
                        f"{', '.join(c for c in raw.columns if c != '_row')} (map other names with --mapping)")
    df = df.copy().reset_index(drop=True)
    for col in required:
        gap = df[col].isna() | (df[col].str.strip() == "")
        if gap.any():
            issues.append(Issue("missing value", f"{col} is empty", [int(r) for r in df.loc[gap, "_row"]],
                                "rows dropped"))
            df = df[~gap]
    df["opportunity_id"] = df["opportunity_id"].str.strip()
    for col in ("source", "segment", "owner_role", "product", "manager", "region", "team"):
        if col in df:
            df[col] = df[col].map(normalize_name, na_action="ignore").astype("string")
    stage_label = df["stage"].str.strip()
    renames = {k.strip(): v for k, v in m.stage_names.items()}
    df["stage"] = normalize_name_series(stage_label.map(lambda s: renames.get(s, s))).astype("string")
    dayfirst = decide_dayfirst(df, [c for c in TIMESTAMPS if c in df], m, issues)
    for col in TIMESTAMPS:
        if col in df:
            df[col] = _parse_times(df, col, m, issues, dayfirst)
    won_names = {normalize_name(s) for s in m.won_stages}
    lost_names = {normalize_name(s) for s in m.lost_stages}
    undated = None
    if snapshot:
        df["outcome"] = _outcomes(df, m, issues, file, stage_label)
        df, undated = snapshot_rows(df, m, issues, won_names, lost_names)
    df = df[df["entered_at"].notna()]
    df = _far_from_the_bulk(df.copy(), issues)
    dup = df.duplicated(["opportunity_id", "stage", "entered_at"], keep="first")
    if dup.any():
        issues.append(Issue("duplicate rows", "the same opportunity entered the same stage at the same time "
                            "more than once (re-import?)", [int(r) for r in df.loc[dup, "_row"]],
                            "repeats dropped"))
        df = df[~dup]
    df = df.copy()
    if not snapshot:
        df["outcome"] = _outcomes(df, m, issues, file, stage_label.reindex(df.index))
        df = won_stage_conflicts(df, m, issues, won_names, lost_names)
    df.loc[df["stage"].isin(won_names), "outcome"] = "won"
    if m.stages is not None:
        known = {normalize_name(s) for s in m.stages} | lost_names | won_names
        unknown = ~df["stage"].isin(known)
        if unknown.any():
            names = ", ".join(sorted(df.loc[unknown, "stage"].unique())[:10])
            issues.append(Issue("unknown stage", f"stage(s) {names} not in the mapping's stages "
                                f"({', '.join(normalize_name(s) for s in m.stages)})",
                                [int(r) for r in df.loc[unknown, "_row"]],
                                "rows dropped (the opportunity keeps its other stages)"))
            df = df[~unknown]
    df = _amounts(df, m, issues)
    _refuse_empty(df, issues, file)
    ts = _extraction_date(df, cut, as_of, snapshot)
    df = _drop_disordered(df, ts, issues, dayfirst, m)
    _refuse_empty(df, issues, file)
    df["lost_stage"] = df["stage"].isin(lost_names)
    df["won_stage"] = df["stage"].isin(won_names)
    return History(rows=df.sort_values(["opportunity_id", "entered_at", "_row"]).reset_index(drop=True),
                   issues=issues, file=file, as_of=ts, rows_read=len(raw),
                   undated=undated if undated is not None else df.iloc[:0],
                   owners_listed=listed.get(m.columns.get("owner", "").strip()))


def _amounts(df: pd.DataFrame, m: Mapping, issues: list[Issue]) -> pd.DataFrame:
    """Amounts as numbers in USD (a currency column converted with the mapping's currency_rates)."""
    for col in ("amount", "list_amount"):
        if col in df:
            num, bad = to_amounts(df[col])
            if bad.any():
                issues.append(Issue("negative or bad amount", f"{col} must be a number >= 0 and at most "
                                    f"{MAX_MAGNITUDE:g} (finite)", [int(r) for r in df.loc[bad, "_row"]],
                                    "amount ignored (the stage entry is kept)"))
            df[col] = num
    if "currency" in df and any(c in df for c in ("amount", "list_amount")):
        code = df["currency"].fillna("").str.strip().str.upper()
        rates = {"USD": 1.0, "": 1.0} | dict(m.currency_rates)
        rate = code.map(rates).astype(float)
        unknown = rate.isna()
        if unknown.any():
            names = ", ".join(sorted(code[unknown].unique())[:10])
            issues.append(Issue("unknown currency", f"currency {names} has no rate in the mapping's currency_rates "
                                "(USD per unit)", [int(r) for r in df.loc[unknown, "_row"]], "amount ignored"))
        for col in ("amount", "list_amount"):
            if col in df:
                df[col] = df[col] * rate
        others = sorted(set(code[~unknown & (code != "") & (code != "USD")]))
        if others:
            issues.append(Issue("currencies converted", f"amounts in {', '.join(others)} converted to USD at the "
                                "mapping's currency_rates", [], "one rate per currency (no rate history)"))
    return df


def _refuse_empty(df: pd.DataFrame, issues: list[Issue], file: str) -> None:
    if df.empty:
        raise DataError(f"{file}: no usable rows left after the checks"
                        + (":\n" + "\n".join(f"{file}: {i}" for i in issues) if issues else
                           " (the file has a header and no rows)"))


def _extraction_date(df: pd.DataFrame, cut: pd.Timestamp | None, given: str | None,
                     snapshot: bool = False) -> pd.Timestamp:
    """The extraction date: the last stage entry (in a snapshot, the last date of any kind: a loss is
    no stage entry), or ``--as-of`` when it is not absurd for this history (before the first entry;
    after the last by more than the history's own span and a year)."""
    first, last = df["entered_at"].min(), df["entered_at"].max()
    if snapshot and "closed_at" in df and df["closed_at"].notna().any():
        last = max(last, df["closed_at"].max())
    if cut is None:
        return last
    if cut < first:
        raise UsageError(f"--as-of {given}: before the history's first stage entry ({first:%Y-%m-%d}); "
                         "the extraction date is when the file was exported")
    slack = max(last - first, pd.Timedelta(days=365))
    if cut > last + slack:
        raise UsageError(f"--as-of {given}: {(cut - last).days} days after the history's last stage entry "
                         f"({last:%Y-%m-%d}); every open deal would look open for that long. Give the date "
                         "the file was exported (at most the history's span or a year after its last entry)")
    return cut


def normalize_name_series(s: pd.Series) -> pd.Series:
    return s.map(normalize_name, na_action="ignore")


def _drop_disordered(df: pd.DataFrame, as_of: pd.Timestamp, issues: list[Issue], dayfirst: bool = False,
                     m: Mapping | None = None) -> pd.DataFrame:
    """Opportunities whose stage entries fall before their creation, after their close or
    after the extraction date cannot give durations: set aside whole, with a count per reason
    and a hint at the usual cause."""
    reasons = {"after the extraction date": df["entered_at"] > as_of + pd.Timedelta(seconds=1)}
    if "created_at" in df:
        created = df.groupby("opportunity_id")["created_at"].transform("min")
        reasons["before created_at"] = (df["entered_at"] < created - pd.Timedelta(seconds=1)).fillna(False)
    if "closed_at" in df:
        closed = df.groupby("opportunity_id")["closed_at"].transform("max")
        is_closed = df["outcome"].isin(["won", "lost"]).fillna(False) if "outcome" in df else closed.notna()
        reasons["after closed_at"] = (is_closed & closed.notna() &
                                      (df["entered_at"] > closed + CLOSE_TOLERANCE)).fillna(False)
    bad = pd.Series(False, index=df.index)
    for mask in reasons.values():
        bad |= mask
    if bad.any():
        opps = set(df.loc[bad, "opportunity_id"])
        hit = df["opportunity_id"].isin(opps)
        counts = "; ".join(f"{df.loc[mask, 'opportunity_id'].nunique()} with a stage entered {why}"
                           for why, mask in reasons.items() if mask.any())
        hints = []
        numeric = any(c in df and df[c].notna().any() for c in TIMESTAMPS)
        if numeric and (m is None or (m.dayfirst is None and m.date_format is None)):
            hints.append(f"numeric dates were read {'day' if dayfirst else 'month'} first: if that is wrong, "
                         "set dayfirst or date_format in the mapping")
        if reasons.get("after closed_at", pd.Series(False)).any():
            hints.append("is closed_at the close date of closed deals only (not an expected close date)?")
        if reasons["after the extraction date"].any():
            hints.append("is --as-of the date the file was exported?")
        hints = [h if h.endswith("?") else h + ";" for h in hints]
        if reasons.get("before created_at", pd.Series(False)).any():
            hints.append("a creation date edited after the fact, or a stage date in another time zone?")
        issues.append(Issue("timestamps out of order", f"{len(opps)} opportunit(ies): {counts}"
                            + (f" (hint: {' '.join(hints)})" if hints else ""),
                            [int(r) for r in df.loc[bad, "_row"]], "those opportunities dropped"))
        df = df[~hit]
    return df.copy()
