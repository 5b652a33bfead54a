"""Reading an opportunity history and checking it, row by row.

A CRM export is never clean. Each problem found is an :class:`Issue` naming
the file rows (line numbers of a CSV, header = line 1; row numbers of a
Parquet file, first row = 1) and how many there were; the rows that make a
fit unsafe are set aside and the fit continues on the rest. Only a file that
cannot be read at all, or lacks a required column, stops the calibration.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sim.calibration.mapping import CANONICAL, REQUIRED, TIMESTAMPS, DataError, Mapping, normalize_name

MAX_LISTED_ROWS = 20
# CRM close dates are often dates without a time: a stage entry up to a day after
# the recorded close is the same day, not disorder.
CLOSE_TOLERANCE = pd.Timedelta(days=1)


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

    def report(self) -> str:
        return "\n".join(f"{self.file}: {i}" for i in self.issues)


def read_table(path: str | Path, what: str = "history") -> tuple[pd.DataFrame, int]:
    """A CSV or Parquet file as strings, and the offset from index to the row number users see."""
    p = Path(path)
    if not p.is_file():
        raise DataError(f"{what} {p}: no such file")
    try:
        if p.suffix.lower() in (".parquet", ".pq"):
            df = pd.read_parquet(p)
            df = df.astype(object).where(df.notna(), None).astype("string")
            return df, 1
        return pd.read_csv(p, dtype="string", keep_default_na=False, na_values=[""]), 2
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise DataError(f"{what} {p}: cannot be read as {'Parquet' if p.suffix == '.parquet' else 'CSV'} "
                        f"({str(exc).splitlines()[0]})") from None


def _melt_wide(df: pd.DataFrame, m: Mapping, file: str) -> pd.DataFrame:
    """One row per deal with 'date entered <stage>' columns -> one row per stage entry."""
    missing = [c for c in m.wide_stage_columns if c not in df.columns]
    if missing:
        raise DataError(f"{file}: missing stage column(s) named in the mapping's wide_stage_columns: "
                        f"{', '.join(missing)}")
    keep = [c for c in df.columns if c not in m.wide_stage_columns]
    long = df.melt(id_vars=keep, value_vars=list(m.wide_stage_columns), var_name="_col",
                   value_name="_entered")
    long = long[long["_entered"].notna()].copy()
    long["_stage"] = long["_col"].map(m.wide_stage_columns)
    cols = dict(m.columns)
    cols["stage"], cols["entered_at"] = "_stage", "_entered"
    return long.sort_values(["_row", "_entered"]).rename(columns={v: k for k, v in cols.items()})


def _canonical(df: pd.DataFrame, m: Mapping, file: str) -> pd.DataFrame:
    if m.wide_stage_columns:
        return _melt_wide(df, m, file)
    missing = [f"{k} (column {v!r})" for k, v in m.columns.items() if v not in df.columns]
    if missing:
        raise DataError(f"{file}: missing column(s) named in the mapping: {', '.join(missing)}; "
                        f"the file has: {', '.join(df.columns)}")
    return df.rename(columns={v: k for k, v in m.columns.items()})


def _parse_times(df: pd.DataFrame, col: str, m: Mapping, issues: list[Issue]) -> pd.Series:
    """Timestamps as UTC. Values without a zone are read in the mapping's zone; a file
    mixing both, or several offsets, is reported (the values are converted, not dropped)."""
    raw = df[col]
    text = raw.fillna("").str.strip()
    has_zone = text.str.contains(r"(?:Z|[+-]\d\d:?\d\d)$", regex=True)
    present = text != ""
    naive = present & ~has_zone
    out = pd.Series(pd.NaT, index=df.index, dtype="datetime64[ns, UTC]")
    if naive.any():
        local = pd.to_datetime(text[naive], errors="coerce", format="mixed")
        try:
            out[naive] = local.dt.tz_localize(m.timezone, ambiguous="NaT", nonexistent="NaT").dt.tz_convert("UTC")
        except Exception as exc:  # an unknown zone name in the mapping
            raise DataError(f"mapping timezone {m.timezone!r}: {exc}") from None
    if has_zone.any():
        out[has_zone] = pd.to_datetime(text[has_zone], errors="coerce", utc=True, format="mixed")
        offsets = text[has_zone].str.extract(r"(Z|[+-]\d\d:?\d\d)$")[0].replace({"+00:00": "Z", "+0000": "Z"})
        if naive.any() or offsets.nunique() > 1:
            common = offsets.mode().iloc[0]
            odd = has_zone & (offsets.reindex(df.index).fillna("none") != common)
            odd = (odd | naive) if naive.sum() <= has_zone.sum() else has_zone
            zones = sorted(offsets.unique()) + ([f"none (read as {m.timezone})"] if naive.any() else [])
            issues.append(Issue("mixed time zones", f"{col} mixes zones: {', '.join(zones)}",
                                [int(r) for r in df.loc[odd, "_row"]], "converted to UTC and kept"))
    bad = present & out.isna()
    if bad.any():
        issues.append(Issue("bad timestamp", f"{col} is not a date/time", [int(r) for r in df.loc[bad, "_row"]],
                            "rows dropped" if col == "entered_at" else "value ignored"))
    return out


def _outcomes(df: pd.DataFrame, m: Mapping, issues: list[Issue]) -> pd.Series:
    """won/lost/open per row, from the outcome column, the IsWon/IsClosed flags or the stage."""
    out = pd.Series(pd.NA, index=df.index, dtype="string")
    truthy = {"true", "1", "yes", "y", "t"}
    if "outcome" in df:
        v = df["outcome"].str.strip().str.lower().map(normalize_name, na_action="ignore")
        v = v.replace({"closed_won": "won", "closedwon": "won", "closed_lost": "lost", "closedlost": "lost"})
        v = v.where(~v.fillna("").str.startswith("lost"), "lost")
        bad = v.notna() & ~v.isin(["won", "lost", "open"])
        if bad.any():
            issues.append(Issue("bad outcome", "outcome must be won, lost or open",
                                [int(r) for r in df.loc[bad, "_row"]], "value ignored"))
        out = v.where(~bad)
    for flag in (m.won_flag, m.closed_flag):
        if flag is not None and flag not in df:
            raise DataError(f"missing column {flag!r} named in the mapping's won_flag/closed_flag")
    if m.closed_flag is not None:
        closed = df[m.closed_flag].str.strip().str.lower().isin(truthy)
        won = df[m.won_flag].str.strip().str.lower().isin(truthy) if m.won_flag else False
        out = out.fillna(pd.Series(np.where(closed, np.where(won, "won", "lost"), "open"), index=df.index))
    return out


def load_history(path: str | Path, mapping: Mapping | None = None, as_of: str | None = None) -> History:
    """Read, map and check an opportunity history (CSV or Parquet)."""
    m = mapping or Mapping()
    file = str(path)
    raw, offset = read_table(path)
    raw["_row"] = np.arange(len(raw)) + offset
    df = _canonical(raw, m, file)
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        raise DataError(f"{file}: missing required column(s) {', '.join(missing)}; the file has: "
                        f"{', '.join(c for c in raw.columns if c != '_row')} (map other names with --mapping)")
    flags = [f for f in (m.won_flag, m.closed_flag) if f is not None and f in df.columns and f not in CANONICAL]
    df = df[[c for c in CANONICAL if c in df.columns] + flags + ["_row"]].copy().reset_index(drop=True)
    issues: list[Issue] = []
    for col in REQUIRED:
        gap = df[col].isna() | (df[col].str.strip() == "")
        if gap.any():
            issues.append(Issue("missing value", f"{col} is empty", [int(r) for r in df.loc[gap, "_row"]],
                                "rows dropped"))
            df = df[~gap]
    for col in ("source", "segment", "owner_role"):
        if col in df:
            df[col] = df[col].map(normalize_name, na_action="ignore")
    stage = df["stage"].str.strip()
    df["stage"] = normalize_name_series(stage.map(lambda s: m.stage_names.get(s, s)))
    for col in TIMESTAMPS:
        if col in df:
            df[col] = _parse_times(df, col, m, issues)
    df = df[df["entered_at"].notna()]
    dup = df.duplicated(["opportunity_id", "stage", "entered_at"], keep="first")
    if dup.any():
        issues.append(Issue("duplicate rows", "the same opportunity entered the same stage at the same time "
                            "more than once (re-import?)", [int(r) for r in df.loc[dup, "_row"]],
                            "repeats dropped"))
        df = df[~dup]
    df["outcome"] = _outcomes(df, m, issues)
    won_names = {normalize_name(s) for s in m.won_stages}
    lost_names = {normalize_name(s) for s in m.lost_stages}
    df.loc[df["stage"].isin(won_names), "outcome"] = "won"
    if m.stages is not None:
        known = {normalize_name(s) for s in m.stages} | lost_names | won_names
        unknown = ~df["stage"].isin(known)
        if unknown.any():
            names = ", ".join(sorted(df.loc[unknown, "stage"].unique())[:10])
            issues.append(Issue("unknown stage", f"stage(s) {names} not in the mapping's stages "
                                f"({', '.join(m.stages)})", [int(r) for r in df.loc[unknown, "_row"]],
                                "rows dropped (the opportunity keeps its other stages)"))
            df = df[~unknown]
    for col in ("amount", "list_amount"):
        if col in df:
            num = pd.to_numeric(df[col].str.replace(",", "", regex=False), errors="coerce")
            bad = (df[col].notna() & num.isna()) | (num < 0)
            if bad.any():
                issues.append(Issue("negative or bad amount", f"{col} must be a number >= 0",
                                    [int(r) for r in df.loc[bad, "_row"]], "amount ignored (the stage entry is kept)"))
            df[col] = num.where(~bad)
    ts = pd.Timestamp(as_of, tz="UTC") if as_of else df["entered_at"].max()
    df = _drop_disordered(df, ts, issues)
    df["lost_stage"] = df["stage"].isin(lost_names)
    df["won_stage"] = df["stage"].isin(won_names)
    return History(rows=df.sort_values(["opportunity_id", "entered_at", "_row"]).reset_index(drop=True),
                   issues=issues, file=file, as_of=ts, rows_read=len(raw))


def normalize_name_series(s: pd.Series) -> pd.Series:
    return s.map(normalize_name, na_action="ignore")


def _drop_disordered(df: pd.DataFrame, as_of: pd.Timestamp, issues: list[Issue]) -> pd.DataFrame:
    """Opportunities whose stage entries fall before their creation, after their close or
    after the extraction date cannot give durations: set aside whole."""
    bad = df["entered_at"] > as_of + pd.Timedelta(seconds=1)
    if "created_at" in df:
        created = df.groupby("opportunity_id")["created_at"].transform("min")
        bad |= df["entered_at"] < created - pd.Timedelta(seconds=1)
    if "closed_at" in df:
        closed = df.groupby("opportunity_id")["closed_at"].transform("max")
        is_closed = df["outcome"].isin(["won", "lost"]) if "outcome" in df else closed.notna()
        bad |= is_closed & closed.notna() & (df["entered_at"] > closed + CLOSE_TOLERANCE)
    if bad.any():
        opps = set(df.loc[bad, "opportunity_id"])
        hit = df["opportunity_id"].isin(opps)
        issues.append(Issue("timestamps out of order", f"{len(opps)} opportunit(ies) with a stage entered before "
                            "created_at, after closed_at or after the extraction date",
                            [int(r) for r in df.loc[bad, "_row"]], "those opportunities dropped"))
        df = df[~hit]
    return df
