"""A CRM export's values, each checked before it is used:

* timestamps: any common spelling of a date and time, refused when relative
  (``now``, ``yesterday``), outside :data:`EARLIEST`..:data:`LATEST`, or far
  from the bulk of the history (a typed-in year such as 2124 for 2024), so one
  bad row cannot stretch the history over a century; day-first or month-first
  decided once per file;
* amounts: finite numbers from 0 to the scenario format's largest value
  (1e12), thousands separators and currency signs allowed;
* the extraction date (``--as-of``): a real date.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from sim.calibration.crm_files import Issue
from sim.calibration.mapping import TIMESTAMPS, DataError, Mapping
from sim.errors import UsageError
from sim.scenario.base import MAX_MAGNITUDE

EARLIEST = pd.Timestamp("1900-01-01", tz="UTC")  # timestamps outside these are typos, not CRM history
LATEST = pd.Timestamp("2200-01-01", tz="UTC")
SPAN = f"{EARLIEST:%Y-%m-%d} to {LATEST - pd.Timedelta(days=1):%Y-%m-%d}"  # the dates accepted, in words
# A timestamp further than this many spreads of the history's middle half (at least a year each)
# from that middle half is a typo (2124 for 2024), not history.
OUTLIER_SPREADS = 10
RELATIVE_DATES = re.compile(r"^\s*(now|today|tomorrow|yesterday)\b", re.IGNORECASE)


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
    ambiguous: set[int] = set()
    example, count = None, 0
    for col, x, y, text in found:
        amb = (x <= 12) & (y <= 12) & (x != y)
        count += int(amb.sum())
        ambiguous |= {int(r) for r in df.loc[amb[amb].index, "_row"]}
        if example is None and amb.any():
            example = f"{col} {text[amb].iloc[0]!r}"
    if count:
        issues.append(Issue("ambiguous dates", f"{count} date(s) such as {example} read "
                            f"{'day' if dayfirst else 'month'} first "
                            + (f"({day_seen} other date(s) can only be day first)" if dayfirst else
                               "(nothing in the file says which; month first assumed)"),
                            sorted(ambiguous), "set dayfirst: true or false (or date_format) in the mapping to say so"))
    return dayfirst


def parse_times(df: pd.DataFrame, col: str, m: Mapping, issues: list[Issue], dayfirst: bool = False) -> pd.Series:
    """Timestamps as UTC. Values without a zone are read in the mapping's zone; a file
    mixing both, or several offsets, is reported (the values are converted, not dropped).
    Numeric dates (06/04/2024) are read in one order: ``date_format``, ``dayfirst``, or the data's."""
    text = df[col].fillna("").str.strip()
    if m.date_format is not None:
        return _with_format(df, col, text, m.date_format, m, issues)
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


def _with_format(df: pd.DataFrame, col: str, text: pd.Series, fmt: str, m: Mapping, issues: list[Issue]
                 ) -> pd.Series:
    """Every value in the mapping's ``date_format`` (``fmt``, strftime); a value in another form is bad."""
    present = text != ""
    utc = "%z" in fmt or "%Z" in fmt
    try:
        vals = pd.to_datetime(text.where(present), format=fmt, errors="coerce", utc=utc)
    except (ValueError, TypeError) as exc:
        raise DataError(f"date_format {fmt!r}: cannot be used ({exc})") from None
    if not utc:
        vals = vals.dt.tz_localize(m.timezone, ambiguous="NaT", nonexistent="NaT").dt.tz_convert("UTC")
    vals = vals.astype("datetime64[ns, UTC]")
    vals = vals.where((vals >= EARLIEST) & (vals < LATEST))
    bad = present & vals.isna()
    if bad.any():
        issues.append(Issue("bad timestamp", f"{col} is not a date in the mapping's date_format "
                            f"{fmt!r}", [int(r) for r in df.loc[bad, "_row"]],
                            "rows dropped" if col == "entered_at" else "value ignored"))
    return vals


def far_from_the_bulk(df: pd.DataFrame, issues: list[Issue]) -> pd.DataFrame:
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
