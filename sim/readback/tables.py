"""Tables of a results folder (CSV or Parquet), read and checked for the columns used.

Each table salesim reads back has a :class:`Table` spec: the columns a
reader uses and what they must hold -- numbers (finite or missing, never
infinite or absurdly large), whole numbers (ids, counts), names (text in
every row) or days (a time within the longest horizon). A file that is not
a table, or lacks a column, or holds text where a number is read, is
refused naming the file and the column.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sim.readback.json_shapes import MAX_MAGNITUDE
from sim.readback.raw import FolderFileError, open_table
from sim.units import MAX_HORIZON_WEEKS

NUM, WHOLE, NAME, DAYS, ANY = "number", "whole number", "name", "days", "any"
MAX_DAYS = 7.0 * (MAX_HORIZON_WEEKS + 1)


@dataclass(frozen=True)
class Table:
    """What a reader needs from a table: ``columns`` (name -> kind), columns by
    suffix (at least one each, e.g. ``_low``), other columns that must be numbers
    (``numeric``), and key columns whose combination is unique."""

    columns: dict[str, str] = field(default_factory=dict)
    suffixed: dict[str, str] = field(default_factory=dict)
    numeric: Callable[[str], bool] | None = None
    unique: tuple[str, ...] = ()


def _bad_rows(s, kind: str):
    """The rows of column ``s`` that do not hold a ``kind`` (a boolean mask), or None if
    the column's type is wrong altogether (text where numbers are read)."""
    import numpy as np
    import pandas as pd

    if kind == ANY:
        return pd.Series(False, index=s.index)
    if kind == NAME:
        return ~s.map(lambda v: isinstance(v, str) and v != "").astype(bool)
    if not pd.api.types.is_numeric_dtype(s):
        return None
    v = s.to_numpy(dtype=float, na_value=np.nan)
    bad = np.isinf(v) | (np.abs(np.nan_to_num(v)) > MAX_MAGNITUDE)
    if kind == WHOLE:
        bad |= np.isnan(v) | (np.nan_to_num(v) != np.trunc(np.nan_to_num(v)))
    elif kind == DAYS:
        bad |= (np.nan_to_num(v) < 0) | (np.nan_to_num(v) > MAX_DAYS)
    return pd.Series(bad, index=s.index)


def _expect(kind: str) -> str:
    return {NUM: "a number (or empty)", WHOLE: "a whole number", NAME: "a name (text)",
            DAYS: f"a time in days from 0 to {MAX_DAYS:g} (or empty)"}.get(kind, kind)


def check(df, spec: Table, path: Path):
    """``df`` if it meets ``spec``; else the first problem, naming ``path`` and the column."""
    cols = [str(c) for c in df.columns]
    if len(set(cols)) < len(cols):
        dup = next(c for c in cols if cols.count(c) > 1)
        raise FolderFileError(path, (dup,), "column repeated")
    need = dict(spec.columns)
    for suffix, kind in spec.suffixed.items():
        found = [c for c in cols if c.endswith(suffix)]
        if not found:
            raise FolderFileError(path, (), f"no column ending in {suffix!r}")
        need.update({c: kind for c in found if c not in need})
    if spec.numeric is not None:
        need.update({c: NUM for c in cols if c not in need and spec.numeric(c)})
    missing = [c for c in need if c not in cols]
    if missing:
        raise FolderFileError(path, (), f"missing column(s) {', '.join(missing)}; columns: {', '.join(cols) or 'none'}")
    for col, kind in need.items():
        bad = _bad_rows(df[col], kind)
        if bad is None:
            dtype = str(df[col].dtype)
            held = "text" if dtype in ("object", "str", "string") else f"values of type {dtype}"
            raise FolderFileError(path, (col,), f"expected {_expect(kind)} in every row; the column holds {held}")
        if bad.any():
            row = int(bad.to_numpy().argmax())
            raise FolderFileError(path, (col,), f"row {row + 1}: expected {_expect(kind)}, got "
                                  f"{df[col].iloc[row]!r}")
    if spec.unique and len(df) and df.duplicated(list(spec.unique)).any():
        raise FolderFileError(path, tuple(spec.unique), "the same key appears on two rows")
    return df


def find_table(folder: Path, stem: str) -> Path | None:
    """``stem.parquet`` or ``stem.csv`` in ``folder`` (whatever it is: a folder in its
    place is refused when read), else None."""
    for ext in ("parquet", "csv"):
        p = folder / f"{stem}.{ext}"
        if p.exists() or p.is_symlink():
            return p
    return None


def read_table(folder: Path, stem: str, spec: Table, required: bool = False):
    """The table ``stem`` of ``folder`` (Parquet preferred, else CSV) checked against
    ``spec``; None when absent (unless ``required``)."""
    import pandas as pd

    path = find_table(folder, stem)
    if path is None:
        if required:
            raise FolderFileError(folder / f"{stem}.csv", (), f"no such file (nor {stem}.parquet)")
        return None
    with open_table(path) as fh:
        try:
            df = pd.read_parquet(fh) if path.suffix == ".parquet" else pd.read_csv(fh)
        except Exception as exc:  # noqa: BLE001 - any parser failure is this file's problem
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
            kind = "Parquet" if path.suffix == ".parquet" else "CSV"
            raise FolderFileError(path, (), f"not a {kind} table salesim can read ({first})") from None
    df.attrs["file"] = str(path)
    return check(df, spec, path)


# --------------------------------------------------------------------------- the tables salesim reads back

def _all(c: str) -> bool:
    return True


WEEKLY = Table({"week": NUM}, numeric=_all)  # a run's weekly series; a batch's (with rep) for the fan chart
EVENTS = Table({"t_days": DAYS, "lead": WHOLE, "event": ANY, "stage": ANY, "role": ANY, "rep": NUM})
LEADS = Table({"lead": WHOLE, "created_days": DAYS, "entry_stage": ANY, "source": ANY, "segment": ANY,
               "acv_list_usd": NUM, "outcome": ANY, "outcome_days": DAYS, "booked_usd": NUM})
ACCOUNTS = Table({"t_days": DAYS, "account": WHOLE, "segment": ANY, "event": ANY, "arr_delta_usd": NUM})

SUMMARY = Table({"kpi": NAME, "mean": NUM, "p5": NUM, "p50": NUM, "p95": NUM, "n": NUM},
                {"_low": NUM, "_high": NUM}, unique=("kpi",))
BATCH_WEEKLY = Table({"rep": NUM, "week": NUM}, numeric=_all)
TARGETS = Table({"kpi": NAME, "op": NAME, "target": NUM, "probability": NUM, "ci_low": NUM, "ci_high": NUM,
                 "hits": WHOLE, "n": WHOLE})
COMPARISON = Table({"scenario": NAME, "kpi": NAME, "baseline_mean": NUM, "mean": NUM, "diff": NUM,
                    "diff_ci_low": NUM, "diff_ci_high": NUM, "p_value": NUM, "p_higher": NUM, "n": NUM},
                   unique=("scenario", "kpi"))
TORNADO = Table({"param": ANY, "metric": NAME, "low": NUM, "high": NUM, "at_low": NUM, "at_base": NUM,
                 "at_high": NUM, "swing": NUM, "swing_ci_low": NUM, "swing_ci_high": NUM})
SENSITIVITY = Table({"param": ANY}, numeric=lambda c: c != "metric")
REPLICATIONS = Table()
EFFECTS = Table({"kpi": NAME, "factor": ANY, "level": ANY, "estimate": NUM, "ci_low": NUM, "ci_high": NUM},
                numeric=lambda c: c == "p_value")
VARIANCE = Table({"kpi": NAME, "source": ANY, "share": NUM})
CELLS = Table({"kpi": NAME, "mean": NUM})
FRONTIER = Table({"objective": NUM, "probability": NUM, "ci_low": NUM, "ci_high": NUM, "n": NUM})
CANDIDATES = Table()
NEIGHBOURS = Table({"variable": ANY, "change": ANY, "value": NUM, "objective": NUM, "probability": NUM,
                    "ci_low": NUM, "ci_high": NUM, "n": NUM}, numeric=lambda c: c == "objective_change")
RUNNER_UPS = Table({"objective": NUM, "probability": NUM}, numeric=lambda c: "." in c and not c.startswith("p["))
# a forecast folder (salesim forecast --out)
FORECAST_QUARTERS = Table({"quarter": NAME, "p10": NUM, "median": NUM, "p90": NUM, "mean": NUM},
                          numeric=lambda c: c in ("plan_usd", "p_hit_plan", "months"))
FORECAST_MONTHS = Table({"metric": NAME, "month": NAME, "p2_5": NUM, "p10": NUM, "median": NUM, "p90": NUM,
                         "p97_5": NUM, "mean": NUM})
OPEN_DEALS = Table({"category": NAME, "value": NUM, "expected_usd": NUM, "p_win": NUM})
