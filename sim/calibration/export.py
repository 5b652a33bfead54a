"""A simulated run's leads as a CRM opportunity history (the calibration's input format).

``salesim run SCENARIO --out DIR`` writes ``events`` and ``leads`` tables; this
turns them into one row per stage entry, with the columns
:mod:`sim.calibration.mapping` documents, so a simulated history can be fed
back to ``salesim calibrate`` (the round trip) exactly like an export.

Each row's ``owner`` is the rep who worked the lead while it sat in that stage
(the rep of the step out of it; on the won row, the closer), as a CRM's
opportunity owner is whoever holds the deal at the time.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sim import readback
from sim.calibration.mapping import DataError
from sim.readback import tables as T
from sim.units import MAX_HORIZON_WEEKS

DEFAULT_START = "2024-01-01"  # day 0 of a run; a 1 January start keeps the months of seasonality aligned


def _table(run_dir: Path, name: str, spec: T.Table) -> pd.DataFrame:
    """A table of a run folder, checked for the columns the export uses (see :mod:`sim.readback`)."""
    if readback.find_table(run_dir, name) is None:
        raise DataError(f"{run_dir}: no {name}.csv or {name}.parquet; write a run with "
                        f"`salesim run SCENARIO --out {run_dir}` (it keeps the event log)")
    return readback.read_table(run_dir, name, spec)


def _run_dir(run_dir: str | Path) -> Path:
    d = Path(run_dir)
    if not d.is_dir():
        raise DataError(f"{d}: not a folder (expected the --out folder of `salesim run`)")
    return d


def _check_start(start: str) -> None:
    """``--start`` as a date from which the longest run still has calendar dates."""
    first, last = pd.Timestamp("1900-01-01", tz="UTC"), pd.Timestamp("2199-12-31", tz="UTC")
    latest = (last - pd.Timedelta(days=T.MAX_DAYS)).date()
    try:
        t0 = pd.Timestamp(start, tz="UTC")
        end = t0 + pd.Timedelta(days=T.MAX_DAYS)
    except (ValueError, OverflowError, TypeError):
        t0 = end = None
    # the same years a CRM history may hold (sim.calibration.io), so an export always calibrates
    if t0 is None or pd.isna(t0) or t0 < first or end > last:
        raise DataError(f"--start {start!r}: expected a date such as 2024-01-01, from 1900-01-01 to {latest} "
                        f"(so that {MAX_HORIZON_WEEKS} weeks after it are still dates a history may hold)")


def history_from_run(run_dir: str | Path, start: str = DEFAULT_START) -> pd.DataFrame:
    """The run in ``run_dir`` as a canonical opportunity history (one row per stage entry).

    The folder is read as an input is: its resolved scenario through the
    scenario loader, its tables checked for the columns used."""
    d = _run_dir(run_dir)
    _check_start(start)
    spec = d / "scenario.resolved.yaml"
    if not readback.present(spec):
        raise DataError(f"{d}: no scenario.resolved.yaml (not a `salesim run --out` folder?)")
    stages = list(readback.read_scenario(spec).stages)
    return history_from_tables(_table(d, "events", T.EVENTS), _table(d, "leads", T.LEADS), stages, start)


def history_from_tables(events: pd.DataFrame, leads: pd.DataFrame, stages: list[str],
                        start: str = DEFAULT_START, as_text: bool = True) -> pd.DataFrame:
    """The same from a run's ``events`` and ``leads`` tables (``Result.events``, ``Result.leads``);
    ``as_text=False`` keeps timestamps as UTC datetimes (NaT when absent) instead of ISO text."""
    try:
        t0 = pd.Timestamp(start, tz="UTC")
    except ValueError:
        raise DataError(f"--start {start!r}: expected a date such as 2024-01-01") from None
    nxt = {s: stages[min(i + 1, len(stages) - 1)] for i, s in enumerate(stages)}

    created = leads[["lead", "created_days", "entry_stage"]].rename(
        columns={"created_days": "t_days", "entry_stage": "stage"})
    moved = events.loc[events["event"] == "advance", ["lead", "t_days", "stage"]]
    rows = pd.concat([created, moved], ignore_index=True)
    rows["stage"] = rows["stage"].astype(str)
    rows["_next"] = rows["stage"].map(nxt)
    work = events.loc[events["event"] == "work", ["lead", "stage", "role", "rep"]]
    work = work.drop_duplicates(["lead", "stage"]).rename(columns={"stage": "_next"})
    work["_next"] = work["_next"].astype(str)
    rows = rows.merge(work, on=["lead", "_next"], how="left")
    rows = rows.merge(leads, on="lead", how="left", suffixes=("", "_lead"))
    rows = rows.sort_values(["lead", "t_days"], kind="stable")

    def stamp(days: pd.Series) -> pd.Series:
        ts = t0 + pd.to_timedelta(days.astype(float), unit="D")
        return ts.dt.strftime("%Y-%m-%dT%H:%M:%SZ").where(days.notna(), "") if as_text else ts

    outcome = rows["outcome"].astype(str)
    won = outcome == "won"
    closed = outcome != "open"
    role = rows["role"].astype("string")
    rep = pd.to_numeric(rows["rep"], errors="coerce")
    has_owner = role.notna() & (role != "") & rep.notna() & (rep >= 0)
    owner = np.where(has_owner, role.fillna("") + "_" + rep.fillna(-1).astype(int).astype(str), "")
    return pd.DataFrame({
        "opportunity_id": "opp-" + rows["lead"].astype(int).astype(str),
        "stage": rows["stage"],
        "entered_at": stamp(rows["t_days"]),
        "created_at": stamp(rows["created_days"]),
        "source": rows["source"].astype(str),
        "segment": rows["segment"].astype(str),
        "owner": owner,
        "owner_role": np.where(has_owner, role.fillna(""), ""),
        "amount": np.where(won, rows["booked_usd"], rows["acv_list_usd"]).round(2),
        "list_amount": rows["acv_list_usd"].round(2),
        "closed_at": stamp(rows["outcome_days"].where(closed)),
        "outcome": np.where(won, "won", np.where(closed, "lost", "open")),
        "loss_reason": np.where(closed & ~won, outcome.str.removeprefix("lost_"), ""),
    }).reset_index(drop=True)


# account events as subscription-table events (fit_retention's input); onboarding churn is
# not a renewal decision and expansion opportunities that were lost or expired changed no ARR
SUBSCRIPTION_EVENTS = {"signed": "new", "live": "new", "renewed": "renewal", "churned": "churn",
                       "expanded": "expansion", "expanded_csm": "expansion", "mined": "expansion",
                       "contracted": "contraction"}


def subscriptions_from_accounts(accounts: pd.DataFrame, start: str = DEFAULT_START) -> pd.DataFrame:
    """A run's account events (``Result.accounts``, ``accounts.csv``) as a subscription table:
    ``account_id, event, at, arr_delta, segment``; only events that changed counted ARR, except
    renewals, which are decisions even without an uplift."""
    t0 = pd.Timestamp(start, tz="UTC")
    ev = accounts["event"].astype(str).map(SUBSCRIPTION_EVENTS)
    keep = ev.notna() & ((accounts["arr_delta_usd"] != 0) | (ev == "renewal"))
    a = accounts[keep]
    at = t0 + pd.to_timedelta(a["t_days"].astype(float), unit="D")
    return pd.DataFrame({"account_id": "acct-" + a["account"].astype(int).astype(str), "event": ev[keep],
                         "at": at.dt.strftime("%Y-%m-%dT%H:%M:%SZ"), "arr_delta": a["arr_delta_usd"].round(2),
                         "segment": a["segment"].astype(str)}).reset_index(drop=True)


def subscriptions_from_run(run_dir: str | Path, start: str = DEFAULT_START) -> pd.DataFrame:
    """The run's account events (``accounts.csv``, checked) as a subscription table."""
    d = _run_dir(run_dir)
    _check_start(start)
    return subscriptions_from_accounts(_table(d, "accounts", T.ACCOUNTS), start)


def write_history(df: pd.DataFrame, out: str | Path) -> Path:
    """Write atomically (the project's one helper: a temporary sibling flushed and renamed
    into place): CSV, or Parquet by suffix."""
    from sim.outpaths import atomic_write

    p = Path(out)
    if not p.parent.resolve().is_dir():
        raise DataError(f"--out {p}: parent folder {p.parent} does not exist")
    if p.exists() and p.is_dir():
        raise DataError(f"--out {p}: is a folder; give a file name such as history.csv")
    parquet = p.suffix.lower() == ".parquet"

    def write(tmp: Path) -> None:
        if parquet:
            df.to_parquet(tmp, index=False)
        else:
            df.to_csv(tmp, index=False)

    atomic_write(p, write)
    return p
