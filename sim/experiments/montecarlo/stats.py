"""Summaries of replications: per-KPI statistics, weekly fans, target odds.

Why these: a study's answer is a distribution. Per KPI we report the mean
with a Student-t confidence interval (replications are independent by
construction, see :mod:`sim.experiments.runner.seeds`), the spread (standard
deviation, 5th/50th/95th percentiles); over time, percentile bands of a
weekly series (the "fan"); and for a goal, the share of replications that
reach it with a Wilson score interval (well-behaved near 0 and 1, where the
textbook normal interval is not).

Nothing here names a KPI except the defaults for the fan and the headline
metric, which fall back gracefully when a KPI is absent.
"""

from __future__ import annotations

import difflib
import fnmatch
import math
import operator
import re
import warnings
from collections.abc import Iterable, Sequence

import numpy as np

from sim.errors import ArgumentError, UsageError

NON_KPI = frozenset({"point", "rep", "error", "traceback", "runtime_s", "scenario", "design", "varied"})
PERCENTILES = (5, 50, 95)
FAN_PERCENTILES = (5, 25, 50, 75, 95)
HEADLINE_METRICS = ("arr_end_usd", "arr_usd", "bookings_usd")
_OPS = {">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt, "=": operator.ge}


def ok_rows(df):
    """Replications that finished (no error)."""
    return df[df["error"].isna()] if "error" in df.columns else df


def kpi_columns(df) -> list[str]:
    """Numeric KPI columns of a replications table (labels and sweep inputs excluded)."""
    from pandas.api.types import is_bool_dtype, is_numeric_dtype

    return [c for c in df.columns if c not in NON_KPI and not str(c).startswith("param:")
            and (is_numeric_dtype(df[c]) or is_bool_dtype(df[c]))]


def select_kpis(columns: Sequence[str], patterns: Iterable[str] | None) -> list[str]:
    """KPIs matching any glob pattern (``stages.*.conversion``); by default the
    top-level ones (no dot), which are the headline figures."""
    patterns = list(patterns or [])
    if not patterns:
        return [c for c in columns if "." not in c]
    chosen = [c for c in columns if any(fnmatch.fnmatchcase(c, p) for p in patterns)]
    unmatched = [p for p in patterns if not any(fnmatch.fnmatchcase(c, p) for c in columns)]
    if unmatched:
        raise ArgumentError("kpis", f"matches no KPI{did_you_mean(unmatched[0], columns)}", unmatched[0])
    return chosen


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(choices), n=3, cutoff=0.6)
    return f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""


def default_metric(columns: Iterable[str]) -> str:
    """The headline KPI: ARR at the end if the model reports it, else bookings."""
    cols = list(columns)
    for name in HEADLINE_METRICS:
        if name in cols:
            return name
    raise ArgumentError("metric", f"no headline KPI ({', '.join(HEADLINE_METRICS)}) in the results; name one")


def t_interval(x: np.ndarray, confidence: float = 0.95) -> tuple[float, float]:
    """Student-t confidence interval of the mean of ``x`` (NaN for fewer than 2 values)."""
    from scipy import stats

    x = np.asarray(x, dtype=float)
    n = len(x)
    if n < 2:
        return math.nan, math.nan
    mean = float(x.mean())
    sem = float(stats.sem(x))
    if sem == 0.0:  # all replications agree: scipy would return NaN ends
        return mean, mean
    lo, hi = stats.t.interval(confidence, n - 1, loc=mean, scale=sem)
    return float(lo), float(hi)


def wilson_interval(hits: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a proportion (no continuity correction)."""
    from scipy import stats

    if n == 0:
        return math.nan, math.nan
    ci = stats.binomtest(int(hits), int(n)).proportion_ci(confidence, method="wilson")
    return float(ci.low), float(ci.high)


def summarize(df, confidence: float = 0.95, columns: Sequence[str] | None = None):
    """One row per KPI: n, mean, std, sem, CI of the mean, p5/p50/p95.

    Failed replications are left out; a KPI that is undefined in some
    replications (e.g. average deal size with no wins) is summarized over the
    replications where it is defined, and ``n`` says how many.
    """
    import pandas as pd

    df = ok_rows(df)
    cols = list(columns) if columns is not None else kpi_columns(df)
    lo_name, hi_name = f"ci{int(round(confidence * 100))}_low", f"ci{int(round(confidence * 100))}_high"
    out = []
    for c in cols:
        x = pd.to_numeric(df[c], errors="coerce").to_numpy(dtype=float)
        x = x[~np.isnan(x)]
        n = len(x)
        lo, hi = t_interval(x, confidence)
        pct = np.percentile(x, PERCENTILES) if n else [math.nan] * len(PERCENTILES)
        out.append({"kpi": c, "n": n, "mean": float(x.mean()) if n else math.nan,
                    "std": float(x.std(ddof=1)) if n > 1 else math.nan,
                    "sem": float(x.std(ddof=1)) / math.sqrt(n) if n > 1 else math.nan,
                    lo_name: lo, hi_name: hi,
                    **{f"p{q}": float(v) for q, v in zip(PERCENTILES, pct, strict=True)}})
    return pd.DataFrame(out).set_index("kpi") if out else pd.DataFrame(
        columns=["n", "mean", "std", "sem", lo_name, hi_name, *(f"p{q}" for q in PERCENTILES)])


def fan(weekly, column: str | None = None, percentiles: Sequence[float] = FAN_PERCENTILES,
        cumulative: bool | None = None):
    """Percentile bands of a weekly series across replications (one row per week).

    By default the series is ``arr_usd`` if the weekly table has it, else
    cumulative ``bookings_usd``. Any other weekly column can be named; it is
    taken as is unless ``cumulative=True``.
    """
    import pandas as pd

    if weekly is None or len(weekly) == 0:
        raise UsageError("no weekly series in these results (the study ran with weekly=False?)")
    if column is None:
        column = "arr_usd" if "arr_usd" in weekly.columns else "bookings_usd"
        if cumulative is None:
            cumulative = column == "bookings_usd"
    if column not in weekly.columns:
        choices = [c for c in weekly.columns if c not in ("point", "rep", "week")]
        raise ArgumentError("column", f"no such weekly column{did_you_mean(column, choices)}; "
                            f"weekly columns: {', '.join(choices)}", column)
    grid = weekly.pivot_table(index="rep", columns="week", values=column, aggfunc="first")
    values = grid.to_numpy(dtype=float)
    if cumulative:
        values = np.cumsum(values, axis=1)
    bands = np.nanpercentile(values, percentiles, axis=0)
    out = pd.DataFrame({f"p{q:g}": b for q, b in zip(percentiles, bands, strict=True)},
                       index=pd.Index(grid.columns, name="week"))
    out["mean"] = np.nanmean(values, axis=0)
    out.attrs["series"] = f"cumulative {column}" if cumulative else column
    out.attrs["replications"] = int(len(grid))
    return out


def parse_target(text: str) -> tuple[str, str, float]:
    """``kpi=value`` (reach at least), ``kpi>=value``, ``kpi<=value``, ``kpi>value``, ``kpi<value``."""
    m = re.fullmatch(r"\s*([^<>=\s]+)\s*(>=|<=|>|<|=)\s*(\S+)\s*", text)
    if not m:
        raise ArgumentError("targets", "expected KPI=VALUE (at least), KPI<=VALUE or KPI>=VALUE, "
                            "e.g. bookings_usd=5e6", text)
    try:
        value = float(m.group(3))
    except ValueError:
        raise ArgumentError("targets", f"{m.group(3)!r} is not a number", text) from None
    if not math.isfinite(value):
        raise ArgumentError("targets", "the value must be finite", text)
    return m.group(1), (">=" if m.group(2) == "=" else m.group(2)), value


def probability_of_target(df, kpi: str, value: float, op: str = ">=", confidence: float = 0.95) -> dict:
    """Share of finished replications where ``kpi op value``, with a Wilson interval."""
    df = ok_rows(df)
    if not len(df):  # every replication failed: nothing to count
        return {"kpi": kpi, "op": op, "target": value, "n": 0, "hits": 0, "probability": math.nan,
                "ci_low": math.nan, "ci_high": math.nan}
    if kpi not in df.columns:
        raise ArgumentError("targets", f"no such KPI{did_you_mean(kpi, kpi_columns(df))}", kpi)
    if op not in _OPS:
        raise ArgumentError("targets", f"unknown comparison {op!r}", kpi)
    x = df[kpi].to_numpy(dtype=float)
    x = x[~np.isnan(x)]
    hits = int(_OPS[op](x, value).sum())
    lo, hi = wilson_interval(hits, len(x), confidence)
    return {"kpi": kpi, "op": op, "target": value, "n": len(x), "hits": hits,
            "probability": hits / len(x) if len(x) else math.nan, "ci_low": lo, "ci_high": hi}


def paired_stats(a: np.ndarray, b: np.ndarray, confidence: float = 0.95) -> dict[str, float]:
    """Statistics of the paired differences ``b - a`` (both arrays aligned by replication)."""
    from scipy import stats

    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    keep = ~(np.isnan(a) | np.isnan(b))
    a, b = a[keep], b[keep]
    n = len(a)
    d = b - a
    out = {"n": n, "baseline_mean": a.mean() if n else math.nan, "mean": b.mean() if n else math.nan,
           "diff": d.mean() if n else math.nan, "diff_ci_low": math.nan, "diff_ci_high": math.nan,
           "p_value": math.nan, "p_higher": math.nan, "p_lower": math.nan, "p_tie": math.nan,
           "var_crn": math.nan, "var_independent": math.nan, "variance_reduction": math.nan}
    if n == 0:
        return out
    out.update(p_higher=float((d > 0).mean()), p_lower=float((d < 0).mean()), p_tie=float((d == 0).mean()))
    if n < 2:
        return out
    sd = float(d.std(ddof=1))
    lo, hi = t_interval(d, confidence)
    if sd == 0.0:  # identical differences: no sampling noise at all
        p = 1.0 if d[0] == 0 else 0.0
        lo = hi = float(d[0])
    else:
        with warnings.catch_warnings():  # nearly equal differences: scipy warns, the p-value is still right
            warnings.simplefilter("ignore", RuntimeWarning)
            p = float(stats.ttest_1samp(d, 0.0).pvalue)
    var_ind = float(a.var(ddof=1) + b.var(ddof=1))
    out.update(diff_ci_low=lo, diff_ci_high=hi, p_value=p, var_crn=sd * sd, var_independent=var_ind,
               variance_reduction=1.0 - sd * sd / var_ind if var_ind > 0 else math.nan)
    return out
