"""Reading an opportunity history and checking it, row by row.

A CRM export is never clean. Each problem found is an :class:`Issue` (see
:mod:`sim.calibration.crm_files`, which reads the file into rows); the rows
that make a fit unsafe are set aside and the fit continues on the rest. Only a
file that cannot be read at all, or lacks a required column, stops the
calibration. Here: the mapping's columns picked (wide stage columns melted),
outcomes, amounts and timestamps checked (:mod:`sim.calibration.crm_values`),
the extraction date (``--as-of``: not before the history's first entry and not
far after its last), and stage entries out of order set aside.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sim.calibration.crm_files import MAX_LISTED_ROWS, Issue, check_repeats, read_rows, read_table
from sim.calibration.crm_values import (
    EARLIEST,
    LATEST,
    SPAN,
    decide_dayfirst,
    far_from_the_bulk,
    parse_as_of,
    parse_times,
    to_amounts,
    to_utc,
)
from sim.calibration.mapping import CANONICAL, REQUIRED, TIMESTAMPS, DataError, Mapping, normalize_name
from sim.errors import UsageError
from sim.scenario.base import MAX_MAGNITUDE

__all__ = ["EARLIEST", "LATEST", "MAX_LISTED_ROWS", "SPAN", "History", "Issue", "check_repeats", "load_history",
           "normalize_name_series", "parse_as_of", "read_rows", "read_table", "to_amounts", "to_utc"]

# CRM close dates are often dates without a time: a stage entry up to a day after
# the recorded close is the same day, not disorder.
CLOSE_TOLERANCE = pd.Timedelta(days=1)


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


def _outcomes(df: pd.DataFrame, m: Mapping, issues: list[Issue], file: str = "history",
              stage_label: pd.Series | None = None) -> pd.Series:
    """won/lost/open per row, from the outcome column (through ``outcome_values``), the IsWon/IsClosed
    flags or the stage. When the outcome column is the stage column, a stage label is ``open``."""
    out = pd.Series(pd.NA, index=df.index, dtype="string")
    truthy = {"true", "1", "yes", "y", "t"}
    if "outcome" in df:
        raw = df["outcome"].str.strip()
        given: dict[str, str] = {normalize_name(k): v for k, v in m.outcome_values.items()}
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
            df[col] = parse_times(df, col, m, issues, dayfirst)
    won_names = {normalize_name(s) for s in m.won_stages}
    lost_names = {normalize_name(s) for s in m.lost_stages}
    undated = None
    if snapshot:
        df["outcome"] = _outcomes(df, m, issues, file, stage_label)
        df, undated = snapshot_rows(df, m, issues, won_names, lost_names)
    df = df[df["entered_at"].notna()]
    df = far_from_the_bulk(df.copy(), issues)
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
