"""Export shapes other than one row per stage entry, and checks across a deal's rows.

* :func:`join_files`: other files joined onto the export by a key before the
  mapping's columns are picked (an Opportunity file onto its history; agents
  with managers and regions; products with list prices; accounts). Keys are
  compared without case, spaces or punctuation when they do not match as
  written, and that is reported.
* :func:`snapshot_rows`: one row per deal (its current stage, the date it
  entered ``created_stage``, its close date, an outcome) as stage entries.
* :func:`won_stage_conflicts`: a won-stage date on a deal whose outcome is not
  won, and outcome flags (IsWon/IsClosed) that contradict stage names.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from sim.calibration.io import Issue, check_repeats, read_rows
from sim.calibration.mapping import DataError, Mapping, normalize_name


def _same_key(v: object) -> str:
    """A join key compared without case, spaces or punctuation (``GTXPro`` meets ``GTX Pro``)."""
    return re.sub(r"[^0-9a-z]+", "", str(v).lower())


def join_files(raw: pd.DataFrame, m: Mapping, issues: list[Issue], file: str) -> tuple[pd.DataFrame, dict]:
    """Each joined file's columns added to the rows whose key matches (many rows to one); and, per
    join column, how many keys the joined file lists and its name (an agents file lists the headcount)."""
    listed: dict[str, tuple[int, str]] = {}
    for j in m.joins:
        key = j.key or j.by
        other = read_rows(j.file, "joined file", None)
        where = f"joined file {j.file}"
        if j.by not in raw.columns:
            raise DataError(f"{file}: joins: no column {j.by!r} to join {j.file} on; the rows have: "
                            f"{', '.join(c for c in raw.columns if c != '_row')}")
        if key not in other.columns:
            raise DataError(f"{where}: no key column {key!r}; it has: "
                            f"{', '.join(c for c in other.columns if c != '_row')}")
        check_repeats(other, {key}, where)
        other = other.drop(columns="_row")
        other = other[other[key].notna()]
        squashed = other[key].map(_same_key)
        dup = squashed.duplicated(keep="first")
        if dup.any():
            issues.append(Issue("repeated join key", f"{where}: {int(dup.sum())} key(s) appear more than once "
                                f"(such as {other.loc[dup, key].iloc[0]!r})", [], "the first row of each kept"))
            other, squashed = other[~dup], squashed[~dup]
        added = {c: f"{j.prefix}{c}" for c in other.columns if c != key}
        clash = [v for v in added.values() if v in raw.columns]
        if clash:
            raise DataError(f"{where}: column(s) {', '.join(clash)} are already in the rows; give the join a "
                            "prefix in the mapping")
        listed[j.by] = (int(squashed.nunique()), j.file)
        table = other.rename(columns=added).drop(columns=key)
        table.index = squashed.to_numpy()
        left = raw[j.by].map(_same_key, na_action="ignore")
        exact = raw[j.by].isin(set(other[key]))
        joined = table.reindex(left.fillna("\0").to_numpy())
        joined.index = raw.index
        raw = pd.concat([raw, joined], axis=1)
        matched = left.isin(set(table.index))
        loose = matched & ~exact
        if loose.any():
            pairs = sorted({f"{a!r}" for a in raw.loc[loose, j.by]})[:5]
            issues.append(Issue("join key spelled differently", f"{where}: {j.by} value(s) {', '.join(pairs)} "
                                "match a key only without case, spaces or punctuation",
                                [int(r) for r in raw.loc[loose, "_row"]], "joined"))
        miss = raw[j.by].notna() & ~matched
        if miss.any():
            keys = sorted(set(raw.loc[miss, j.by].astype(str)))[:5]
            issues.append(Issue("no match in joined file", f"{where}: {j.by} value(s) {', '.join(map(repr, keys))} "
                                "not found", [int(r) for r in raw.loc[miss, "_row"]],
                                "the joined columns are empty for these rows"))
    return raw, listed


def snapshot_rows(df: pd.DataFrame, m: Mapping, issues: list[Issue], won_names: set[str],
                   lost_names: set[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One row per deal -> its stage entries: the deal entered ``created_stage`` at created_at; a won deal
    entered the win at its close date; a lost deal was lost then (in created_stage or the stage it was in).
    Open deals of a stage before created_stage have no date: they are returned apart (not fitted)."""
    if m.stages is None:
        raise DataError("layout snapshot: list the funnel's stages in the mapping (stages:, the win last)")
    order = [normalize_name(s) for s in m.stages]
    first = normalize_name(m.created_stage) if m.created_stage else order[0]
    k0 = order.index(first)
    wins = [s for s in order if s in won_names]
    win = wins[-1] if wins else order[-1]
    pos = df["stage"].map({s: i for i, s in enumerate(order)})
    outcome = df["outcome"].fillna("open")
    created = df["created_at"]
    before = (outcome == "open") & (pos < k0)
    no_date = created.isna() & ~before
    undated = df[before].copy()
    if before.any():
        issues.append(Issue("open deals without a date", f"{int(before.sum())} open deal(s) in a stage before "
                            f"{first} (where created_at starts) have no date", [int(r) for r in undated["_row"]],
                            "left out of the fit; listed as undated open pipeline"))
    if no_date.any():
        issues.append(Issue("missing value", "created_at is empty (the date the deal entered "
                            f"{first})", [int(r) for r in df.loc[no_date, "_row"]], "deals dropped"))
    closed_no_date = outcome.isin(["won", "lost"]) & ("closed_at" not in df or df["closed_at"].isna()) & ~no_date
    if closed_no_date.any():
        issues.append(Issue("missing value", "closed_at is empty on a closed deal",
                            [int(r) for r in df.loc[closed_no_date, "_row"]], "deals dropped"))
    keep = ~before & ~no_date & ~closed_no_date
    d = df[keep].copy()
    o = outcome[keep]
    p = pos[keep]
    base = d.copy()
    base["stage"] = pd.array([first] * len(d), dtype="string")
    base["entered_at"] = d["created_at"]
    rows = [base]
    late = (o == "open") & p.notna() & (p > k0)
    if late.any():
        x = d[late].copy()
        when = x["entered_at"] if "entered_at" in x else pd.Series(pd.NaT, index=x.index, dtype=x["created_at"].dtype)
        unknown = when.isna()
        if unknown.any():
            issues.append(Issue("stage entry date unknown", f"{int(unknown.sum())} open deal(s) in a stage after "
                                f"{first} with no date for it (entered_at)", [int(r) for r in x.loc[unknown, "_row"]],
                                "taken to have entered it at created_at"))
        x["entered_at"] = when.where(~unknown, x["created_at"])
        rows.append(x)
    if (o == "won").any():
        w = d[o == "won"].copy()
        w["stage"] = pd.array([win] * len(w), dtype="string")
        w["entered_at"] = w["closed_at"]
        rows.append(w)
    out = pd.concat(rows).sort_index(kind="stable")
    return out, undated


def won_stage_conflicts(df: pd.DataFrame, m: Mapping, issues: list[Issue], won_names: set[str],
                         lost_names: set[str]) -> pd.DataFrame:
    """A won-stage entry on a deal whose outcome says lost or open (a close date mapped to the win
    also closes lost deals) is not a win: dropped, counted. Outcome flags that contradict the deal's
    last stage name are reported and the stage names used."""
    if "outcome" not in df:
        return df
    by_deal = df.groupby("opportunity_id")["outcome"].transform("last")
    told = by_deal.isin(["lost", "open"]).fillna(False)
    at_win = df["stage"].isin(won_names) & told & bool(m.wide_stage_columns)  # a date column, not a stage entry
    if at_win.any():
        n = df.loc[at_win, "opportunity_id"].nunique()
        issues.append(Issue("won stage on a deal not won", f"{n} deal(s) whose outcome is lost or open have a date "
                            "in a column mapped to the won stage (a close date closes lost deals too)",
                            [int(r) for r in df.loc[at_win, "_row"]],
                            "those dates are not wins: dropped; the deals keep their outcome (map the close date "
                            "as closed_at, or use layout: snapshot)"))
        df = df[~at_win].copy()
    if m.won_flag is None and m.closed_flag is None:
        return df
    last = df.sort_values(["opportunity_id", "entered_at", "_row"]).groupby("opportunity_id").tail(1)
    by_name = pd.Series(np.where(last["stage"].isin(won_names), "won",
                                 np.where(last["stage"].isin(lost_names), "lost", "")), index=last.index)
    flag = last["outcome"].fillna("open")
    wrong = (by_name != "") & (by_name != flag)
    if wrong.any():
        deals = set(last.loc[wrong, "opportunity_id"])
        labels = ", ".join(sorted(set(last.loc[wrong, "stage"]))[:5])
        issues.append(Issue("outcome flags contradict stage names", f"{len(deals)} deal(s) end in stage(s) {labels} "
                            f"but {m.won_flag or m.closed_flag} says otherwise",
                            [int(r) for r in last.loc[wrong, "_row"]],
                            "the stage names used (if the flags are right, list the stage in won_stages or "
                            "lost_stages)"))
        fix = dict(zip(last.loc[wrong, "opportunity_id"], by_name[wrong], strict=True))
        hit = df["opportunity_id"].isin(deals)
        df.loc[hit, "outcome"] = df.loc[hit, "opportunity_id"].map(fix)
    return df
