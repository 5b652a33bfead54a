"""Renewal, churn, contraction and expansion from a subscription table.

The table has one row per change of an account's ARR: ``account_id, event,
at, arr_delta`` (``event``: new, renewal, expansion, contraction, churn) and
optionally ``segment``. Renewal odds are renewals (including renewals that
contracted) over renewal decisions, with an exact interval; contraction and
expansion sizes are relative to the account's ARR just before; expansions
are counted per live account-year, and since a CRM records only the ones
that closed, the scenario gets them as opportunities that always convert.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.calibration.fit_funnel import exact_ci
from sim.calibration.io import SPAN, check_repeats, read_rows, to_utc
from sim.calibration.mapping import DataError, normalize_name
from sim.scenario.base import MAX_MAGNITUDE
from sim.units import DAYS_PER_YEAR

EVENTS = ("new", "renewal", "expansion", "contraction", "churn")


def fit_retention(path: str, as_of: pd.Timestamp) -> dict[str, dict]:
    t = read_rows(path, "--accounts")
    check_repeats(t, {"account_id", "event", "at", "arr_delta", "segment"}, f"--accounts {path}")
    need = [c for c in ("account_id", "event", "at", "arr_delta") if c not in t.columns]
    if need:
        raise DataError(f"--accounts {path}: missing column(s) {', '.join(need)} "
                        "(columns: account_id, event, at, arr_delta, optional segment)")
    if t.empty:
        raise DataError(f"--accounts {path}: no rows (the file has a header only)")
    t["event"] = t["event"].map(normalize_name, na_action="ignore")
    bad = ~t["event"].isin(EVENTS)
    if bad.any():
        rows = ", ".join(str(r) for r in t.loc[bad, "_row"][:10])
        raise DataError(f"--accounts {path}: rows {rows}: event must be one of {', '.join(EVENTS)}")
    t["at"], bad_at = to_utc(t["at"])
    delta = pd.to_numeric(t["arr_delta"].str.replace(",", "", regex=False).str.strip(), errors="coerce")
    delta = delta.astype(float)
    bad_delta = ~(np.isfinite(delta.to_numpy(dtype=float, na_value=np.nan)) & (delta.abs() <= MAX_MAGNITUDE))
    t["arr_delta"] = delta
    wrong = t["at"].isna() | bad_at | bad_delta | t["account_id"].isna()
    if wrong.any():
        rows = ", ".join(str(r) for r in t.loc[wrong, "_row"][:10])
        raise DataError(f"--accounts {path}: rows {rows}: 'account_id' must be given, 'at' must be a date "
                        f"({SPAN}) and 'arr_delta' a number of at most {MAX_MAGNITUDE:g} "
                        "in size")
    t["segment"] = t["segment"].map(normalize_name, na_action="ignore").fillna("all") if "segment" in t else "all"
    t = t.sort_values(["account_id", "at", "_row"])
    t["arr_before"] = t.groupby("account_id")["arr_delta"].cumsum() - t["arr_delta"]
    end = t.groupby("account_id")["at"].transform("max").where(t.groupby("account_id")["event"].transform("last")
                                                                == "churn", as_of)
    start = t.groupby("account_id")["at"].transform("min")
    years = ((end - start).dt.total_seconds() / (DAYS_PER_YEAR * 86400)).clip(lower=0.0) \
        .groupby(t["account_id"]).first()
    seg_of = t.groupby("account_id")["segment"].first()
    out = {}
    for seg, g in t.groupby("segment"):
        c = g["event"].value_counts()
        ren, con, churn, exp = (int(c.get(k, 0)) for k in ("renewal", "contraction", "churn", "expansion"))
        decided = ren + con + churn
        lo, hi = exact_ci(ren + con, decided)
        rel = g["arr_delta"] / g["arr_before"].where(g["arr_before"] > 0)
        acct_years = float(years[seg_of == seg].sum())
        gaps = g[g["event"].isin(["new", "renewal", "contraction", "churn"])].groupby("account_id")["at"].diff()
        gap_years = gaps.dt.total_seconds().dropna() / (DAYS_PER_YEAR * 86400)
        out[seg] = {
            "accounts": int(g["account_id"].nunique()), "decisions": decided,
            "renewal_probability": (ren + con) / decided if decided else None, "renewal_lo": lo, "renewal_hi": hi,
            "contraction_probability": con / (ren + con) if ren + con else 0.0,
            "contraction_fraction": float(-rel[g["event"] == "contraction"].mean()) if con else None,
            "price_uplift_fraction": float(max(rel[g["event"] == "renewal"].mean(), 0.0)) if ren else 0.0,
            "expansions": exp, "account_years": acct_years,
            "expansions_per_year": exp / acct_years if acct_years > 0 else 0.0,
            "expansion_fraction": float(rel[g["event"] == "expansion"].mean()) if exp else None,
            "term_years": int(max(1, round(float(gap_years.median())))) if len(gap_years) else 1,
        }
        for k in ("contraction_fraction", "price_uplift_fraction", "expansion_fraction"):  # x / 0 ARR: unknown
            v = out[seg][k]
            if v is not None and not np.isfinite(v):
                out[seg][k] = 0.0 if k == "price_uplift_fraction" else None
    return out
